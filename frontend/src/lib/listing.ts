// A folder listing's search and sort (the workspace browser's table), pure for tests.
import type { Entry } from '../api/types';

export type SortKey = 'name' | 'status' | 'size' | 'modified';
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

/** The entries whose name contains the query (case-insensitive; blank matches all). */
export function search(entries: Entry[], query: string): Entry[] {
  const q = query.trim().toLowerCase();
  if (!q) return entries;
  return entries.filter((e) => e.name.toLowerCase().includes(q));
}

const byName = (a: Entry, b: Entry) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });

/**
 * Sorted copy: folders always before files (as a file manager lists them), then by the key
 * in the direction asked, ties by name. `statusOf` is the text the status column shows.
 */
export function sortEntries(entries: Entry[], sort: Sort, statusOf: (e: Entry) => string): Entry[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const cmp = (a: Entry, b: Entry): number => {
    switch (sort.key) {
      case 'status':
        return statusOf(a).localeCompare(statusOf(b));
      case 'size':
        return a.size - b.size;
      case 'modified':
        return (a.modifiedAt ? Date.parse(a.modifiedAt) : 0) - (b.modifiedAt ? Date.parse(b.modifiedAt) : 0);
      default:
        return byName(a, b);
    }
  };
  return [...entries].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'dir' ? -1 : 1;
    return sign * cmp(a, b) || byName(a, b);
  });
}

/** The next sort after a click on a column header: the same column flips, another starts ascending. */
export function nextSort(s: Sort, key: SortKey): Sort {
  return s.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' };
}

/** "3 items", or "2 of 5 items" while a search hides some. */
export function countText(shown: number, total: number): string {
  const noun = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
  return shown === total ? noun(total) : `${shown} of ${noun(total)}`;
}
