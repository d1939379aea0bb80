import { describe, expect, it } from 'vitest';
import type { Entry } from '../api/types';
import { countText, nextSort, search, sortEntries } from './listing';

const e = (name: string, kind: 'dir' | 'file', size = 0, modifiedAt = '2026-01-01T00:00:00Z', status?: Entry['status']): Entry => ({
  name,
  path: `out/${name}`,
  kind,
  size,
  modifiedAt,
  status,
  allowedType: true,
  outOfDate: false,
});

const list = [e('b.csv', 'file', 300, '2026-01-03T00:00:00Z', 'UNRELEASED'), e('tables', 'dir'), e('A10.csv', 'file', 10, '2026-01-01T00:00:00Z', 'RELEASED'), e('a2.csv', 'file', 20, '2026-01-02T00:00:00Z', 'UNDER_REVIEW')];
const status = (x: Entry) => x.status ?? '';
const names = (l: Entry[]) => l.map((x) => x.name);

describe('folder listing', () => {
  it('searches names case-insensitively; blank shows all', () => {
    expect(names(search(list, ' a'))).toEqual(['tables', 'A10.csv', 'a2.csv']);
    expect(names(search(list, 'CSV'))).toEqual(['b.csv', 'A10.csv', 'a2.csv']);
    expect(search(list, '  ')).toHaveLength(4);
    expect(search(list, 'zzz')).toHaveLength(0);
  });
  it('sorts folders first, then by the column in either direction', () => {
    expect(names(sortEntries(list, { key: 'name', dir: 'asc' }, status))).toEqual(['tables', 'a2.csv', 'A10.csv', 'b.csv']);
    expect(names(sortEntries(list, { key: 'name', dir: 'desc' }, status))).toEqual(['tables', 'b.csv', 'A10.csv', 'a2.csv']);
    expect(names(sortEntries(list, { key: 'size', dir: 'desc' }, status))).toEqual(['tables', 'b.csv', 'a2.csv', 'A10.csv']);
    expect(names(sortEntries(list, { key: 'modified', dir: 'asc' }, status))).toEqual(['tables', 'A10.csv', 'a2.csv', 'b.csv']);
    expect(names(sortEntries(list, { key: 'status', dir: 'asc' }, status))).toEqual(['tables', 'A10.csv', 'a2.csv', 'b.csv']);
  });
  it('a click on the sorted column flips it, another column starts ascending', () => {
    expect(nextSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' });
    expect(nextSort({ key: 'name', dir: 'desc' }, 'size')).toEqual({ key: 'size', dir: 'asc' });
  });
  it('counts', () => {
    expect(countText(1, 1)).toBe('1 item');
    expect(countText(4, 4)).toBe('4 items');
    expect(countText(2, 4)).toBe('2 of 4 items');
  });
});
