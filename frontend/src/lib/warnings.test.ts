import { describe, expect, it } from 'vitest';
import type { Request, RequestFile } from '../api/types';
import { acknowledgedBy, blockFiles, needingAcknowledgement, warningText } from './warnings';

function file(path: string, over: Partial<RequestFile> = {}): RequestFile {
  return { path, fileType: 'OUTPUT', sha256: '', size: 1, decision: 'INCOMPLETE', myVote: null, workspaceStatus: 'UNDER_REVIEW', released: false, uploaded: false, uploadAttempts: 0, contentType: '', reviewedSha256: null, warnings: null, acknowledgements: [], actions: {}, ...over };
}

const req = {
  groups: [
    {
      name: 'g',
      context: '',
      controls: '',
      comments: [],
      files: [
        file('a.csv', { warnings: { INFO: 1, WARN: 0, BLOCK: 2 }, actions: { approve: { shown: true, allowed: true, acknowledge: 'needs a note' } } }),
        file('b.csv', { warnings: { INFO: 0, WARN: 1, BLOCK: 0 }, actions: { approve: { shown: true, allowed: true } } }),
        file('c.csv', { fileType: 'SUPPORTING', warnings: { INFO: 0, WARN: 0, BLOCK: 1 } }),
        file('d.csv', { warnings: null }),
      ],
    },
  ],
} as unknown as Request;

describe('warnings', () => {
  it('words counts, most severe first, only those present', () => {
    expect(warningText({ INFO: 1, WARN: 0, BLOCK: 2 })).toBe('2 BLOCK · 1 INFO');
    expect(warningText({ INFO: 0, WARN: 0, BLOCK: 0 })).toBe('');
    expect(warningText(null)).toBe('');
  });
  it('lists output files with BLOCK warnings only', () => {
    expect(blockFiles(req).map((b) => b.file.path)).toEqual(['a.csv']);
  });
  it('asks for a note exactly where the approve action says so', () => {
    expect(needingAcknowledgement(req, ['a.csv', 'b.csv', 'x.csv']).map((f) => f.path)).toEqual(['a.csv']);
    expect(needingAcknowledgement(req, ['b.csv'])).toEqual([]);
  });
  it('says who acknowledged', () => {
    expect(acknowledgedBy([{ reviewer: 'c1', note: 'seen', turn: 1 }])).toBe('c1: “seen”');
    expect(acknowledgedBy([])).toContain('not acknowledged');
  });
});
