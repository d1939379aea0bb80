// Desktop transport (Wails window): REST through the same fetch (the window's asset server
// hands /api requests to the in-process handler), live updates through Wails runtime events
// ("airlock:event", emitted by app's live sink) instead of a WebSocket, which the webview
// cannot open to wails://.
import { Emitter, RestClient, parseLiveEvent, type ConnectionState, type FetchLike, type HttpRequest, type LiveHandler, type Transport } from './transport';
import type { LiveEvent } from './types';

/** The part of window.runtime (Wails v2) that we use. */
export interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): () => void;
}

export const desktopEventName = 'airlock:event';

export function wailsRuntime(w: unknown = globalThis): WailsRuntime | null {
  const rt = (w as { runtime?: unknown }).runtime;
  if (rt && typeof (rt as WailsRuntime).EventsOn === 'function') return rt as WailsRuntime;
  return null;
}

export class DesktopTransport implements Transport {
  readonly kind = 'desktop' as const;
  private rest: RestClient;
  private live = new Emitter<LiveEvent>();
  private state = new Emitter<ConnectionState>();
  private off: (() => void) | null = null;
  private connectedOnce = false;

  constructor(
    private readonly runtime: WailsRuntime,
    fetchImpl: FetchLike,
    baseUrl = '',
  ) {
    this.rest = new RestClient(fetchImpl, baseUrl);
  }

  request<T>(req: HttpRequest): Promise<T> {
    return this.rest.request<T>(req);
  }

  setCsrfToken(token: string | null): void {
    this.rest.setCsrfToken(token);
  }

  subscribe(handler: LiveHandler): () => void {
    return this.live.on(handler);
  }

  onConnectionState(handler: (s: ConnectionState) => void): () => void {
    return this.state.on(handler);
  }

  connect(): void {
    if (this.off) return;
    this.off = this.runtime.EventsOn(desktopEventName, (...data: unknown[]) => {
      const ev = parseLiveEvent(data[0]);
      if (ev) this.live.emit(ev);
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
}
