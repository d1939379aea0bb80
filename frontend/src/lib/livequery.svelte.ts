// What every page did by hand: load something from the API, show its error, refetch when a
// live event concerns it, and never let an older answer overwrite a newer one (a live refetch
// started before an action's answer, a slow load overtaken by a later one).
import type { LiveEvent } from '../api/types';
import { errorText, onLive } from './session.svelte';

/** Subscribes to live events: calls refetch when one matches; returns the unsubscribe. */
export type Subscribe = (matches: (ev: LiveEvent) => boolean, refetch: () => void) => () => void;

export class LiveQuery<T> {
  /** the newest answer (undefined until the first one) */
  data = $state<T | undefined>(undefined);
  /** the newest load's error ('' when it succeeded) */
  error = $state('');
  /** an answer or an error has arrived */
  loaded = $state(false);
  /** counts the answers shown (components that re-read on every change watch it) */
  version = $state(0);

  #seq = 0;
  readonly #fetch: () => Promise<T>;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /** Loads again; the answer is shown unless a newer load or set() came after it started. */
  async refetch(): Promise<void> {
    const mine = ++this.#seq;
    try {
      const v = await this.#fetch();
      if (mine !== this.#seq) return;
      this.data = v;
      this.error = '';
      this.version++;
    } catch (err) {
      if (mine === this.#seq) this.error = errorText(err);
    } finally {
      if (mine === this.#seq) this.loaded = true;
    }
  }

  /** Shows an answer got elsewhere (an action's response): newer than any load under way. */
  set(v: T): void {
    this.#seq++;
    this.data = v;
    this.error = '';
    this.loaded = true;
    this.version++;
  }

  /** Loads now and again on every matching live event; returns the stop function. */
  start(matches: (ev: LiveEvent) => boolean, subscribe: Subscribe = onLive): () => void {
    void this.refetch();
    return subscribe(matches, () => void this.refetch());
  }
}

/**
 * A LiveQuery started for the life of the calling component (call it in a component's
 * script). Whatever `fetch` reads of the component's state before its first await (a prop
 * such as the workspace name) restarts the query when it changes.
 */
export function liveQuery<T>(fetch: () => Promise<T>, matches: (ev: LiveEvent) => boolean, subscribe?: Subscribe): LiveQuery<T> {
  const q = new LiveQuery(fetch);
  $effect(() => q.start(matches, subscribe));
  return q;
}
