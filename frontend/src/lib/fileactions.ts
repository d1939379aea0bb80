// Request-file actions as the page offers them, from the API's per-file `actions` blocks
// (withdraw, update, changeType, move, vote, resetVote, download): which buttons are enabled and
// with what reason, for one file or several. Nothing here decides a rule; the server checks
// every call again.
import type { ActionState, FileActionKey, FileType, RequestFile } from '../api/types';

const unknown: ActionState = { shown: false, allowed: false, reason: 'Not available' };

export function fileAction(f: RequestFile, key: FileActionKey): ActionState {
  return f.actions?.[key] ?? unknown;
}

/**
 * "Change group or type": allowed when the API allows a type change (`changeType`) or a move
 * to another group (`move`); the dialog then offers only what is allowed. When neither is,
 * the type change's reason (the same rule's answer) is shown.
 */
export function changeState(f: RequestFile): ActionState {
  const ct = fileAction(f, 'changeType');
  if (ct.allowed) return ct;
  const mv = fileAction(f, 'move');
  if (mv.allowed) return mv;
  return f.actions?.changeType ? ct : mv;
}

/** One state for several files: allowed when every file allows it, else the first reason. */
export function bulkState(files: RequestFile[], state: (f: RequestFile) => ActionState, none = 'Select files first'): ActionState {
  if (files.length === 0) return { shown: true, allowed: false, reason: none };
  for (const f of files) {
    const s = state(f);
    if (!s.allowed) return { shown: true, allowed: false, reason: files.length > 1 ? `${f.path}: ${s.reason ?? 'not allowed'}` : (s.reason ?? 'Not allowed') };
  }
  return { shown: true, allowed: true };
}

/** Whether every file can have type t: files already of type t can; others need changeType. */
export function typeOption(files: RequestFile[], t: Exclude<FileType, 'WITHDRAWN'>): ActionState {
  for (const f of files) {
    if (f.fileType === t) continue;
    const s = fileAction(f, 'changeType');
    if (!s.allowed) return { shown: true, allowed: false, reason: files.length > 1 ? `${f.path}: ${s.reason ?? 'not allowed'}` : (s.reason ?? 'Not allowed') };
  }
  return { shown: true, allowed: true };
}

/** Whether every file may move to another group (the API's `move`). */
export function moveOption(files: RequestFile[]): ActionState {
  return bulkState(files, (f) => fileAction(f, 'move'), 'No files chosen');
}

/** The type all files share ('' when mixed). */
export function commonType(files: RequestFile[]): FileType | '' {
  const ts = new Set(files.map((f) => f.fileType));
  return ts.size === 1 ? [...ts][0] : '';
}

export interface ChangePlan {
  paths: string[];
  change: { group?: string; fileType?: FileType };
  messages: string[];
}

/**
 * The call to make for "change group or type": move when the target group differs, change the
 * type of the files whose type differs; files that would not change are left out.
 * Returns a message for the user instead when nothing would change.
 */
export function planChange(files: RequestFile[], fromGroup: string, toGroup: string, fileType: FileType | ''): ChangePlan | string {
  const target = toGroup.trim();
  if (!target) return 'Choose a file group or enter a new group name';
  const move = target !== fromGroup;
  const retype = (f: RequestFile) => fileType !== '' && f.fileType !== fileType;
  const changing = files.filter((f) => move || retype(f));
  if (changing.length === 0) return 'Nothing to change: choose another group or file type';
  const change: ChangePlan['change'] = {};
  if (move) change.group = target;
  if (fileType !== '' && changing.some(retype)) change.fileType = fileType;
  const messages: string[] = [];
  for (const f of changing) {
    if (move) messages.push(`The file ${f.path} has been moved to group ${target}`);
    if (retype(f)) messages.push(`The file type of ${f.path} has been changed to ${fileType === 'OUTPUT' ? 'Output' : 'Supporting'}`);
  }
  return { paths: changing.map((f) => f.path), change, messages };
}
