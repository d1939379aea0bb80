import { describe, expect, it } from 'vitest';
import type { Acro, AcroChecksum } from '../api/types';
import { acroNeedsAttention, acroStatusBadge, checksumTone, flaggedCellGroups, sdcSummaryLine, shortHash, truncatedNote } from './acro';

const match: AcroChecksum = { state: 'MATCH', path: 'o/checksums/t.csv.txt', expected: 'a'.repeat(64), actual: 'a'.repeat(64), message: 'ok' };

function acro(over: Partial<Acro> = {}): Acro {
  return {
    resultsPath: 'o/results.json', source: 'workspace', error: '', version: '0.4.12', layout: 'versioned', uid: 'output_0',
    status: 'pass', statusText: 'pass', type: 'table', command: 'acro.crosstab(a, b)', summary: 'pass', timestamp: '',
    suppressed: null, checks: [], cells: [], cellsTotal: 0, outcomeCells: [], outcomeCellsTotal: 0,
    exception: '', comments: [], problems: [], checksum: match, resultsChecksum: match, ...over,
  };
}

describe('ACRO panel wording', () => {
  it('badges every status with words, and never reads an unknown status as a pass', () => {
    expect(acroStatusBadge(acro({ status: 'fail', statusText: 'fail' }))).toEqual({ text: 'ACRO: fail', tone: 'bad' });
    expect(acroStatusBadge(acro({ status: 'review' }))).toEqual({ text: 'ACRO: review', tone: 'warn' });
    expect(acroStatusBadge(acro())).toEqual({ text: 'ACRO: pass', tone: 'good' });
    expect(acroStatusBadge(acro({ status: 'unknown', statusText: 'approved' }))).toEqual({ text: 'ACRO status not recognised: "approved"', tone: 'slate' });
    expect(acroStatusBadge(acro({ status: 'unknown', error: 'not valid JSON' })).text).toBe('ACRO results unreadable');
  });

  it('is loud about a mismatch and quiet about a match', () => {
    expect(checksumTone({ ...match, state: 'MISMATCH' })).toBe('error');
    expect(checksumTone({ ...match, state: 'MISSING' })).toBe('warning');
    expect(checksumTone({ ...match, state: 'INVALID' })).toBe('warning');
    expect(checksumTone(match)).toBe('quiet');
    expect(shortHash('0123456789abcdef0123456789abcdef')).toBe('0123456789ab…cdef');
  });

  it('words the SDC summary from the checks that flagged cells', () => {
    const checks = [
      { name: 'threshold', value: '2', flagged: true },
      { name: 'p-ratio', value: '0', flagged: false },
      { name: 'nk-rule', value: '1', flagged: true },
    ];
    expect(sdcSummaryLine({ checks, suppressed: false })).toBe('threshold: 2 cells; nk-rule: 1 cell (not suppressed)');
    expect(sdcSummaryLine({ checks, suppressed: true })).toBe('threshold: 2 cells; nk-rule: 1 cell (suppressed by ACRO)');
    expect(sdcSummaryLine({ checks: [{ name: 'MinimumThresholdCheck', value: '0', flagged: false }], suppressed: null })).toBe('No check flagged a cell.');
    expect(sdcSummaryLine({ checks: [], suppressed: null })).toBe('');
  });

  it('groups flagged cells by check, counting from 1', () => {
    const cells = [
      { check: 'threshold', row: 1, column: 0 },
      { check: 'nk-rule', row: 0, column: 2 },
      { check: 'threshold', row: 3, column: 2 },
    ];
    expect(flaggedCellGroups({ cells })).toEqual([
      { check: 'threshold', count: 2, cells: 'row 2 col 1, row 4 col 3' },
      { check: 'nk-rule', count: 1, cells: 'row 1 col 3' },
    ]);
    expect(truncatedNote(500, 1200)).toBe('showing 500 of 1,200');
    expect(truncatedNote(3, 3)).toBe('');
  });

  it('opens the panel unless it is a verified pass with nothing to read', () => {
    expect(acroNeedsAttention(acro())).toBe(false);
    expect(acroNeedsAttention(acro({ status: 'review' }))).toBe(true);
    expect(acroNeedsAttention(acro({ comments: ['see the notes'] }))).toBe(true);
    expect(acroNeedsAttention(acro({ checksum: { ...match, state: 'MISSING' } }))).toBe(true);
    expect(acroNeedsAttention(acro({ resultsChecksum: { ...match, state: 'MISMATCH' } }))).toBe(true);
  });
});
