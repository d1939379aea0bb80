import { describe, expect, it } from 'vitest';
import type { Request, RequestFile } from '../api/types';
import { firstUnvoted, reviewsIt, stepFile, votedCount, votesNow } from './review';

const file = (path: string, myVote: RequestFile['myVote'] = null, fileType: RequestFile['fileType'] = 'OUTPUT'): RequestFile => ({
  path,
  fileType,
  sha256: 'x',
  size: 1,
  decision: 'INCOMPLETE',
  myVote,
  workspaceStatus: 'UNDER_REVIEW',
  released: false,
  uploaded: false,
  uploadAttempts: 0,
  contentType: '',
  reviewedSha256: null,
  warnings: null,
  acknowledgements: [],
  actions: {},
});

const req = (over: Partial<Request> = {}): Request => ({
  id: 'R1',
  workspace: 'ws',
  author: 'alice',
  status: 'SUBMITTED',
  turn: 1,
  phase: 'INDEPENDENT',
  project: '',
  orgs: [],
  createdAt: '',
  lastSubmittedAt: null,
  submittedReviewers: [],
  reviews: { submitted: 0, turn: 0 },
  groups: [
    { name: 'g1', context: '', controls: '', comments: [], files: [file('b.csv', 'APPROVED'), file('a.csv'), file('s.txt', null, 'SUPPORTING')] },
    { name: 'g2', context: '', controls: '', comments: [], files: [file('c.png', 'CHANGES_REQUESTED')] },
  ],
  upload: { released: 0, uploaded: 0 },
  actions: {},
  commentVisibilities: [],
  nextStep: '',
  ...over,
});

describe('review helpers', () => {
  it('steps through output files in order, wrapping', () => {
    const r = req();
    expect(stepFile(r, 'g1', 'a.csv', 1)).toMatchObject({ group: 'g1', file: { path: 'b.csv' } });
    expect(stepFile(r, 'g1', 'b.csv', 1)).toMatchObject({ group: 'g2', file: { path: 'c.png' } });
    expect(stepFile(r, 'g2', 'c.png', 1)).toMatchObject({ group: 'g1', file: { path: 'a.csv' } });
    expect(stepFile(r, 'g1', 'a.csv', -1)).toMatchObject({ group: 'g2' });
    expect(stepFile(r, '', '', 1)).toMatchObject({ file: { path: 'a.csv' } });
  });
  it('counts votes and finds the first unvoted file', () => {
    expect(votedCount(req())).toEqual({ voted: 2, total: 3 });
    expect(firstUnvoted(req())?.file.path).toBe('a.csv');
  });
  it('reads whether the viewer reviews the request from its vote action', () => {
    expect(reviewsIt(req())).toBe(false);
    expect(votesNow(req())).toBe(false);
    const returned = req({ actions: { vote: { shown: true, allowed: false, reason: 'This request has been returned to its author' } } });
    expect(reviewsIt(returned)).toBe(true);
    expect(votesNow(returned)).toBe(false);
    expect(votesNow(req({ actions: { vote: { shown: true, allowed: true } } }))).toBe(true);
  });
});
