// Disclosure-check warning counts as the API gives them (docs/api.md, "Warnings and
// acknowledgements"): these helpers only list and word what the API says; whether a note is
// needed is the API's approve action (its acknowledge text), never decided here.
import type { Acknowledgement, Request, RequestFile, WarningCounts } from '../api/types';

export const severities = ['BLOCK', 'WARN', 'INFO'] as const;

/** "1 BLOCK · 2 WARN" (only severities with warnings); "" when there are none. */
export function warningText(w: WarningCounts | null | undefined): string {
  if (!w) return '';
  return severities
    .filter((s) => w[s] > 0)
    .map((s) => `${w[s]} ${s}`)
    .join(' · ');
}

export interface FileInGroup {
  group: string;
  file: RequestFile;
}

/** The output files whose stored copy has a BLOCK warning, in request order. */
export function blockFiles(req: Request): FileInGroup[] {
  return req.groups.flatMap((g) => g.files.filter((f) => f.fileType === 'OUTPUT' && (f.warnings?.BLOCK ?? 0) > 0).map((file) => ({ group: g.name, file })));
}

/** The files among paths whose approve action says an acknowledgement note is needed. */
export function needingAcknowledgement(req: Request, paths: string[]): RequestFile[] {
  const all = req.groups.flatMap((g) => g.files);
  return paths.map((p) => all.find((f) => f.path === p)).filter((f): f is RequestFile => !!f && !!f.actions.approve?.acknowledge);
}

/** "checker1: “note”; checker2: “note”", or "not acknowledged yet". */
export function acknowledgedBy(acks: Acknowledgement[] | undefined): string {
  if (!acks || acks.length === 0) return 'not acknowledged by anyone you can see';
  return acks.map((a) => `${a.reviewer}: “${a.note}”`).join('; ');
}
