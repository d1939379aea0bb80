import { describe, expect, it } from 'vitest';
import type { FileChanges } from '../api/types';
import { changeRows, changesSummary } from './changes';

const base = { path: 'output/t.csv', reviewed: { sha256: 'a', size: 2048 }, current: { sha256: 'b', size: 3072 } };

const table = (over: Partial<NonNullable<FileChanges['table']>>): FileChanges => ({
  ...base,
  kind: 'csv',
  table: {
    reviewedColumns: ['age', 'sex', 'count'],
    currentColumns: ['sex', 'age', 'count', 'note'],
    columnsAdded: ['note'],
    columnsRemoved: [],
    reviewedRows: 5,
    currentRows: 5,
    rowsAdded: 1,
    rowsRemoved: 1,
    rowsChanged: 1,
    cellsChanged: 1,
    aligned: true,
    truncated: false,
    changes: [
      { kind: 'changed', reviewedRow: 2, currentRow: 2, reviewed: ['0-19', 'M', '15'], current: ['M', '0-19', '16', ''], cells: [2] },
      { kind: 'removed', reviewedRow: 3, reviewed: ['20-39', 'F', '40'], cells: [] },
      { kind: 'added', currentRow: 5, current: ['M', '80+', '7', 'new'], cells: [] },
    ],
    ...over,
  },
});

describe('changesSummary', () => {
  it('says what changed in a table', () => {
    expect(changesSummary(table({}))).toBe('1 row added, 1 removed, 1 changed (1 cell), columns added: note');
    expect(changesSummary(table({ rowsAdded: 0, rowsRemoved: 1200, rowsChanged: 0, columnsAdded: [] }))).toBe('1,200 rows removed');
    expect(changesSummary(table({ aligned: false }))).toContain('too many differences');
    expect(changesSummary(table({ invalid: 'The new version is not a valid CSV file (line 2: x)' }))).toBe('The new version is not a valid CSV file (line 2: x)');
    expect(changesSummary(table({ rowsAdded: 0, rowsRemoved: 0, rowsChanged: 0, columnsAdded: [] }))).toContain('No rows or cells changed');
  });
  it('says what changed in text and other files', () => {
    const text: FileChanges = { ...base, kind: 'text', text: { reviewedLines: 3, currentLines: 4, linesAdded: 2, linesRemoved: 1, aligned: true, truncated: false, hunks: [] } };
    expect(changesSummary(text)).toBe('2 lines added, 1 removed');
    expect(changesSummary({ ...base, kind: 'binary' })).toBe('The content changed: 2.0 KiB → 3.0 KiB');
  });
});

describe('changeRows', () => {
  it('lays rows out on the current columns, with the reviewed value of each changed cell', () => {
    const rows = changeRows(table({}));
    expect(rows.map((r) => r.label)).toEqual(['~ row 2', '− row 3', '+ row 5']);
    expect(rows[0].cells).toEqual([
      { text: 'M', changed: false },
      { text: '0-19', changed: false },
      { text: '16', was: '15', changed: true },
      { text: '', changed: false },
    ]);
    // a removed row shows its reviewed cells under the columns both versions have
    expect(rows[1].cells.map((c) => c.text)).toEqual(['F', '20-39', '40', '']);
    expect(rows[2].cells.map((c) => c.text)).toEqual(['M', '80+', '7', 'new']);
  });
});
