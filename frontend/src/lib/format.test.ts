import { describe, expect, it } from 'vitest';
import { formatTime, shortId, statusLabel, stripAnsi, truncateLog, viewerKind } from './format';

describe('format', () => {
  it('labels statuses like the reference', () => {
    expect(statusLabel('PARTIALLY_REVIEWED')).toBe('ONE REVIEW SUBMITTED');
    expect(statusLabel('APPROVED')).toBe('APPROVED - FILES UPLOADING');
  });
  it('shortens ids', () => {
    expect(shortId('01J0ABCDEFGHJKMNPQRSTVWXYZ')).toBe('01J...TVWXYZ');
  });
  it('formats UTC times', () => {
    expect(formatTime('2026-07-14T09:05:00Z')).toBe('2026-07-14 09:05');
  });
  it('chooses a viewer by extension, case-insensitively', () => {
    expect(viewerKind('out/A.CSV')).toBe('csv');
    expect(viewerKind('x.html')).toBe('sandboxed');
    expect(viewerKind('<img src=x onerror=alert(1)>.txt')).toBe('text');
  });
  it('truncates logs but keeps the job summary', () => {
    const body = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const log = body + '\n=============JOB SUMMARY=============\nstatus: ok\n';
    const r = truncateLog(log, 100);
    expect(r.truncated).toBe(true);
    expect(r.text.startsWith('line ')).toBe(true);
    expect(r.text.endsWith('status: ok\n')).toBe(true);
    expect(r.text.length).toBeLessThan(200);
    expect(truncateLog('short').truncated).toBe(false);
    expect(stripAnsi('\u001b[31mred\u001b[0m')).toBe('red');
  });
});
