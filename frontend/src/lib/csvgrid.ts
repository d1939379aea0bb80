// The logic of the CSV grid, kept apart from the component so it can be tested:
// which rows are on screen (virtualisation, with scaling for very tall tables), which
// server pages they need, a bounded page cache keyed by the query, sort and column state.

import type { Warning } from '../api/types';

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

  /**
   * Store a fetched page, unless it answers an older query. Every row must come with its
   * 0-based data-row number in the file (the API's rowIndexes): under a sort or a search the
   * position on screen says nothing about which row of the file it is, and the marks of the
   * summary's warnings are keyed by the file's numbering.
   */
  put(key: string, page: number, rows: string[][], rowIndexes: readonly number[]): boolean {
    if (key !== this.key) return false;
    if (!Array.isArray(rowIndexes) || rowIndexes.length !== rows.length) {
      this.pending.delete(page);
      throw new Error('The table page does not say which rows of the file it holds; reload the page.');
    }
    this.pending.delete(page);
    this.pages.delete(page);
    this.pages.set(page, rows);
    this.indexes.set(page, [...rowIndexes]);
    while (this.pages.size > this.maxPages) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
      this.indexes.delete(oldest);
    }
    return true;
  }

  /** The 0-based data-row number in the file of the row at a display position, or undefined while its page is not loaded. */
  fileIndex(index: number): number | undefined {
    const p = Math.floor(index / this.pageSize);
    return this.indexes.get(p)?.[index - p * this.pageSize];
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

// --- what each row on screen shows. A row is known by its number in the file, never by its
// position on screen: sorting and searching move rows, hiding columns moves cells, and the
// row number and every mark go with the row and the column of the file they belong to.

export type Severity = Warning['severity'];

const severityRank: Record<Severity, number> = { INFO: 0, WARN: 1, BLOCK: 2 };

/** The marks on one cell: the most severe of its warnings and every rule that names it. */
export interface CellMark {
  severity: Severity;
  rules: string[];
}

/** The key of a cell: its 0-based data row and column in the file (the summary's numbering). */
export function cellKey(fileRow: number, column: number): string {
  return `${fileRow}:${column}`;
}

/** The marks of the summary's warnings, by cell of the file. */
export function cellMarks(warnings: readonly Pick<Warning, 'rule' | 'severity' | 'cells'>[]): Map<string, CellMark> {
  const out = new Map<string, CellMark>();
  for (const w of warnings) {
    for (const c of w.cells) {
      const k = cellKey(c.row, c.column);
      const m = out.get(k);
      if (!m) out.set(k, { severity: w.severity, rules: [w.rule] });
      else {
        if (severityRank[w.severity] > severityRank[m.severity]) m.severity = w.severity;
        if (!m.rules.includes(w.rule)) m.rules.push(w.rule);
      }
    }
  }
  return out;
}

export interface GridCell {
  /** the column's index in the file */
  column: number;
  value: string;
  mark?: CellMark;
}

export interface GridRow {
  /** the position on screen (0 is the first row of the current order) */
  position: number;
  /** the 0-based data-row number in the file; undefined while the row's page is loading */
  fileRow?: number;
  /** what the row-number column shows: the row's number in the file, from 1 */
  label: string;
  /** the cells of the shown columns, in the order shown; undefined while loading */
  cells?: GridCell[];
}

/**
 * The rows at positions first..last as the grid draws them. A loading row is numbered only
 * in file order (where its position is its number); elsewhere it waits for the server's.
 */
export function gridRows(
  cache: PageCache,
  first: number,
  last: number,
  columns: readonly number[],
  marks: ReadonlyMap<string, CellMark>,
  fileOrder: boolean,
): GridRow[] {
  const out: GridRow[] = [];
  for (let position = first; position <= last; position++) {
    const row = cache.row(position);
    const fileRow = cache.fileIndex(position);
    if (!row || fileRow === undefined) {
      out.push({ position, label: fileOrder ? String(position + 1) : '' });
      continue;
    }
    out.push({
      position,
      fileRow,
      label: String(fileRow + 1),
      cells: columns.map((column) => ({ column, value: row[column] ?? '', mark: marks.get(cellKey(fileRow, column)) })),
    });
  }
  return out;
}

/** The tooltip of a cell: its value, and for a marked cell the warnings that name it. */
export function cellTitle(cell: GridCell): string {
  if (!cell.mark) return cell.value;
  return `${cell.value} (${cell.mark.severity}: ${cell.mark.rules.join(', ')}; see the summary warnings)`;
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
