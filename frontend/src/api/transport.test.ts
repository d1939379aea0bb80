import { describe, expect, it } from 'vitest';
import { Api } from './client';
import { DesktopTransport, desktopBindings, desktopEventName, wailsRuntime, type DesktopBindings, type WailsRuntime } from './desktop';
import { ApiError, parseHttpError, parseRejection } from './errors';
import { createTransport } from './index';
import { buildQuery, encodePath, parseLiveEvent, type FetchLike } from './transport';
import { shellReporter } from './shell';
import type { DesktopView, LiveEvent, Session } from './types';
import { WebTransport, reconnectDelay, type SocketLike } from './web';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fake backend: answers by "METHOD path" and records every call. */
function fakeFetch(routes: Record<string, (call: Call) => Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const f: FetchLike = async (url, init) => {
    const call = { url, init };
    calls.push(call);
    const key = `${init.method} ${url.split('?')[0]}`;
    const h = routes[key];
    if (!h) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route ' + key } }), { status: 404 });
    return h(call);
  };
  return { fetch: f, calls };
}

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  send(v: unknown) {
    this.onmessage?.({ data: JSON.stringify(v) });
  }
  drop() {
    this.onclose?.({});
  }
}

function harness(fetchImpl: FetchLike = fakeFetch({}).fetch) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; id: number; cleared: boolean }[] = [];
  const t = new WebTransport({
    fetch: fetchImpl,
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    socketBase: 'ws://host:1',
    setTimeout: (fn, ms) => {
      const timer = { fn, ms, id: timers.length, cleared: false };
      timers.push(timer);
      return timer.id;
    },
    clearTimeout: (id) => {
      const timer = timers[id as number];
      if (timer) timer.cleared = true;
    },
    random: () => 1,
  });
  const fire = () => {
    const next = timers.find((x) => !x.cleared);
    if (!next) throw new Error('no timer');
    next.cleared = true;
    next.fn();
    return next.ms;
  };
  return { t, sockets, timers, fire };
}

describe('REST', () => {
  it('logs in without a CSRF header, then sends the token on unsafe methods only', async () => {
    const { fetch, calls } = fakeFetch({
      'POST /api/v1/auth/login': () => json({ user: { username: 'alice' }, csrfToken: 'tok-1' }),
      'GET /api/v1/workspaces': () => json({ workspaces: [] }),
      'POST /api/v1/requests/R1/submit': () => json({ id: 'R1', status: 'SUBMITTED' }),
    });
    const a = new Api(harness(fetch).t);
    const s = await a.login('alice', 'three random words');
    expect(s.user.username).toBe('alice');
    const loginHeaders = calls[0].init.headers as Record<string, string>;
    expect(loginHeaders['X-CSRF-Token']).toBeUndefined();
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ username: 'alice', token: 'three random words' });
    expect(calls[0].init.credentials).toBe('same-origin');

    await a.workspaces();
    expect((calls[1].init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();

    const r = await a.act('R1', 'submit');
    expect(r.status).toBe('SUBMITTED');
    expect((calls[2].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok-1');
  });

  it('takes the CSRF token from me() too, and forgets it at logout', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /api/v1/auth/me': () => json({ user: { username: 'bob' }, csrfToken: 'tok-me' }),
      'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
      'POST /api/v1/requests': () => json({ id: 'R2' }, 201),
    });
    const a = new Api(harness(fetch).t);
    await a.me();
    await a.createRequest('ws1');
    expect((calls[1].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok-me');
    await a.logout();
    await a.createRequest('ws1');
    expect((calls[3].init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });

  it('rejects with ApiError {code, message} from the error body', async () => {
    const { fetch } = fakeFetch({
      'POST /api/v1/auth/login': () => json({ error: { code: 'unauthenticated', message: 'Invalid user or token' } }, 401),
      'POST /api/v1/requests/R1/submit': () =>
        json({ error: { code: 'invalid_state', message: "Incomplete context and/or controls for filegroup(s): 'g1'" } }, 409),
    });
    const a = new Api(harness(fetch).t);
    await expect(a.login('x', 'y')).rejects.toMatchObject({ code: 'unauthenticated', message: 'Invalid user or token', status: 401 });
    const err = await a.act('R1', 'submit').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('invalid_state');
  });

  it('maps a network failure and an unreadable error body to ApiError', async () => {
    const failing: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(new Api(harness(failing).t).workspaces()).rejects.toMatchObject({ code: 'network' });
    expect(parseHttpError(502, '<html>bad gateway</html>').code).toBe('internal');
    expect(parseHttpError(429, '').code).toBe('rate_limited');
  });

  it('encodes file paths segment by segment and repeats array query keys', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /api/v1/workspaces/my%20ws/table/output/a%20b%23c.csv': () =>
        json({ columns: ['a'], rows: [['1']], totalRows: 1, matchedRows: 1, offset: 0 }),
      'GET /api/v1/requests': () => json({ requests: [] }),
    });
    const a = new Api(harness(fetch).t);
    await a.table({ kind: 'workspace', workspace: 'my ws' }, 'output/a b#c.csv', { offset: 200, limit: 200, sort: 3, desc: true, q: 'x y' });
    expect(calls[0].url).toBe('/api/v1/workspaces/my%20ws/table/output/a%20b%23c.csv?offset=200&limit=200&sort=3&desc=1&q=x+y');
    await a.requests({ status: ['SUBMITTED', 'REVIEWED'], scope: 'review' });
    expect(calls[1].url).toBe('/api/v1/requests?status=SUBMITTED&status=REVIEWED&scope=review');
    expect(encodePath('/a/b c/d%.csv')).toBe('a/b%20c/d%25.csv');
    expect(buildQuery({ a: undefined, b: '' })).toBe('');
  });

  it('asks the log route for the viewable part of a log, for workspace and request files', async () => {
    const view = { text: 'last lines\n', summary: '=============JOB SUMMARY=============\nok\n', truncated: true, size: 123456 };
    const { fetch, calls } = fakeFetch({
      'GET /api/v1/workspaces/ws/log/metadata/job%201.log': () => json(view),
      'GET /api/v1/requests/R1/log/logs/run.log': () => json({ ...view, truncated: false }),
    });
    const a = new Api(harness(fetch).t);
    expect(await a.log({ kind: 'workspace', workspace: 'ws' }, 'metadata/job 1.log')).toEqual(view);
    expect((await a.log({ kind: 'request', requestId: 'R1' }, 'logs/run.log')).truncated).toBe(false);
    expect(calls.map((c) => c.init.method)).toEqual(['GET', 'GET']);
  });

  it('returns file content as text without parsing it', async () => {
    const { fetch } = fakeFetch({
      'GET /api/v1/requests/R1/content/out/x.json': () => new Response('{"not": "parsed"}', { status: 200 }),
    });
    const a = new Api(harness(fetch).t);
    expect(await a.text({ kind: 'request', requestId: 'R1' }, 'out/x.json')).toBe('{"not": "parsed"}');
    expect(a.contentUrl({ kind: 'request', requestId: 'R1' }, 'out/x.json', true)).toBe('/api/v1/requests/R1/content/out/x.json?download=1');
  });
});

describe('live events over the WebSocket', () => {
  it('connects to /api/v1/events and delivers parsed events', () => {
    const { t, sockets } = harness();
    const got: LiveEvent[] = [];
    t.subscribe((e) => got.push(e));
    t.connect();
    expect(sockets[0].url).toBe('ws://host:1/api/v1/events');
    sockets[0].open();
    sockets[0].send({ type: 'hello', user: 'alice' });
    sockets[0].send({ type: 'request.changed', requestId: 'R1', workspace: 'ws1', status: 'SUBMITTED' });
    sockets[0].send({ type: 'workspace.changed', workspace: 'ws1', paths: ['output/a.csv'] });
    sockets[0].send({ type: 'something.else' });
    sockets[0].onmessage?.({ data: 'not json' });
    expect(got).toEqual([
      { type: 'hello', user: 'alice' },
      { type: 'request.changed', requestId: 'R1', workspace: 'ws1', status: 'SUBMITTED' },
      { type: 'workspace.changed', workspace: 'ws1', paths: ['output/a.csv'] },
    ]);
  });

  it('reconnects with growing back-off and asks views to refetch after reconnecting', () => {
    const { t, sockets, fire } = harness();
    const got: string[] = [];
    t.subscribe((e) => got.push(e.type));
    t.connect();
    sockets[0].open();
    sockets[0].send({ type: 'hello', user: 'a' });
    sockets[0].drop();
    const d1 = fire();
    expect(sockets).toHaveLength(2);
    sockets[1].drop(); // server still down
    const d2 = fire();
    sockets[2].drop();
    const d3 = fire();
    expect(d1).toBeLessThan(d2);
    expect(d2).toBeLessThan(d3);
    sockets[3].open();
    sockets[3].send({ type: 'hello', user: 'a' });
    expect(got).toEqual(['hello', 'hello', 'reconnected']);
    // back-off reset after a good connection
    sockets[3].drop();
    expect(fire()).toBe(d1);
  });

  it('stops reconnecting after disconnect', () => {
    const { t, sockets, timers } = harness();
    t.connect();
    sockets[0].open();
    sockets[0].drop();
    t.disconnect();
    expect(timers.every((x) => x.cleared)).toBe(true);
    expect(sockets).toHaveLength(1);
    t.connect();
    expect(sockets).toHaveLength(2);
    sockets[1].send({ type: 'hello', user: 'a' });
  });

  it('caps the back-off', () => {
    expect(reconnectDelay(0, () => 1)).toBe(250);
    expect(reconnectDelay(50, () => 1)).toBe(15000);
    expect(reconnectDelay(50, () => 0)).toBe(11250);
  });

  it('parses only well-formed events', () => {
    expect(parseLiveEvent('{"type":"request.changed"}')).toBeNull();
    expect(parseLiveEvent({ type: 'workspace.changed', workspace: 'w' })).toEqual({ type: 'workspace.changed', workspace: 'w', paths: [] });
  });
});

describe('desktop transport', () => {
  function fakeRuntime() {
    const handlers = new Map<string, (...d: unknown[]) => void>();
    const rt: WailsRuntime = {
      EventsOn(name, cb) {
        handlers.set(name, cb);
        return () => handlers.delete(name);
      },
    };
    return { rt, handlers };
  }

  it('is chosen when window.runtime exists, the web one otherwise', () => {
    const { rt } = fakeRuntime();
    expect(createTransport({ runtime: rt }).kind).toBe('desktop');
    expect(wailsRuntime({})).toBeNull();
    expect(wailsRuntime({ runtime: {} })).toBeNull();
  });

  it('delivers Wails events as live events and uses the same REST with CSRF', async () => {
    const { rt, handlers } = fakeRuntime();
    const { fetch, calls } = fakeFetch({
      'POST /api/v1/requests/R9/votes': () => json({ id: 'R9' }),
    });
    const logins: string[] = [];
    const bindings: DesktopBindings = {
      SaveRequestFile: async () => '',
      Login: async (username) => {
        logins.push(username);
        return { user: { username } as Session['user'], csrfToken: 'd-tok' };
      },
      Logout: async () => {},
      Showing: async () => {},
    };
    const t = new DesktopTransport(rt, fetch, () => bindings);
    const got: LiveEvent[] = [];
    t.subscribe((e) => got.push(e));
    t.connect();
    handlers.get(desktopEventName)?.({ type: 'request.changed', requestId: 'R9', workspace: 'w', status: 'RETURNED' });
    handlers.get(desktopEventName)?.(JSON.stringify({ type: 'workspace.changed', workspace: 'w', paths: ['a'] }));
    expect(got.map((e) => e.type)).toEqual(['request.changed', 'workspace.changed']);
    const a = new Api(t);
    // The shell logs the window in (the webview keeps no cookies): no HTTP login.
    await a.login('c', 'x');
    expect(logins).toEqual(['c']);
    await a.vote('R9', ['a.csv'], 'APPROVED');
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/requests/R9/votes']);
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('d-tok');
    t.disconnect();
    expect(handlers.size).toBe(0);
    t.connect();
    expect(got.at(-1)).toEqual({ type: 'reconnected' });
  });

  it('refetches after a hello: the attach-mode WebSocket of the desktop process reconnected', () => {
    const { rt, handlers } = fakeRuntime();
    const t = new DesktopTransport(rt, fakeFetch({}).fetch);
    const got: LiveEvent[] = [];
    t.subscribe((e) => got.push(e));
    t.connect();
    const emit = (v: unknown) => handlers.get(desktopEventName)?.(v);
    emit({ type: 'workspace.changed', workspace: 'w', paths: ['a.csv'] });
    expect(got.map((e) => e.type)).toEqual(['workspace.changed']);
    // app/remote.go delivers a hello (without a user) only after reconnecting
    emit({ type: 'hello' });
    expect(got.slice(1)).toEqual([{ type: 'hello', user: '' }, { type: 'reconnected' }]);
    emit({ type: 'request.changed', requestId: 'R1', workspace: 'w', status: 'SUBMITTED' });
    emit({ type: 'hello' });
    expect(got.map((e) => e.type)).toEqual(['workspace.changed', 'hello', 'reconnected', 'request.changed', 'hello', 'reconnected']);
    // nothing arrives once disconnected
    t.disconnect();
    emit({ type: 'hello' });
    expect(got).toHaveLength(6);
  });

  it('logs out through the shell, and rejects as the API does', async () => {
    const { rt } = fakeRuntime();
    let loggedOut = 0;
    const bindings: DesktopBindings = {
      SaveRequestFile: async () => '',
      Login: async () => {
        throw new Error('{"error":{"code":"unauthenticated","message":"Invalid user or token"}}');
      },
      Logout: async () => {
        loggedOut++;
      },
      Showing: async () => {},
    };
    const { fetch, calls } = fakeFetch({});
    const a = new Api(new DesktopTransport(rt, fetch, () => bindings));
    await expect(a.login('x', 'y')).rejects.toMatchObject({ code: 'unauthenticated', message: 'Invalid user or token' });
    await a.logout();
    expect(loggedOut).toBe(1);
    expect(calls).toHaveLength(0);
    // Without the bound methods the window cannot log in (and says so).
    await expect(new Api(new DesktopTransport(rt, fetch, () => null)).login('x', 'y')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('tells the shell what the window shows, once per view, and only in the desktop', () => {
    const views: DesktopView[] = [];
    const Desktop: DesktopBindings = {
      SaveRequestFile: async () => '',
      Login: async () => ({ user: { username: 'a' } as Session['user'], csrfToken: '' }),
      Logout: async () => {},
      Showing: async (v) => {
        views.push(v);
      },
    };
    const report = shellReporter({ go: { app: { Desktop } } });
    report({ user: 'alice', workspace: 'ws', request: '' });
    report({ user: 'alice', workspace: 'ws', request: '' });
    report({ user: 'alice', workspace: '', request: '' });
    report({ user: '', workspace: '', request: '' });
    expect(views).toEqual([
      { user: 'alice', workspace: 'ws', request: '' },
      { user: 'alice', workspace: '', request: '' },
      { user: '', workspace: '', request: '' },
    ]);
    expect(() => shellReporter({})({ user: 'alice', workspace: 'ws', request: '' })).not.toThrow();
  });

  it('finds the bound Go methods at window.go.app.Desktop', () => {
    const Desktop: DesktopBindings = {
      SaveRequestFile: async () => '',
      Login: async () => ({ user: { username: 'a' } as Session['user'], csrfToken: '' }),
      Logout: async () => {},
      Showing: async () => {},
    };
    expect(desktopBindings({ go: { app: { Desktop } } })).toBe(Desktop);
    expect(desktopBindings({})).toBeNull();
    expect(desktopBindings({ go: { app: { Desktop: {} } } })).toBeNull();
  });
});

describe('binding rejections', () => {
  it('parses Error(JSON) as Wails v2.15 rejects a failed bound call', () => {
    // app/bindings.go: the error's text is the API's error body; Wails: new Error(message.error)
    const e = parseRejection(new Error('{"error":{"code":"permission_denied","message":"You may not download this file"}}'));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('permission_denied');
    expect(e.message).toBe('You may not download this file');
    expect(parseRejection(new Error(' {"error":{"code":"unauthenticated","message":"Log in again"}}\n')).code).toBe('unauthenticated');
  });

  it('parses the same JSON as a plain string rejection (earlier Wails versions)', () => {
    const e = parseRejection('{"error":{"code":"not_found","message":"gone"}}');
    expect([e.code, e.message]).toEqual(['not_found', 'gone']);
    const flat = parseRejection('{"code":"permission_denied","message":"You may not"}');
    expect([flat.code, flat.message]).toEqual(['permission_denied', 'You may not']);
  });

  it('parses an already decoded {error:{code,message}} object', () => {
    const e = parseRejection({ error: { code: 'invalid_state', message: 'Not now' } });
    expect([e.code, e.message]).toEqual(['invalid_state', 'Not now']);
  });

  it('keeps the words of a rejection that is not our JSON, as internal, never as a network error', () => {
    const timeout = parseRejection(new Error('Call to app.Desktop.SaveRequestFile timed out. Request ID: x'));
    expect([timeout.code, timeout.message]).toEqual(['internal', 'Call to app.Desktop.SaveRequestFile timed out. Request ID: x']);
    expect(parseRejection('plain').code).toBe('internal');
    expect(parseRejection('plain').message).toBe('plain');
    // JSON without our fields, and broken JSON, are texts like any other
    expect(parseRejection(new Error('{"error":"nope"}')).code).toBe('internal');
    expect(parseRejection(new Error('{"error":{"code":')).message).toBe('{"error":{"code":');
    expect(parseRejection(new Error('')).message).toBe('Something went wrong. Please try again.');
    expect(parseRejection(undefined).code).toBe('internal');
    const same = new ApiError('conflict', 'exists');
    expect(parseRejection(same)).toBe(same);
  });
});
