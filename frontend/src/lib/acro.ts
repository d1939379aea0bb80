// Wording of ACRO's findings for the file view's ACRO panel (docs/acro.md). The server says
// what ACRO recorded and whether the checksums match; this only words and groups it.
import type { Acro, AcroChecksum } from '../api/types';

export type Tone = 'good' | 'warn' | 'bad' | 'slate';

/** The status badge: its text (never colour alone) and tone. */
export function acroStatusBadge(a: Pick<Acro, 'status' | 'statusText' | 'error'>): { text: string; tone: Tone } {
  if (a.error) return { text: 'ACRO results unreadable', tone: 'bad' };
  switch (a.status) {
    case 'pass':
      return { text: 'ACRO: pass', tone: 'good' };
    case 'review':
      return { text: 'ACRO: review', tone: 'warn' };
    case 'fail':
      return { text: 'ACRO: fail', tone: 'bad' };
  }
  return { text: a.statusText ? `ACRO status not recognised: "${a.statusText}"` : 'ACRO status not given', tone: 'slate' };
}

/** How loudly a checksum result is shown: an alert for a mismatch, a warning when nothing could be verified, a quiet line for a match. */
export function checksumTone(c: AcroChecksum): 'error' | 'warning' | 'quiet' {
  switch (c.state) {
    case 'MISMATCH':
      return 'error';
    case 'MATCH':
      return 'quiet';
  }
  return 'warning';
}

/** A sha256 shortened for reading beside another (the whole value is in the title). */
export function shortHash(h: string): string {
  return h.length > 16 ? `${h.slice(0, 12)}…${h.slice(-4)}` : h;
}

/** The SDC summary in words: "threshold: 2 cells", "suppressed by ACRO", and only the checks that flagged something. */
export function sdcSummaryLine(a: Pick<Acro, 'checks' | 'suppressed'>): string {
  const parts = a.checks.filter((c) => c.flagged).map((c) => (/^\d+$/.test(c.value) ? `${c.name}: ${c.value} cell${c.value === '1' ? '' : 's'}` : `${c.name}: ${c.value}`));
  if (!parts.length) return a.checks.length ? 'No check flagged a cell.' : '';
  const sup = a.suppressed === true ? ' (suppressed by ACRO)' : a.suppressed === false ? ' (not suppressed)' : '';
  return parts.join('; ') + sup;
}

/**
 * The flagged cells grouped by check, as 1-based positions in the table ACRO checked (its
 * index columns not counted), e.g. {check: "threshold", cells: "row 2 col 1, row 4 col 3"}.
 */
export function flaggedCellGroups(a: Pick<Acro, 'cells'>): { check: string; count: number; cells: string }[] {
  const byCheck = new Map<string, string[]>();
  for (const c of a.cells) {
    const list = byCheck.get(c.check) ?? [];
    list.push(`row ${c.row + 1} col ${c.column + 1}`);
    byCheck.set(c.check, list);
  }
  return [...byCheck].map(([check, cells]) => ({ check, count: cells.length, cells: cells.join(', ') }));
}

/** "showing 500 of 812" when a list was cut by the server, else "". */
export function truncatedNote(shown: number, total: number): string {
  return total > shown ? `showing ${shown.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')}` : '';
}

/** Whether the panel opens by itself: anything but a verified pass with nothing to read. */
export function acroNeedsAttention(a: Acro): boolean {
  return (
    !!a.error ||
    a.status !== 'pass' ||
    a.checksum.state !== 'MATCH' ||
    a.resultsChecksum.state !== 'MATCH' ||
    !!a.exception ||
    a.comments.length > 0 ||
    a.problems.length > 0
  );
}
