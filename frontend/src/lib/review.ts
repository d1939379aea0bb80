// Display helpers of the request page: what the viewer is expected to do now (worded from the
// API's `actions` block and status; the rules themselves stay on the server), the files to
// step through with the keyboard, and the viewer's role.
import type { FileGroup, Request, RequestFile, User } from '../api/types';

export const reviewStatuses = ['SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED'];
export const editableStatuses = ['PENDING', 'RETURNED'];

export interface Role {
  isAuthor: boolean;
  /** an output checker who is not the author */
  isReviewer: boolean;
  /** review buttons and votes are shown (checker, not author, request under review) */
  canReviewNow: boolean;
  submittedReview: boolean;
}

export function roleOf(u: User | null, r: Request): Role {
  const me = u?.username ?? '';
  const isAuthor = r.author === me;
  const isReviewer = !!u?.outputChecker && !isAuthor;
  return {
    isAuthor,
    isReviewer,
    canReviewNow: isReviewer && reviewStatuses.includes(r.status),
    submittedReview: r.submittedReviewers.includes(me),
  };
}

export interface FileRef {
  group: string;
  file: RequestFile;
}

/** Output files in display order (groups in order, files by path). */
export function outputFiles(r: Request): FileRef[] {
  return r.groups.flatMap((g) => sortedFiles(g).filter((f) => f.fileType === 'OUTPUT').map((file) => ({ group: g.name, file })));
}

export function sortedFiles(g: FileGroup): RequestFile[] {
  return [...g.files].sort((a, b) => a.path.localeCompare(b.path));
}

/** The next (+1) or previous (-1) output file from the current one, wrapping around. */
export function stepFile(r: Request, group: string, path: string, dir: 1 | -1): FileRef | null {
  const list = outputFiles(r);
  if (list.length === 0) return null;
  const i = list.findIndex((f) => f.group === group && f.file.path === path);
  if (i < 0) return dir === 1 ? list[0] : list[list.length - 1];
  return list[(i + dir + list.length) % list.length];
}

/** The first output file the viewer has not voted on, for "start reviewing". */
export function firstUnvoted(r: Request): FileRef | null {
  return outputFiles(r).find((f) => !f.file.myVote || f.file.myVote === 'UNDECIDED') ?? null;
}

export function votedCount(r: Request): { voted: number; total: number } {
  const list = outputFiles(r);
  return { voted: list.filter((f) => f.file.myVote === 'APPROVED' || f.file.myVote === 'CHANGES_REQUESTED').length, total: list.length };
}

/** One or two sentences: what this viewer is expected to do now. */
export function expectedOfYou(u: User | null, r: Request): string {
  const role = roleOf(u, r);
  const a = r.actions;
  switch (r.status) {
    case 'PENDING':
    case 'RETURNED':
      if (role.isAuthor) {
        if (a.submit?.allowed) return r.status === 'RETURNED' ? 'Your turn: address the requested changes, then resubmit the request for review.' : 'Your turn: when the files, context and controls are ready, submit the request for review.';
        return `Your turn: ${a.submit?.reason ?? 'finish the request before you submit it.'}`;
      }
      return 'Nothing to do now: the request is with its author.';
    case 'SUBMITTED':
    case 'PARTIALLY_REVIEWED':
      if (role.isReviewer) {
        if (role.submittedReview) return 'You have submitted your review. Nothing more to do until all reviews are in.';
        const { voted, total } = votedCount(r);
        if (voted < total) return `Review the output files: ${voted} of ${total} done. Approve or request changes on each, then submit your review.`;
        if (a.review?.allowed) return 'You have reviewed all files. Add comments to groups if needed, then submit your review.';
        return a.review?.reason ?? 'Complete your review.';
      }
      if (role.isAuthor) return 'Nothing to do now: the request is with the output checkers.';
      return 'The request is under review.';
    case 'REVIEWED':
      if (role.isReviewer) {
        if (a.release?.allowed) return 'All reviews have been submitted. You can now return, reject or release this request.';
        if (a.return?.allowed) return 'All reviews have been submitted. You can now return or reject this request.';
        return a.return?.reason ?? 'All reviews have been submitted.';
      }
      if (role.isAuthor) return 'Nothing to do now: the output checkers are deciding.';
      return 'All reviews have been submitted.';
    case 'APPROVED':
      return `The files have been released and are being uploaded (${r.upload.uploaded} of ${r.upload.released}).`;
    case 'RELEASED':
      return 'The files have been released. This request is closed.';
    default:
      return 'This request is closed.';
  }
}
