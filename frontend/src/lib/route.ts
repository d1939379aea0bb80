// Hash routes (work the same from `airlock serve` and in the desktop window's wails:// origin).

export type Route =
  | { name: 'login'; next: string }
  | { name: 'home' }
  | { name: 'copiloted' }
  | { name: 'allWorkspaces' }
  | { name: 'reviews' }
  | { name: 'help'; topic: string }
  | { name: 'workspace'; workspace: string; path: string }
  | { name: 'workspaceRequests'; workspace: string }
  | { name: 'request'; id: string; group: string; path: string }
  | { name: 'notFound' };

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segs = pathPart.split('/').filter(Boolean).map(dec);
  const query = new URLSearchParams(queryPart);
  if (segs.length === 0) return { name: 'home' };
  switch (segs[0]) {
    case 'login': {
      const next = query.get('next') ?? '';
      // only internal routes (docs/reference/ui.md §1.5: never //host or a full URL)
      return { name: 'login', next: next.startsWith('/') && !next.startsWith('//') ? next : '' };
    }
    case 'copiloted':
      return { name: 'copiloted' };
    case 'all-workspaces':
      return { name: 'allWorkspaces' };
    case 'reviews':
      return { name: 'reviews' };
    case 'help':
      return { name: 'help', topic: segs[1] ?? '' };
    case 'workspaces':
      if (segs.length < 2) return { name: 'home' };
      return { name: 'workspace', workspace: segs[1], path: segs.slice(2).join('/') };
    case 'workspace-requests':
      if (segs.length < 2) return { name: 'notFound' };
      return { name: 'workspaceRequests', workspace: segs[1] };
    case 'requests':
      if (segs.length < 2) return { name: 'home' };
      return { name: 'request', id: segs[1], group: segs[2] ?? '', path: segs.slice(3).join('/') };
    default:
      return { name: 'notFound' };
  }
}

const enc = (p: string) => p.split('/').filter(Boolean).map(encodeURIComponent).join('/');

export const href = {
  home: () => '#/',
  copiloted: () => '#/copiloted',
  allWorkspaces: () => '#/all-workspaces',
  reviews: () => '#/reviews',
  help: (topic = '') => (topic ? `#/help/${encodeURIComponent(topic)}` : '#/help'),
  login: (next = '') => (next ? `#/login?next=${encodeURIComponent(next)}` : '#/login'),
  workspace: (ws: string, path = '') => `#/workspaces/${encodeURIComponent(ws)}${path ? '/' + enc(path) : ''}`,
  workspaceRequests: (ws: string) => `#/workspace-requests/${encodeURIComponent(ws)}`,
  request: (id: string, group = '', path = '') =>
    `#/requests/${encodeURIComponent(id)}${group ? '/' + encodeURIComponent(group) : ''}${group && path ? '/' + enc(path) : ''}`,
};

let keepNext = false;

/**
 * Goes to h. keepMessages: the move is the consequence of what the user just did (a file
 * withdrawn from the group shown, files added), so the messages about it stay; any other
 * move (a link, the keyboard, the back button) clears them (App, moveOn).
 */
export function navigate(h: string, keepMessages = false): void {
  if (location.hash === h) return;
  keepNext = keepMessages;
  location.hash = h;
}

/** Whether the route change under way should keep the messages (read once, by App). */
export function takeKeepMessages(): boolean {
  const k = keepNext;
  keepNext = false;
  return k;
}
