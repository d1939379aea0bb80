import { describe, expect, it } from 'vitest';
import {
  MAX_SCROLL_PX,
  PageCache,
  ariaSort,
  bodyHeight,
  cellKey,
  cellMarks,
  cellTitle,
  countMessage,
  gridRows,
  nextSort,
  pagesFor,
  queryKey,
  toggleHidden,
  visibleColumns,
  visibleWindow,
} from './csvgrid';

const seq = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

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
    expect(c.put('k', 0, rows, seq(0, 10))).toBe(true);
    expect(c.row(7)).toEqual(['7']);
    expect(c.row(12)).toBeUndefined();
  });

  it('ignores pages that answer an older query', () => {
    const c = new PageCache(10, 3);
    c.reset(queryKey({ sort: null, desc: false, q: '' }));
    c.markPending(0);
    const old = c.currentKey;
    expect(c.reset(queryKey({ sort: 2, desc: false, q: '' }))).toBe(true);
    expect(c.put(old, 0, [['stale']], [0])).toBe(false);
    expect(c.row(0)).toBeUndefined();
    expect(c.missing(0, 5)).toEqual([0]);
    expect(c.reset(c.currentKey)).toBe(false);
  });

  it('keeps memory bounded by dropping the least recently used page', () => {
    const c = new PageCache(1, 2);
    c.reset('k');
    c.put('k', 0, [['a']], [0]);
    c.put('k', 1, [['b']], [1]);
    c.row(0); // page 0 now most recent
    c.put('k', 2, [['c']], [2]);
    expect(c.size).toBe(2);
    expect(c.row(0)).toEqual(['a']);
    expect(c.row(1)).toBeUndefined();
    expect(c.fileIndex(1)).toBeUndefined(); // dropped with its page
  });

  it('keeps the file row numbers the server sends', () => {
    const c = new PageCache(2, 3);
    c.reset('k');
    c.put('k', 0, [['b'], ['a']], [7, 3]);
    c.put('k', 1, [['c'], ['d']], [0, 9]);
    expect(c.fileIndex(0)).toBe(7);
    expect(c.fileIndex(1)).toBe(3);
    expect(c.fileIndex(2)).toBe(0);
    expect(c.fileIndex(3)).toBe(9);
    expect(c.fileIndex(4)).toBeUndefined(); // not loaded: never guessed from the position
  });

  it('refuses a page whose rows are not numbered (their marks could not be placed)', () => {
    const c = new PageCache(2, 3);
    c.reset('k');
    c.markPending(0);
    expect(() => c.put('k', 0, [['a'], ['b']], [0])).toThrow(/which rows/);
    expect(() => c.put('k', 0, [['a'], ['b']], undefined as unknown as number[])).toThrow(/which rows/);
    expect(c.row(0)).toBeUndefined();
    expect(c.missing(0, 1)).toEqual([0]); // can be asked for again
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

// The demo's admissions_by_age.csv (14 rows, columns age_band, sex, admissions, population,
// rate): the small counts 3 and 7 are the file's data rows 12 and 13, column 2.
const admissions = [
  ['18-29', 'F', '15', '10245'], ['18-29', 'M', '10', '10890'], ['30-39', 'F', '25', '9870'], ['30-39', 'M', '20', '9655'],
  ['40-49', 'F', '55', '9120'], ['40-49', 'M', '70', '9340'], ['50-59', 'F', '135', '8210'], ['50-59', 'M', '190', '8435'],
  ['60-69', 'F', '260', '6950'], ['60-69', 'M', '345', '6720'], ['70-79', 'F', '410', '4810'], ['70-79', 'M', '455', '4375'],
  ['80+', 'F', '3', '2905'], ['80+', 'M', '7', '1980'],
];
const warnings = [
  { rule: 'small-count', severity: 'BLOCK' as const, cells: [{ row: 12, column: 2 }, { row: 13, column: 2 }] },
  { rule: 'rounding', severity: 'WARN' as const, cells: [{ row: 12, column: 2 }, { row: 13, column: 2 }, { row: 1, column: 3 }] },
];

/** A cache holding one page answered for an order (the server's rows and their file numbers). */
function pageOf(order: number[], pageSize = 100, offset = 0): PageCache {
  const c = new PageCache(pageSize, 10);
  c.reset('q');
  const ids = order.slice(offset, offset + pageSize);
  c.put('q', offset / pageSize, ids.map((r) => admissions[r]), ids);
  return c;
}

/** What the grid shows: "#label: value[⚑]" per row for the shown columns. */
function shown(c: PageCache, first: number, last: number, columns: number[], fileOrder = false): string[] {
  return gridRows(c, first, last, columns, cellMarks(warnings), fileOrder).map(
    (r) => `${r.label}: ${(r.cells ?? []).map((x) => x.value + (x.mark ? `⚑${x.mark.severity}` : '')).join(' ')}`,
  );
}

describe('row numbers and marks follow the row of the file', () => {
  const byAdmissions = seq(0, 14).sort((a, b) => Number(admissions[a][2]) - Number(admissions[b][2]));

  it('merges the warnings of a cell, the most severe first', () => {
    const m = cellMarks(warnings);
    expect(m.get(cellKey(12, 2))).toEqual({ severity: 'BLOCK', rules: ['small-count', 'rounding'] });
    expect(m.get(cellKey(1, 3))).toEqual({ severity: 'WARN', rules: ['rounding'] });
    expect(m.has(cellKey(2, 12))).toBe(false); // row and column are not interchangeable
    expect(cellTitle({ column: 2, value: '3', mark: m.get(cellKey(12, 2)) })).toBe('3 (BLOCK: small-count, rounding; see the summary warnings)');
    expect(cellTitle({ column: 2, value: '15' })).toBe('15');
  });

  it('in file order the number is the position and the marks are on rows 13 and 14', () => {
    const got = shown(pageOf(seq(0, 14)), 11, 13, [2], true);
    expect(got).toEqual(['12: 455', '13: 3⚑BLOCK', '14: 7⚑BLOCK']);
  });

  it('sorted by admissions: 3 and 7 come first, keep their numbers 13 and 14 and their marks', () => {
    const c = pageOf(byAdmissions);
    expect(shown(c, 0, 2, [0, 1, 2])).toEqual(['13: 80+ F 3⚑BLOCK', '14: 80+ M 7⚑BLOCK', '2: 18-29 M 10']);
    // and the rows now at the bottom (410, 455) are not marked
    expect(shown(c, 12, 13, [2])).toEqual(['11: 410', '12: 455']);
  });

  it('sorted descending: the marks move to the end with their rows', () => {
    const c = pageOf([...byAdmissions].reverse());
    expect(shown(c, 0, 0, [2])).toEqual(['12: 455']);
    expect(shown(c, 12, 13, [2])).toEqual(['14: 7⚑BLOCK', '13: 3⚑BLOCK']);
  });

  it('a search for "80+ F" shows the row holding 3 as row 13, marked', () => {
    expect(shown(pageOf([12]), 0, 0, [0, 1, 2, 3])).toEqual(['13: 80+ F 3⚑BLOCK 2905']);
    expect(shown(pageOf([1]), 0, 0, [2, 3])).toEqual(['2: 10 10890⚑WARN']);
  });

  it('hidden columns: marks stay on the column of the file, not the position on screen', () => {
    const c = pageOf(byAdmissions);
    // age_band and sex hidden: admissions is drawn first, and is still the marked column
    const rows = gridRows(c, 0, 0, [2, 3], cellMarks(warnings), false);
    expect(rows[0].cells?.map((x) => [x.column, x.value, x.mark?.severity])).toEqual([
      [2, '3', 'BLOCK'],
      [3, '2905', undefined],
    ]);
    // with admissions hidden nothing on that row is marked, and population is not marked instead
    expect(shown(c, 0, 1, [0, 3])).toEqual(['13: 80+ 2905', '14: 80+ 1980']);
  });

  it('pages: a later page of a sorted table numbers its rows from the server, not from its position', () => {
    const c = pageOf([...byAdmissions].reverse(), 5, 10); // rows 10..13 of the descending order
    expect(shown(c, 10, 13, [2])).toEqual(['1: 15', '2: 10', '14: 7⚑BLOCK', '13: 3⚑BLOCK']);
    // positions on pages not loaded are drawn as loading and unnumbered when sorted ...
    expect(gridRows(c, 3, 3, [2], cellMarks(warnings), false)).toEqual([{ position: 3, label: '' }]);
    // ... and numbered by position only in file order, where that is their number
    expect(gridRows(c, 3, 3, [2], cellMarks(warnings), true)).toEqual([{ position: 3, label: '4' }]);
  });
});
