// The transport interface: the only way the UI talks to the backend. Two implementations:
// web.ts (fetch + WebSocket) and desktop.ts (fetch + Wails events). Components never know
// which one runs, and never call fetch themselves.
import { ApiError, networkError, parseHttpError } from './errors';
import type { LiveEvent, Session, Status } from './types';

export type QueryValue = string | number | boolean | string[] | undefined | null;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under the server root, starting with /api/v1. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** 'text' resolves with the body as a string (file content), default 'json'. */
  responseType?: 'json' | 'text';
}

export type LiveHandler = (ev: LiveEvent) => void;

/** A request's stored file to save on this computer (an output checker's download). */
export interface FileToSave {
  requestId: string;
  /** The file's path on the request. */
  path: string;
  /** The API's download URL of the file (GET …/content/{path}?download=1). */
  url: string;
}

/** What saving a file did. */
export type SaveResult =
  /** desktop: written to path on this computer */
  | { outcome: 'saved'; path: string }
  /** desktop: the user closed the save dialog */
  | { outcome: 'cancelled' }
  /** web: the browser's own download has started (it asks where and shows progress) */
  | { outcome: 'started' };
export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly kind: 'web' | 'desktop';
  /** One REST call; resolves with the decoded JSON (undefined for 204), rejects with ApiError. */
  request<T>(req: HttpRequest): Promise<T>;
  /** Logs in (POST /auth/login on the web; the desktop shell logs the window in). */
  login(username: string, token: string): Promise<Session>;
  /** Ends the session (POST /auth/logout on the web; the desktop shell ends the window's). */
  logout(): Promise<void>;
  /** The CSRF token returned by login / me, sent on every unsafe method. */
  setCsrfToken(token: string | null): void;
  /** Receive live events (and a synthetic {type:'reconnected'} after a reconnect). */
  subscribe(handler: LiveHandler): () => void;
  /** Start / stop live updates (after login / at logout). */
  connect(): void;
  disconnect(): void;
  onConnectionState(handler: (s: ConnectionState) => void): () => void;
  /** Save a request's file on this computer; rejects with ApiError (the server's reason). */
  saveFile(file: FileToSave): Promise<SaveResult>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Builds the query string: arrays become repeated keys; undefined/null/false-less values are skipped. */
export function buildQuery(query?: Record<string, QueryValue>): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((item) => params.append(k, item));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Encodes a workspace-relative POSIX path as the tail of a URL, segment by segment. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

/** REST over fetch, shared by both transports (the desktop webview serves the same API). */
export class RestClient {
  private csrf: string | null = null;

  constructor(
    private readonly fetchImpl: FetchLike,
    private readonly baseUrl = '',
  ) {}

  setCsrfToken(token: string | null): void {
    this.csrf = token;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    return `${this.baseUrl}${path}${buildQuery(query)}`;
  }

  async request<T>(req: HttpRequest): Promise<T> {
    const headers: Record<string, string> = req.responseType === 'text' ? {} : { Accept: 'application/json' };
    const init: RequestInit = { method: req.method, credentials: 'same-origin', headers };
    if (req.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(req.body);
    }
    if (unsafe.has(req.method) && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(req.path, req.query), init);
    } catch {
      throw networkError();
    }
    const text = await res.text();
    if (!res.ok) throw parseHttpError(res.status, text);
    if (req.responseType === 'text') return text as T;
    if (res.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('internal', 'The server sent an answer that could not be read.', res.status);
    }
  }
}

/**
 * What both transports do alike: REST through a RestClient, and the fan-out of live events
 * and connection states. Each one starts and stops live updates, and saves files, its own way.
 */
export abstract class TransportBase implements Transport {
  abstract readonly kind: 'web' | 'desktop';
  protected readonly rest: RestClient;
  protected readonly live = new Emitter<LiveEvent>();
  protected readonly state = new Emitter<ConnectionState>();

  constructor(fetchImpl: FetchLike, baseUrl: string) {
    this.rest = new RestClient(fetchImpl, baseUrl);
  }

  request<T>(req: HttpRequest): Promise<T> {
    return this.rest.request<T>(req);
  }

  login(username: string, token: string): Promise<Session> {
    return this.rest.request<Session>({ method: 'POST', path: '/api/v1/auth/login', body: { username, token } });
  }

  async logout(): Promise<void> {
    await this.rest.request<void>({ method: 'POST', path: '/api/v1/auth/logout' });
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

  abstract connect(): void;
  abstract disconnect(): void;
  abstract saveFile(file: FileToSave): Promise<SaveResult>;
}

/** A small fan-out shared by both transports. */
export class Emitter<T> {
  private handlers = new Set<(v: T) => void>();

  on(h: (v: T) => void): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  emit(v: T): void {
    for (const h of [...this.handlers]) {
      try {
        h(v);
      } catch (err) {
        console.error('live handler failed', err);
      }
    }
  }

  get size(): number {
    return this.handlers.size;
  }
}

/** Parses one live frame; anything unknown is dropped. */
export function parseLiveEvent(data: unknown): LiveEvent | null {
  let v: unknown = data;
  if (typeof data === 'string') {
    try {
      v = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (!v || typeof v !== 'object') return null;
  const ev = v as Record<string, unknown>;
  switch (ev.type) {
    case 'hello':
      return { type: 'hello', user: String(ev.user ?? '') };
    case 'request.changed':
      if (typeof ev.requestId !== 'string') return null;
      return {
        type: 'request.changed',
        requestId: ev.requestId,
        workspace: String(ev.workspace ?? ''),
        status: String(ev.status ?? '') as Status,
      };
    case 'workspace.changed':
      if (typeof ev.workspace !== 'string') return null;
      return {
        type: 'workspace.changed',
        workspace: ev.workspace,
        paths: Array.isArray(ev.paths) ? ev.paths.map(String) : [],
      };
    default:
      return null;
  }
}
