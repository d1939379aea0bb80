// Application state shared by pages: the session, flash messages, live subscriptions.
import { api, ApiError } from '../api';
import type { LiveEvent, User } from '../api/types';

export const session = $state<{ user: User | null; checked: boolean; live: 'connecting' | 'open' | 'closed' }>({
  user: null,
  checked: false,
  live: 'closed',
});

export interface Flash {
  id: number;
  kind: 'success' | 'error' | 'info' | 'warning';
  text: string;
}

export const flashes = $state<{ list: Flash[] }>({ list: [] });
let flashSeq = 0;

/**
 * Shows a message. A success means what failed before is behind the user: the error
 * messages above it go (issue 13: no stale red error above a green success). Moving to
 * another page clears the messages too (see moveOn).
 */
export function flash(kind: Flash['kind'], text: string, ttlMs = kind === 'error' ? 0 : 6000): void {
  const id = ++flashSeq;
  if (kind === 'success') flashes.list = flashes.list.filter((f) => f.kind !== 'error');
  flashes.list.push({ id, kind, text });
  if (ttlMs > 0) setTimeout(() => dismiss(id), ttlMs);
}

/** The user moved to another page: the messages about the last one go. */
export function moveOn(): void {
  flashes.list = [];
}

export function dismiss(id: number): void {
  flashes.list = flashes.list.filter((f) => f.id !== id);
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

let liveStarted = false;

export function startLive(): void {
  if (liveStarted) return;
  liveStarted = true;
  const t = api().transport;
  t.onConnectionState((s) => (session.live = s));
  t.connect();
}

export function stopLive(): void {
  liveStarted = false;
  api().transport.disconnect();
}

export async function checkSession(): Promise<void> {
  try {
    const s = await api().me();
    session.user = s.user;
    startLive();
  } catch (err) {
    session.user = null;
    if (!(err instanceof ApiError) || err.code !== 'unauthenticated') {
      // the server is unreachable or broken: show it, stay on login
      if (!(err instanceof ApiError && err.code === 'not_found')) flash('error', errorText(err));
    }
  } finally {
    session.checked = true;
  }
}

export async function login(username: string, token: string): Promise<void> {
  const s = await api().login(username, token);
  session.user = s.user;
  startLive();
}

export async function logout(): Promise<void> {
  stopLive();
  try {
    await api().logout();
  } catch {
    /* the session is gone either way */
  }
  session.user = null;
}

/**
 * Calls `refetch` (debounced, at most every 150 ms) when a live event concerns what a page
 * shows, and after any reconnect. Returns the unsubscribe function (use in $effect).
 */
export function onLive(matches: (ev: LiveEvent) => boolean, refetch: () => void, delayMs = 150): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const off = api().transport.subscribe((ev) => {
    if (ev.type === 'hello') return;
    if (ev.type !== 'reconnected' && !matches(ev)) return;
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      refetch();
    }, delayMs);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}

/** The workspace a live event concerns ("" for none). */
export function evWorkspace(ev: LiveEvent): string {
  return 'workspace' in ev ? ev.workspace : '';
}
