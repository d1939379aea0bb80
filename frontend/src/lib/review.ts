// Display helpers of the request page: whether the viewer reviews the request (read from the
// API's `actions` block: the rules stay on the server), the files to step through with the
// keyboard, and the viewer's progress.
import type { FileGroup, Request, RequestFile } from '../api/types';

/** The viewer reviews this request: the API shows them its vote action (their votes, progress and downloads). */
export function reviewsIt(r: Request): boolean {
  return !!r.actions.vote?.shown;
}

/** The viewer may vote on this request's files now (the API allows its vote action). */
export function votesNow(r: Request): boolean {
  return !!r.actions.vote?.allowed;
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
