import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './route';

describe('routes', () => {
  it('round-trips workspace and request paths with odd names', () => {
    const h = href.workspace('my ws', 'output/a b#c.csv');
    expect(parseRoute(h)).toEqual({ name: 'workspace', workspace: 'my ws', path: 'output/a b#c.csv' });
    const r = href.request('01ABC', 'group one', 'out/x.csv');
    expect(parseRoute(r)).toEqual({ name: 'request', id: '01ABC', group: 'group one', path: 'out/x.csv' });
    expect(parseRoute(href.request('01ABC'))).toEqual({ name: 'request', id: '01ABC', group: '', path: '' });
  });
  it('only honours internal next targets', () => {
    expect(parseRoute('#/login?next=%2Freviews')).toEqual({ name: 'login', next: '/reviews' });
    expect(parseRoute('#/login?next=%2F%2Fevil.example')).toEqual({ name: 'login', next: '' });
    expect(parseRoute('#/login?next=https%3A%2F%2Fevil')).toEqual({ name: 'login', next: '' });
  });
  it('defaults to home and knows unknown pages', () => {
    expect(parseRoute('')).toEqual({ name: 'home' });
    expect(parseRoute('#/nope')).toEqual({ name: 'notFound' });
  });
});

describe('all workspaces route', () => {
  it('parses and builds #/all-workspaces', () => {
    expect(parseRoute(href.allWorkspaces())).toEqual({ name: 'allWorkspaces' });
  });
});
