// Typed calls of docs/api.md over a Transport. Pages and stores call these; nothing else.
import { encodePath, type SaveResult, type Transport } from './transport';
import type {
  Acro,
  AuditEvent,
  Comment,
  AllWorkspaces,
  FileChanges,
  FileDetail,
  FileType,
  LogView,
  Request,
  RequestSummary,
  Session,
  Status,
  Summary,
  TablePage,
  TreeLevel,
  Visibility,
  WorkspaceSummary,
} from './types';

/** Where a file lives: a workspace's current content or a request's stored copy. */
export type FileSource = { kind: 'workspace'; workspace: string } | { kind: 'request'; requestId: string };

export interface TableQuery {
  offset: number;
  limit: number;
  sort?: number | null;
  desc?: boolean;
  q?: string;
}

function base(src: FileSource): string {
  return src.kind === 'workspace'
    ? `/api/v1/workspaces/${encodeURIComponent(src.workspace)}`
    : `/api/v1/requests/${encodeURIComponent(src.requestId)}`;
}

export class Api {
  constructor(readonly transport: Transport) {}

  // --- authentication
  async login(username: string, token: string): Promise<Session> {
    const s = await this.transport.login(username, token);
    this.transport.setCsrfToken(s.csrfToken);
    return s;
  }

  async me(): Promise<Session> {
    const s = await this.transport.request<Session>({ method: 'GET', path: '/api/v1/auth/me' });
    this.transport.setCsrfToken(s.csrfToken);
    return s;
  }

  async logout(): Promise<void> {
    try {
      await this.transport.logout();
    } finally {
      this.transport.setCsrfToken(null);
    }
  }

  // --- workspaces
  async workspaces(): Promise<WorkspaceSummary[]> {
    const r = await this.transport.request<{ workspaces: WorkspaceSummary[] }>({ method: 'GET', path: '/api/v1/workspaces' });
    return r.workspaces ?? [];
  }

  /** Every workspace, grouped by project (output checkers and read-only users). */
  allWorkspaces(q = ''): Promise<AllWorkspaces> {
    return this.transport.request({ method: 'GET', path: '/api/v1/all-workspaces', query: { q: q || undefined } });
  }

  workspace(ws: string): Promise<WorkspaceSummary> {
    return this.transport.request({ method: 'GET', path: `/api/v1/workspaces/${encodeURIComponent(ws)}` });
  }

  tree(ws: string, dir = '', includeOutOfDate = false): Promise<TreeLevel> {
    const tail = dir ? `/${encodePath(dir)}` : '';
    return this.transport.request({
      method: 'GET',
      path: `/api/v1/workspaces/${encodeURIComponent(ws)}/tree${tail}`,
      query: includeOutOfDate ? { outOfDate: '1' } : undefined,
    });
  }

  fileDetail(ws: string, path: string): Promise<FileDetail> {
    return this.transport.request({ method: 'GET', path: `/api/v1/workspaces/${encodeURIComponent(ws)}/files/${encodePath(path)}` });
  }

  /** URL of a file's raw bytes, for <img> and sandboxed <iframe> (never fetched by script). */
  contentUrl(src: FileSource, path: string, download = false): string {
    return `${base(src)}/content/${encodePath(path)}${download ? '?download=1' : ''}`;
  }

  /**
   * An output checker's download of a request's file (audited): in a browser the browser's
   * own download; in the desktop window the native save dialog. Rejects with the API's reason.
   */
  saveRequestFile(requestId: string, path: string): Promise<SaveResult> {
    return this.transport.saveFile({ requestId, path, url: this.contentUrl({ kind: 'request', requestId }, path, true) });
  }

  /** The raw text of a file (text, JSON, logs, markdown shown as text). */
  text(src: FileSource, path: string): Promise<string> {
    return this.transport.request<string>({ method: 'GET', path: `${base(src)}/content/${encodePath(path)}`, responseType: 'text' });
  }

  table(src: FileSource, path: string, q: TableQuery): Promise<TablePage> {
    return this.transport.request({
      method: 'GET',
      path: `${base(src)}/table/${encodePath(path)}`,
      query: {
        offset: q.offset,
        limit: q.limit,
        sort: q.sort ?? undefined,
        desc: q.desc ? '1' : undefined,
        q: q.q || undefined,
      },
    });
  }

  /** The viewable part of a log: the last 10,000 characters above the job summary, and the summary. */
  log(src: FileSource, path: string): Promise<LogView> {
    return this.transport.request({ method: 'GET', path: `${base(src)}/log/${encodePath(path)}` });
  }

  summary(src: FileSource, path: string): Promise<Summary> {
    return this.transport.request({ method: 'GET', path: `${base(src)}/summary/${encodePath(path)}` });
  }

  /** What changed in a request file since its reviewers last voted on it. */
  changes(requestId: string, path: string): Promise<FileChanges> {
    return this.transport.request({ method: 'GET', path: `/api/v1/requests/${encodeURIComponent(requestId)}/changes/${encodePath(path)}` });
  }

  /** What ACRO recorded about the file, its checksum verified; null when no ACRO results file names it. */
  async acro(src: FileSource, path: string): Promise<Acro | null> {
    const r = await this.transport.request<{ acro: Acro | null }>({ method: 'GET', path: `${base(src)}/acro/${encodePath(path)}` });
    return r.acro;
  }

  // --- requests
  createRequest(workspace: string): Promise<Request> {
    return this.transport.request({ method: 'POST', path: '/api/v1/requests', body: { workspace } });
  }

  async requests(q: { workspace?: string; status?: Status[]; scope?: 'mine' | 'review'; org?: string } = {}): Promise<RequestSummary[]> {
    const r = await this.transport.request<{ requests: RequestSummary[] }>({
      method: 'GET',
      path: '/api/v1/requests',
      query: { workspace: q.workspace, status: q.status, scope: q.scope, org: q.org || undefined },
    });
    return r.requests ?? [];
  }

  request(id: string): Promise<Request> {
    return this.transport.request({ method: 'GET', path: `/api/v1/requests/${encodeURIComponent(id)}` });
  }

  private post<T = Request>(id: string, tail: string, body?: unknown): Promise<T> {
    return this.transport.request<T>({ method: 'POST', path: `/api/v1/requests/${encodeURIComponent(id)}${tail}`, body });
  }

  addFiles(id: string, group: string, files: { path: string; fileType: FileType }[]): Promise<Request> {
    return this.post(id, '/files', { group, files });
  }

  updateFiles(id: string, paths: string[]): Promise<Request> {
    return this.post(id, '/files/update', { paths });
  }

  withdrawFiles(id: string, paths: string[]): Promise<Request> {
    return this.post(id, '/files/withdraw', { paths });
  }

  changeFileProperties(id: string, paths: string[], change: { group?: string; fileType?: FileType }): Promise<Request> {
    return this.post(id, '/files/properties', { paths, ...change });
  }

  editGroup(id: string, group: string, context: string, controls: string): Promise<Request> {
    return this.transport.request({
      method: 'PATCH',
      path: `/api/v1/requests/${encodeURIComponent(id)}/groups/${encodeURIComponent(group)}`,
      body: { context, controls },
    });
  }

  async addComment(id: string, group: string, text: string, visibility: Visibility): Promise<Comment> {
    const r = await this.post<{ comment: Comment }>(id, `/groups/${encodeURIComponent(group)}/comments`, { text, visibility });
    return r.comment;
  }

  deleteComment(id: string, commentId: string): Promise<Request> {
    return this.transport.request({
      method: 'DELETE',
      path: `/api/v1/requests/${encodeURIComponent(id)}/comments/${encodeURIComponent(commentId)}`,
    });
  }

  publishComment(id: string, commentId: string): Promise<Request> {
    return this.post(id, `/comments/${encodeURIComponent(commentId)}/publish`);
  }

  /** acknowledgement: the note approving a file with BLOCK warnings needs (its approve action says when) */
  vote(id: string, paths: string[], vote: 'APPROVED' | 'CHANGES_REQUESTED' | 'RESET', acknowledgement?: string): Promise<Request> {
    return this.post(id, '/votes', acknowledgement ? { paths, vote, acknowledgement } : { paths, vote });
  }

  /** submit | withdraw | review | return | reject | release */
  act(id: string, action: 'submit' | 'withdraw' | 'review' | 'return' | 'reject' | 'release'): Promise<Request> {
    return this.post(id, `/${action}`);
  }

  async activity(id: string, group?: string): Promise<AuditEvent[]> {
    const r = await this.transport.request<{ events: AuditEvent[] }>({
      method: 'GET',
      path: `/api/v1/requests/${encodeURIComponent(id)}/activity`,
      query: { group },
    });
    return r.events ?? [];
  }
}
