import { describe, expect, it } from 'vitest';
import {
  MAX_SCROLL_PX,
  PageCache,
  ariaSort,
  bodyHeight,
  countMessage,
  nextSort,
  pagesFor,
  queryKey,
  toggleHidden,
  visibleColumns,
  visibleWindow,
} from './csvgrid';

describe('virtual window', () => {
  const layout = { rowHeight: 24, totalRows: 5000, overscan: 5 };

  it('draws the first screen at the top', () => {
    const w = visibleWindow({ scrollTop: 0, height: 480 }, layout);
    expect(w.first).toBe(0);
    expect(w.last).toBe(25);
    expect(w.offsetTop).toBe(0);
    expect(w.bodyHeight).toBe(5000 * 24);
  });

  it('follows the scroll position with overscan', () => {
    const w = visibleWindow({ scrollTop: 24 * 1000 + 10, height: 480 }, layout);
    expect(w.first).toBe(995);
    expect(w.last).toBe(1025);
    expect(w.offsetTop).toBe(995 * 24);
  });

  it('clamps at the end and handles empty tables', () => {
    const w = visibleWindow({ scrollTop: 1e9, height: 480 }, layout);
    expect(w.last).toBe(4999);
    expect(visibleWindow({ scrollTop: 0, height: 480 }, { ...layout, totalRows: 0 })).toEqual({ first: 0, last: -1, bodyHeight: 0, offsetTop: 0 });
  });

  it('scales a million rows into a scrollable height and still reaches the last row', () => {
    const big = { rowHeight: 24, totalRows: 1_000_000, overscan: 5 };
    expect(bodyHeight(big.totalRows, big.rowHeight)).toBe(MAX_SCROLL_PX);
    const top = visibleWindow({ scrollTop: 0, height: 480 }, big);
    expect(top.first).toBe(0);
    const end = visibleWindow({ scrollTop: MAX_SCROLL_PX - 480, height: 480 }, big);
    expect(end.last).toBe(999_999);
    expect(end.offsetTop + (end.last - end.first + 1) * 24).toBeLessThanOrEqual(MAX_SCROLL_PX + 24 * 6);
    const middle = visibleWindow({ scrollTop: (MAX_SCROLL_PX - 480) / 2, height: 480 }, big);
    expect(middle.first).toBeGreaterThan(499_000);
    expect(middle.first).toBeLessThan(501_000);
  });
});

describe('page cache', () => {
  it('lists the pages a window needs', () => {
    expect(pagesFor(0, 30, 200)).toEqual([0]);
    expect(pagesFor(190, 410, 200)).toEqual([0, 1, 2]);
    expect(pagesFor(5, 4)).toEqual([]);
  });

  it('fetches each page once and serves rows from it', () => {
    const c = new PageCache(10, 3);
    c.reset('k');
    expect(c.missing(0, 25)).toEqual([0, 1, 2]);
    c.markPending(0);
    c.markPending(1);
    expect(c.missing(0, 25)).toEqual([2]);
    const rows = Array.from({ length: 10 }, (_, i) => [String(i)]);
    expect(c.put('k', 0, rows)).toBe(true);
    expect(c.row(7)).toEqual(['7']);
    expect(c.row(12)).toBeUndefined();
  });

  it('ignores pages that answer an older query', () => {
    const c = new PageCache(10, 3);
    c.reset(queryKey({ sort: null, desc: false, q: '' }));
    c.markPending(0);
    const old = c.currentKey;
    expect(c.reset(queryKey({ sort: 2, desc: false, q: '' }))).toBe(true);
    expect(c.put(old, 0, [['stale']])).toBe(false);
    expect(c.row(0)).toBeUndefined();
    expect(c.missing(0, 5)).toEqual([0]);
    expect(c.reset(c.currentKey)).toBe(false);
  });

  it('keeps memory bounded by dropping the least recently used page', () => {
    const c = new PageCache(1, 2);
    c.reset('k');
    c.put('k', 0, [['a']]);
    c.put('k', 1, [['b']]);
    c.row(0); // page 0 now most recent
    c.put('k', 2, [['c']]);
    expect(c.size).toBe(2);
    expect(c.row(0)).toEqual(['a']);
    expect(c.row(1)).toBeUndefined();
  });

  it('keeps the file row numbers the server sends', () => {
    const c = new PageCache(2, 3);
    c.reset('k');
    c.put('k', 0, [['b'], ['a']], [7, 3]);
    c.put('k', 1, [['c'], ['d']]);
    expect(c.fileIndex(0)).toBe(7);
    expect(c.fileIndex(1)).toBe(3);
    expect(c.fileIndex(2)).toBe(2);
  });

  it('a failed page can be fetched again', () => {
    const c = new PageCache(10, 3);
    c.reset('k');
    c.markPending(0);
    c.fail('k', 0);
    expect(c.missing(0, 1)).toEqual([0]);
  });
});

describe('sort, columns, messages', () => {
  it('sorts ascending first, flips on the same column, row numbers restore file order', () => {
    let q = { sort: null as number | null, desc: false, q: '' };
    expect(ariaSort(q, null)).toBe('ascending');
    q = { ...q, ...nextSort(q, 2) };
    expect(q).toMatchObject({ sort: 2, desc: false });
    expect(ariaSort(q, 2)).toBe('ascending');
    expect(ariaSort(q, null)).toBe('none');
    q = { ...q, ...nextSort(q, 2) };
    expect(q).toMatchObject({ sort: 2, desc: true });
    expect(ariaSort(q, 2)).toBe('descending');
    q = { ...q, ...nextSort(q, 0) };
    expect(q).toMatchObject({ sort: 0, desc: false });
    q = { ...q, ...nextSort(q, null) };
    expect(q).toMatchObject({ sort: null, desc: false });
  });

  it('hides and restores columns one at a time', () => {
    let hidden = toggleHidden(new Set(), 1);
    hidden = toggleHidden(hidden, 3);
    expect(visibleColumns(5, hidden)).toEqual([0, 2, 4]);
    hidden = toggleHidden(hidden, 1);
    expect(visibleColumns(5, hidden)).toEqual([0, 1, 2, 4]);
  });

  it('words the row count like the reference', () => {
    expect(countMessage(5000, 5000, false)).toBe('Showing all 5,000 rows');
    expect(countMessage(5000, 12, true)).toBe('Showing 12 rows (out of 5,000)');
    expect(countMessage(5000, 0, true)).toBe('No results match');
    expect(countMessage(201, 201, false, false)).toBe('Showing the first 200 rows (counting the rest…)');
  });
});
