// Web transport: fetch with the session cookie and X-CSRF-Token, and a WebSocket on
// /api/v1/events that reconnects with exponential back-off and tells subscribers to refetch.
import { TransportBase, parseLiveEvent, type FetchLike, type FileToSave, type SaveResult } from './transport';

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface WebDeps {
  fetch: FetchLike;
  socket: (url: string) => SocketLike;
  /** ws(s)://host of the server. */
  socketBase: string;
  baseUrl?: string;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (id: unknown) => void;
  random?: () => number;
  /** Starts the browser's download of url (saved as name by default). */
  download?: (url: string, name: string) => void;
}

export const backoff = { initialMs: 250, maxMs: 15000, factor: 2 };

/** Delay before reconnect attempt n (0-based): doubling, capped, with up to 25% jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, attempt));
  return Math.round(base * (0.75 + 0.25 * random()));
}

export class WebTransport extends TransportBase {
  readonly kind = 'web' as const;
  private socket: SocketLike | null = null;
  private wanted = false;
  private attempt = 0;
  private everOpened = false;
  private timer: unknown = null;

  constructor(private readonly deps: WebDeps) {
    super(deps.fetch, deps.baseUrl ?? '');
  }

  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    this.open();
  }

  disconnect(): void {
    this.wanted = false;
    this.everOpened = false;
    if (this.timer !== null) this.deps.clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.state.emit('closed');
  }

  private open(): void {
    this.timer = null;
    if (!this.wanted) return;
    this.state.emit('connecting');
    let s: SocketLike;
    try {
      s = this.deps.socket(`${this.deps.socketBase}/api/v1/events`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      this.state.emit('open');
    };
    s.onmessage = (msg) => {
      if (this.socket !== s) return;
      const ev = parseLiveEvent(msg.data);
      if (!ev) return;
      if (ev.type === 'hello') {
        // A working connection: reset the back-off, and after a reconnect tell every view
        // to refetch what it shows (events may have been missed while we were away).
        this.attempt = 0;
        const reconnected = this.everOpened;
        this.everOpened = true;
        this.live.emit(ev);
        if (reconnected) this.live.emit({ type: 'reconnected' });
        return;
      }
      this.live.emit(ev);
    };
    s.onerror = () => {
      /* onclose follows */
    };
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.state.emit('closed');
      this.scheduleReconnect();
    };
  }

  /** The browser downloads the file itself (its Content-Disposition is attachment). */
  async saveFile(file: FileToSave): Promise<SaveResult> {
    const name = file.path.split('/').pop() || 'download';
    (this.deps.download ?? anchorDownload)(`${this.deps.baseUrl ?? ''}${file.url}`, name);
    return { outcome: 'started' };
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.timer !== null) return;
    const delay = reconnectDelay(this.attempt, this.deps.random);
    this.attempt++;
    this.timer = this.deps.setTimeout(() => this.open(), delay);
  }
}

/** Downloads url through a temporary <a download> (same origin: the session cookie goes with it). */
export function anchorDownload(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
  }
}

/** The web transport wired to the browser's globals. */
export function browserWebTransport(): WebTransport {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebTransport({
    fetch: (input, init) => fetch(input, init),
    socket: (url) => new WebSocket(url) as unknown as SocketLike,
    socketBase: `${proto}//${location.host}`,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  });
}
