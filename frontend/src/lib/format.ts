import type { Decision, FileType, Status, WorkspaceFileStatus } from '../api/types';

const statusLabels: Record<Status, string> = {
  PENDING: 'PENDING',
  SUBMITTED: 'SUBMITTED',
  PARTIALLY_REVIEWED: 'ONE REVIEW SUBMITTED',
  REVIEWED: 'ALL REVIEWS SUBMITTED',
  RETURNED: 'RETURNED',
  APPROVED: 'APPROVED - FILES UPLOADING',
  REJECTED: 'REJECTED',
  WITHDRAWN: 'WITHDRAWN',
  RELEASED: 'RELEASED',
};

export function statusLabel(s: Status | string): string {
  return statusLabels[s as Status] ?? s;
}

export function statusTone(s: Status | string): string {
  switch (s) {
    case 'APPROVED':
    case 'RELEASED':
      return 'good';
    case 'SUBMITTED':
    case 'PARTIALLY_REVIEWED':
    case 'REVIEWED':
      return 'primary';
    case 'REJECTED':
      return 'bad';
    case 'RETURNED':
      return 'warn';
    case 'WITHDRAWN':
      return 'bad-outline';
    default:
      return 'info';
  }
}

export const wsStatusLabel: Record<WorkspaceFileStatus, string> = {
  UNRELEASED: 'Unreleased',
  UNDER_REVIEW: 'Under review',
  UPDATED: 'Updated',
  RELEASED: 'Released',
  WITHDRAWN: 'Withdrawn',
  INVALID: 'Invalid type',
};

export const decisionLabel: Record<Decision, string> = {
  INCOMPLETE: 'Incomplete',
  APPROVED: 'Approved',
  CHANGES_REQUESTED: 'Changes requested',
  CONFLICTED: 'Conflicted',
};

export const decisionHelp: Record<Decision, string> = {
  INCOMPLETE: 'Overall decision will be displayed after two independent output checkers have submitted their review of all output files',
  APPROVED: 'Two independent output checkers have approved this file',
  CHANGES_REQUESTED: 'Two independent output checkers have requested changes to this file',
  CONFLICTED: 'Output checkers have reviewed this file and disagree about whether it should be released',
};

export const fileTypeLabel: Record<FileType, string> = {
  OUTPUT: 'Output',
  SUPPORTING: 'Supporting',
  WITHDRAWN: 'Withdrawn',
};

/** First 3 characters + "..." + last 6, as the reference shows request ids (docs/reference/ui.md §0.3). */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 3)}...${id.slice(-6)}`;
}

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** "2026-07-14 09:05" (UTC), as the reference shows times (docs/reference/ui.md §6.10). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

export type ViewerKind = 'csv' | 'image' | 'log' | 'text' | 'sandboxed' | 'unknown';

export function extension(path: string): string {
  const name = path.split('/').pop() ?? '';
  const i = name.lastIndexOf('.');
  return i <= 0 ? '' : name.slice(i + 1).toLowerCase();
}

/** How a file is shown, by extension (case-insensitive, docs/decisions.md §8). */
export function viewerKind(path: string): ViewerKind {
  switch (extension(path)) {
    case 'csv':
      return 'csv';
    case 'png':
    case 'jpg':
    case 'jpeg':
      return 'image';
    case 'log':
      return 'log';
    case 'txt':
    case 'json':
    case 'md':
    case 'yaml':
    case 'yml':
      return 'text';
    case 'html':
    case 'htm':
    case 'svg':
    case 'svgz':
    case 'pdf':
      return 'sandboxed';
    default:
      return 'unknown';
  }
}

/** One run of log text with its ANSI colour (SGR) state. */
export interface AnsiSegment {
  text: string;
  /** 30-37 / 90-97 foreground colour code, or null for the default */
  fg: number | null;
  bold: boolean;
}

/**
 * Splits log text at ANSI escape sequences into runs of plain text with their colour, so the
 * viewer can colour them without ever treating the text as markup. Sequences other than
 * colours are dropped.
 */
export function ansiSegments(s: string): AnsiSegment[] {
  const out: AnsiSegment[] = [];
  let fg: number | null = null;
  let bold = false;
  // eslint-disable-next-line no-control-regex
  const re = /\u001b\[([0-9;?]*)([ -/]*[@-~])/g;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const prev = out[out.length - 1];
    if (prev && prev.fg === fg && prev.bold === bold) prev.text += text;
    else out.push({ text, fg, bold });
  };
  for (let m = re.exec(s); m; m = re.exec(s)) {
    push(s.slice(last, m.index));
    last = re.lastIndex;
    if (m[2] !== 'm') continue;
    const codes = m[1] === '' ? [0] : m[1].split(';').map((c) => Number(c) || 0);
    for (const c of codes) {
      if (c === 0) {
        fg = null;
        bold = false;
      } else if (c === 1) bold = true;
      else if (c === 22) bold = false;
      else if (c === 39) fg = null;
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) fg = c;
    }
  }
  push(s.slice(last));
  return out;
}
