// The logic of the CSV grid, kept apart from the component so it can be tested:
// which rows are on screen (virtualisation, with scaling for very tall tables), which
// server pages they need, a bounded page cache keyed by the query, sort and column state.

export const PAGE_SIZE = 200; // rows per server page (the API allows up to 1000)

/** The browser limits element heights (~33M px in Chromium); stay well under. */
export const MAX_SCROLL_PX = 8_000_000;

export interface Viewport {
  scrollTop: number;
  height: number;
}

export interface Layout {
  rowHeight: number;
  totalRows: number;
  overscan: number;
}

export interface Window {
  /** first and last (inclusive) row indexes to render; last < first when there are no rows */
  first: number;
  last: number;
  /** height of the scrollable body */
  bodyHeight: number;
  /** pixel offset (inside the body) at which row `first` is drawn */
  offsetTop: number;
}

/** Height of the scroll area for n rows, capped at MAX_SCROLL_PX. */
export function bodyHeight(totalRows: number, rowHeight: number): number {
  return Math.min(totalRows * rowHeight, MAX_SCROLL_PX);
}

/**
 * The rows to draw for a scroll position. When the table is taller than the browser can
 * scroll, the scroll position is mapped proportionally onto the rows, and the drawn rows
 * are placed at the scroll position.
 */
export function visibleWindow(vp: Viewport, l: Layout): Window {
  const total = Math.max(0, l.totalRows);
  const height = bodyHeight(total, l.rowHeight);
  if (total === 0) return { first: 0, last: -1, bodyHeight: 0, offsetTop: 0 };
  const perScreen = Math.max(1, Math.ceil(vp.height / l.rowHeight));
  const maxScroll = Math.max(0, height - vp.height);
  const scrollTop = Math.min(Math.max(0, vp.scrollTop), maxScroll);
  let top: number; // first row fully at the top of the viewport
  let offsetBase: number;
  if (total * l.rowHeight <= MAX_SCROLL_PX) {
    top = Math.floor(scrollTop / l.rowHeight);
    offsetBase = top * l.rowHeight;
  } else {
    const lastTop = Math.max(0, total - perScreen);
    top = maxScroll === 0 ? 0 : Math.round((scrollTop / maxScroll) * lastTop);
    offsetBase = scrollTop;
  }
  const first = Math.max(0, top - l.overscan);
  const last = Math.min(total - 1, top + perScreen + l.overscan);
  const offsetTop = Math.max(0, offsetBase - (top - first) * l.rowHeight);
  return { first, last, bodyHeight: height, offsetTop };
}

/** Page indexes covering rows first..last. */
export function pagesFor(first: number, last: number, pageSize = PAGE_SIZE): number[] {
  if (last < first) return [];
  const out: number[] = [];
  for (let p = Math.floor(first / pageSize); p <= Math.floor(last / pageSize); p++) out.push(p);
  return out;
}

export interface Query {
  sort: number | null;
  desc: boolean;
  q: string;
}

export function queryKey(q: Query): string {
  return JSON.stringify([q.sort, q.desc, q.q.trim()]);
}

/** Pages of rows for one query; the least recently used pages are dropped past `maxPages`. */
export class PageCache {
  private pages = new Map<number, string[][]>();
  private indexes = new Map<number, number[]>();
  private pending = new Set<number>();
  private key = '';
  constructor(
    readonly pageSize = PAGE_SIZE,
    readonly maxPages = 60,
  ) {}

  /** Switch to another query: everything cached belongs to the old one and is dropped. */
  reset(key: string): boolean {
    if (key === this.key) return false;
    this.key = key;
    this.pages.clear();
    this.indexes.clear();
    this.pending.clear();
    return true;
  }

  get currentKey(): string {
    return this.key;
  }

  /** Pages needed for the rows that are neither cached nor being fetched. */
  missing(first: number, last: number): number[] {
    return pagesFor(first, last, this.pageSize).filter((p) => !this.pages.has(p) && !this.pending.has(p));
  }

  markPending(page: number): void {
    this.pending.add(page);
  }

  /** Store a fetched page, unless it answers an older query. */
  put(key: string, page: number, rows: string[][], rowIndexes?: number[]): boolean {
    if (key !== this.key) return false;
    this.pending.delete(page);
    this.pages.delete(page);
    this.pages.set(page, rows);
    if (rowIndexes && rowIndexes.length === rows.length) this.indexes.set(page, rowIndexes);
    else this.indexes.delete(page);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
      this.indexes.delete(oldest);
    }
    return true;
  }

  /** The row's 0-based number in the file (its position when the server sent none). */
  fileIndex(index: number): number {
    const p = Math.floor(index / this.pageSize);
    const ix = this.indexes.get(p);
    return ix ? ix[index - p * this.pageSize] : index;
  }

  fail(key: string, page: number): void {
    if (key === this.key) this.pending.delete(page);
  }

  /** A row, or undefined while its page is not loaded. */
  row(index: number): string[] | undefined {
    const p = Math.floor(index / this.pageSize);
    const rows = this.pages.get(p);
    if (!rows) return undefined;
    // touch for LRU
    this.pages.delete(p);
    this.pages.set(p, rows);
    return rows[index - p * this.pageSize];
  }

  get size(): number {
    return this.pages.size;
  }
}

/** Clicking a column header: a new column sorts ascending, the same one flips direction. */
export function nextSort(current: Query, column: number | null): Pick<Query, 'sort' | 'desc'> {
  if (column === null) return { sort: null, desc: false }; // the row-number column: file order
  if (current.sort === column) return { sort: column, desc: !current.desc };
  return { sort: column, desc: false };
}

export function ariaSort(current: Query, column: number | null): 'ascending' | 'descending' | 'none' {
  if (column === null) return current.sort === null ? 'ascending' : 'none';
  if (current.sort !== column) return 'none';
  return current.desc ? 'descending' : 'ascending';
}

/** Columns that are shown, in file order. */
export function visibleColumns(count: number, hidden: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (!hidden.has(i)) out.push(i);
  return out;
}

export function toggleHidden(hidden: ReadonlySet<number>, column: number): Set<number> {
  const next = new Set(hidden);
  if (next.has(column)) next.delete(column);
  else next.add(column);
  return next;
}

/** The row-count message under the search box, worded as docs/reference/ui.md §4.6. */
export function countMessage(totalRows: number, matchedRows: number, searching: boolean, exact = true): string {
  if (!exact) return `Showing the first ${Math.max(0, matchedRows - 1).toLocaleString('en-GB')} rows (counting the rest…)`;
  if (searching && matchedRows === 0) return 'No results match';
  if (!searching || matchedRows === totalRows) return `Showing all ${totalRows.toLocaleString('en-GB')} rows`;
  return `Showing ${matchedRows.toLocaleString('en-GB')} rows (out of ${totalRows.toLocaleString('en-GB')})`;
}

/** Width of the row-number column for the largest row number, in characters. */
export function rowNumberChars(totalRows: number): number {
  return Math.max(3, String(totalRows).length);
}
