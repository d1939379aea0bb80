// Desktop transport (Wails window): REST through the same fetch (the window's asset server
// hands /api requests to the in-process handler), live updates through Wails runtime events
// ("airlock:event", emitted by app's live sink) instead of a WebSocket, which the webview
// cannot open to wails://, and through the bound Go methods (window.go.app.Desktop,
// app/bindings.go): login and logout, which hand the session to the desktop shell (the
// webview keeps no cookies: the shell adds the session's), and files saved with the native
// save dialog, since the webview does not download.
import { ApiError, parseRejection } from './errors';
import { TransportBase, parseLiveEvent, type FetchLike, type FileToSave, type SaveResult } from './transport';
import type { DesktopView, Session } from './types';

/** The part of window.runtime (Wails v2) that we use. */
export interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): () => void;
}

/** The bound methods of app.Desktop (window.go.app.Desktop) that we use. */
export interface DesktopBindings {
  /** Asks where to save, saves there; resolves with the path, or "" when cancelled. */
  SaveRequestFile(requestId: string, path: string): Promise<string>;
  /** Logs the window in; resolves with the answer of POST /auth/login. */
  Login(username: string, token: string): Promise<Session>;
  /** Ends the window's session. */
  Logout(): Promise<void>;
  /** Tells the shell what the window shows (frontend/src/api/shell.ts). */
  Showing(view: DesktopView): Promise<void>;
}

export const desktopEventName = 'airlock:event';

export function wailsRuntime(w: unknown = globalThis): WailsRuntime | null {
  const rt = (w as { runtime?: unknown }).runtime;
  if (rt && typeof (rt as WailsRuntime).EventsOn === 'function') return rt as WailsRuntime;
  return null;
}

/** window.go.app.Desktop, once Wails has set up the bindings (null before, or without them). */
export function desktopBindings(w: unknown = globalThis): DesktopBindings | null {
  const d = (w as { go?: { app?: { Desktop?: unknown } } }).go?.app?.Desktop;
  if (d && typeof (d as DesktopBindings).SaveRequestFile === 'function') return d as DesktopBindings;
  return null;
}

export class DesktopTransport extends TransportBase {
  readonly kind = 'desktop' as const;
  private off: (() => void) | null = null;
  private connectedOnce = false;

  /**
   * bindings is looked up at each call: Wails defines window.go when the window starts,
   * which need not be before this module runs.
   */
  constructor(
    private readonly runtime: WailsRuntime,
    fetchImpl: FetchLike,
    private readonly bindings: () => DesktopBindings | null = () => desktopBindings(),
    baseUrl = '',
  ) {
    super(fetchImpl, baseUrl);
  }

  connect(): void {
    if (this.off) return;
    this.off = this.runtime.EventsOn(desktopEventName, (...data: unknown[]) => {
      const ev = parseLiveEvent(data[0]);
      if (!ev) return;
      this.live.emit(ev);
      // The window's live sink sends a hello only when its link to the events came back
      // after a break (attach mode: the desktop process's WebSocket to the server
      // reconnected, app/remote.go); the first connection sends none. Events may have
      // been missed meanwhile: every view refetches, as after the web transport's reconnect.
      if (ev.type === 'hello') this.live.emit({ type: 'reconnected' });
    });
    this.state.emit('open');
    // Events may have been missed between a logout and this subscription: refetch.
    if (this.connectedOnce) this.live.emit({ type: 'reconnected' });
    this.connectedOnce = true;
  }

  disconnect(): void {
    if (this.off) this.off();
    this.off = null;
    this.state.emit('closed');
  }

  /** The shell logs the window in and keeps the session (app/window.go Login). */
  async login(username: string, token: string): Promise<Session> {
    const b = this.need();
    try {
      return await b.Login(username, token);
    } catch (err) {
      throw parseRejection(err);
    }
  }

  async logout(): Promise<void> {
    const b = this.need();
    try {
      await b.Logout();
    } catch (err) {
      throw parseRejection(err);
    }
  }

  private need(): DesktopBindings {
    const b = this.bindings();
    if (!b) throw new ApiError('unavailable', 'This window cannot log in: its desktop functions are missing. Restart Airlock and try again.');
    return b;
  }

  /** The native save dialog, then the file written there by the Go side (audited as a download). */
  async saveFile(file: FileToSave): Promise<SaveResult> {
    const b = this.bindings();
    if (!b) throw new ApiError('unavailable', 'This window cannot save files: its desktop functions are missing. Restart Airlock and try again.');
    let saved: unknown;
    try {
      saved = await b.SaveRequestFile(file.requestId, file.path);
    } catch (err) {
      throw parseRejection(err);
    }
    return typeof saved === 'string' && saved !== '' ? { outcome: 'saved', path: saved } : { outcome: 'cancelled' };
  }
}
