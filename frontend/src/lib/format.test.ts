import { describe, expect, it } from 'vitest';
import { ansiSegments, formatTime, shortId, statusLabel, viewerKind } from './format';

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
  it('splits ANSI-coloured log text into plain runs with their colour', () => {
    expect(ansiSegments('plain \u001b[1;31mbold red\u001b[0m back \u001b[32mgreen\u001b[K\u001b[39m end')).toEqual([
      { text: 'plain ', fg: null, bold: false },
      { text: 'bold red', fg: 31, bold: true },
      { text: ' back ', fg: null, bold: false },
      { text: 'green', fg: 32, bold: false },
      { text: ' end', fg: null, bold: false },
    ]);
    expect(ansiSegments('<b>not markup</b>')).toEqual([{ text: '<b>not markup</b>', fg: null, bold: false }]);
    expect(ansiSegments('')).toEqual([]);
  });
});
