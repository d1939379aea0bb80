import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '../api/types';
import { LiveQuery, liveQuery, type Subscribe } from './livequery.svelte';

/** A fetch whose answers the test hands out, one pending promise per call. */
function controlled<T>() {
  const calls: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const fetch = () => new Promise<T>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, fetch };
}

/** A live feed the test fires by hand. */
function feed() {
  const subs = new Set<{ matches: (ev: LiveEvent) => boolean; refetch: () => void }>();
  const subscribe: Subscribe = (matches, refetch) => {
    const s = { matches, refetch };
    subs.add(s);
    return () => subs.delete(s);
  };
  const fire = (ev: LiveEvent) => subs.forEach((s) => s.matches(ev) && s.refetch());
  return { subs, subscribe, fire };
}

const changed = (requestId: string): LiveEvent => ({ type: 'request.changed', requestId, workspace: 'ws' }) as LiveEvent;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('LiveQuery', () => {
  it('never lets an older answer overwrite a newer one', async () => {
    const f = controlled<string>();
    const q = new LiveQuery(f.fetch);
    const first = q.refetch();
    const second = q.refetch();
    f.calls[1].resolve('new');
    await second;
    f.calls[0].resolve('old');
    await first;
    expect(q.data).toBe('new');
    expect(q.version).toBe(1);
  });

  it("keeps an action's answer given with set() over a load that started before it", async () => {
    const f = controlled<string>();
    const q = new LiveQuery(f.fetch);
    const load = q.refetch();
    q.set('from the action');
    f.calls[0].resolve('from the older load');
    await load;
    expect(q.data).toBe('from the action');
    expect(q.loaded).toBe(true);
  });

  it('shows the error of the newest load, and clears it when a later one succeeds', async () => {
    const f = controlled<string>();
    const q = new LiveQuery(f.fetch);
    const a = q.refetch();
    f.calls[0].reject(new Error('server gone'));
    await a;
    expect(q.error).toBe('server gone');
    expect(q.loaded).toBe(true);
    const b = q.refetch();
    f.calls[1].resolve('back');
    await b;
    expect(q.error).toBe('');
    expect(q.data).toBe('back');
  });

  it('ignores the error of a load a newer answer overtook', async () => {
    const f = controlled<string>();
    const q = new LiveQuery(f.fetch);
    const a = q.refetch();
    const b = q.refetch();
    f.calls[1].resolve('fresh');
    await b;
    f.calls[0].reject(new Error('stale failure'));
    await a;
    expect(q.error).toBe('');
    expect(q.data).toBe('fresh');
  });

  it('refetches on matching live events only, and not after it stopped', async () => {
    let n = 0;
    const q = new LiveQuery(async () => ++n);
    const live = feed();
    const stop = q.start((ev) => ev.type === 'request.changed' && ev.requestId === 'R1', live.subscribe);
    await settle();
    expect(q.data).toBe(1);
    live.fire(changed('R2'));
    await settle();
    expect(q.data).toBe(1);
    live.fire(changed('R1'));
    await settle();
    expect(q.data).toBe(2);
    stop();
    expect(live.subs.size).toBe(0);
    live.fire(changed('R1'));
    await settle();
    expect(q.data).toBe(2);
  });

  it('liveQuery restarts when state its fetch reads changes, and stops with its owner', async () => {
    const live = feed();
    const props = $state({ workspace: 'a' });
    const seen: string[] = [];
    let q: LiveQuery<string> | undefined;
    const destroy = $effect.root(() => {
      q = liveQuery(
        () => {
          const w = props.workspace;
          seen.push(w);
          return Promise.resolve(w);
        },
        () => true,
        live.subscribe,
      );
    });
    flushSync();
    await settle();
    expect(q!.data).toBe('a');
    props.workspace = 'b';
    flushSync();
    await settle();
    expect(q!.data).toBe('b');
    expect(seen).toEqual(['a', 'b']);
    expect(live.subs.size).toBe(1);
    destroy();
    expect(live.subs.size).toBe(0);
  });
});
