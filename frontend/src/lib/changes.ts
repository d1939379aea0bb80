// Rendering helpers of "what changed since the review" (GET /requests/{id}/changes/{path}).
// They only word and lay out what the server computed; nothing here compares files.
import type { FileChanges, RowChange } from '../api/types';
import { formatSize } from './format';

const n = (k: number, one: string, many = `${one}s`) => `${k.toLocaleString('en-GB')} ${k === 1 ? one : many}`;

/** One line saying what changed, e.g. "2 rows added, 1 removed, 3 changed (4 cells)". */
export function changesSummary(c: FileChanges): string {
  if (c.kind === 'csv' && c.table) {
    const t = c.table;
    if (t.invalid) return t.invalid;
    const parts: string[] = [];
    if (t.rowsAdded) parts.push(`${n(t.rowsAdded, 'row')} added`);
    if (t.rowsRemoved) parts.push(`${parts.length ? t.rowsRemoved.toLocaleString('en-GB') : n(t.rowsRemoved, 'row')} removed`);
    if (t.rowsChanged) parts.push(`${parts.length ? t.rowsChanged.toLocaleString('en-GB') : n(t.rowsChanged, 'row')} changed (${n(t.cellsChanged, 'cell')})`);
    if (t.columnsAdded.length) parts.push(`columns added: ${t.columnsAdded.join(', ')}`);
    if (t.columnsRemoved.length) parts.push(`columns removed: ${t.columnsRemoved.join(', ')}`);
    if (!parts.length) return 'No rows or cells changed (the file differs only in its layout)';
    const out = parts.join(', ');
    return t.aligned ? out : `${out} — too many differences to match rows one by one: counted as rows only one version has`;
  }
  if (c.kind === 'text' && c.text) {
    const t = c.text;
    const parts: string[] = [];
    if (t.linesAdded) parts.push(`${n(t.linesAdded, 'line')} added`);
    if (t.linesRemoved) parts.push(`${parts.length ? t.linesRemoved.toLocaleString('en-GB') : n(t.linesRemoved, 'line')} removed`);
    if (!parts.length) return 'No lines changed (the file differs only in its line ends)';
    const out = parts.join(', ');
    return t.aligned ? out : `${out} — too many differences to match lines one by one`;
  }
  return `The content changed: ${formatSize(c.reviewed.size)} → ${formatSize(c.current.size)}`;
}

/** A table row of the CSV changes: the row numbers, and each cell with its old value when it changed. */
export interface ChangeRowView {
  kind: RowChange['kind'];
  label: string;
  cells: { text: string; was?: string; changed: boolean }[];
}

/**
 * Lays out the listed row changes against the current columns: added rows show their cells,
 * removed rows the reviewed cells (under the columns both versions have), changed rows the
 * new value with the reviewed one for the cells the server marked.
 */
export function changeRows(c: FileChanges): ChangeRowView[] {
  const t = c.table;
  if (!t) return [];
  const oldIndex = new Map<string, number>();
  t.reviewedColumns.forEach((name, i) => {
    if (!oldIndex.has(name)) oldIndex.set(name, i);
  });
  return t.changes.map((rc) => {
    const marked = new Set(rc.cells);
    let label = '';
    if (rc.kind === 'added') label = `+ row ${rc.currentRow}`;
    else if (rc.kind === 'removed') label = `− row ${rc.reviewedRow}`;
    else label = rc.reviewedRow === rc.currentRow ? `~ row ${rc.currentRow}` : `~ row ${rc.reviewedRow} → ${rc.currentRow}`;
    const cells = t.currentColumns.map((name, j) => {
      const oi = oldIndex.get(name);
      const old = oi === undefined ? undefined : rc.reviewed?.[oi];
      if (rc.kind === 'removed') return { text: old ?? '', changed: false };
      const text = rc.current?.[j] ?? '';
      return marked.has(j) ? { text, was: old ?? '', changed: true } : { text, changed: false };
    });
    return { kind: rc.kind, label, cells };
  });
}
