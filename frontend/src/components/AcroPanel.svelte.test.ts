import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { Acro, AcroChecksum } from '../api/types';
import AcroPanel from './AcroPanel.svelte';

const match: AcroChecksum = { state: 'MATCH', path: 'o/checksums/t.csv.txt', expected: 'a'.repeat(64), actual: 'a'.repeat(64), message: 'This file matches the checksum ACRO wrote for it.' };

const failing: Acro = {
  resultsPath: 'o/results.json', source: 'request', error: '', version: '0.4.12', layout: 'versioned', uid: 'output_0',
  status: 'fail', statusText: 'fail', type: 'table', command: 'acro.crosstab(a, b)',
  summary: 'fail; threshold: 1 cells may need suppressing; ', timestamp: '2024-05-02T10:14:07',
  suppressed: false, checks: [{ name: 'threshold', value: '1', flagged: true }],
  cells: [{ check: 'threshold', row: 1, column: 0 }], cellsTotal: 1,
  outcomeCells: [{ row: 'south', column: 'female', outcome: 'threshold' }], outcomeCellsTotal: 1,
  exception: '<img src=x onerror=alert(1)> a structural zero', comments: ['by region'], problems: [],
  checksum: { ...match, state: 'MISMATCH', actual: 'b'.repeat(64), message: 'This file does not match the checksum ACRO wrote for it.' },
  resultsChecksum: match,
};

function render(acro: Acro) {
  const target = document.createElement('div');
  document.body.appendChild(target);
  const c = mount(AcroPanel, { target, props: { acro } });
  flushSync();
  return { target, done: () => { unmount(c); target.remove(); } };
}

describe('AcroPanel', () => {
  it('puts a checksum mismatch in an alert, and shows the status, cells, exception and comments as text', () => {
    const { target, done } = render(failing);
    const alert = target.querySelector('[data-testid=acro-checksum-mismatch]');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(alert?.textContent).toContain('this is not the file ACRO checked');
    expect(alert?.textContent).toContain('aaaaaaaaaaaa…aaaa');
    expect(target.querySelectorAll('[data-testid=acro-checksum-mismatch]')).toHaveLength(1);
    expect(target.querySelector('[data-testid=acro-status]')?.textContent).toBe('ACRO: fail');
    expect(target.querySelector('[data-testid=acro-panel]')?.hasAttribute('open')).toBe(true);
    expect(target.querySelector('[data-testid=acro-cells]')?.textContent).toContain('threshold (1): row 2 col 1');
    const exc = target.querySelector('[data-testid=acro-exception]')!;
    expect(exc.textContent).toContain('<img src=x onerror=alert(1)> a structural zero');
    expect(exc.querySelector('img')).toBeNull();
    expect(target.querySelector('[data-testid=acro-comments]')?.textContent).toContain('by region');
    expect(target.querySelector('[data-testid=acro-checksum-results]')?.textContent).toContain('✓');
    done();
  });

  it('stays closed for a verified pass, and says when results.json could not be read', () => {
    let r = render({ ...failing, status: 'pass', statusText: 'pass', exception: '', comments: [], checksum: match });
    expect(r.target.querySelector('[data-testid=acro-panel]')?.hasAttribute('open')).toBe(false);
    expect(r.target.querySelector('[data-testid=acro-checksum-mismatch]')).toBeNull();
    r.done();
    r = render({ ...failing, error: 'The ACRO results file is not valid JSON.', status: 'unknown' });
    expect(r.target.querySelector('[data-testid=acro-error]')?.textContent).toContain('not valid JSON');
    expect(r.target.querySelector('[data-testid=acro-checksum-mismatch]')).toBeNull();
    r.done();
  });
});
