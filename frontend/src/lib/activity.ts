// The activity log as people read it: the API's description of each event type, the extra
// fields worded and ordered, and the user / event-type filters.
import type { AuditEvent } from '../api/types';

/** The human label: the API's description, else the type worded ("REQUEST_FOO" → "Request foo"). */
export function eventLabel(e: Pick<AuditEvent, 'type' | 'description'>): string {
  if (e.description) return e.description;
  const t = e.type.toLowerCase().replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const fileTypes: Record<string, string> = { OUTPUT: 'Output', SUPPORTING: 'Supporting', WITHDRAWN: 'Withdrawn' };
const visibilities: Record<string, string> = { PRIVATE: 'Private (output checkers only)', PUBLIC: 'Public' };

// known extra keys, in the order shown, with their labels and value wording
const known: { key: string; label: string; value?: (v: string) => string }[] = [
  { key: 'group', label: 'Group' },
  { key: 'filetype', label: 'File type', value: (v) => fileTypes[v] ?? v },
  { key: 'comment', label: 'Comment' },
  { key: 'visibility', label: 'Visibility', value: (v) => visibilities[v] ?? v },
  { key: 'context', label: 'Context' },
  { key: 'controls', label: 'Controls' },
  { key: 'reviewer', label: 'Reviewer' },
  { key: 'from', label: 'From status' },
  { key: 'status', label: 'To status' },
  { key: 'reason', label: 'Reason' },
  { key: 'error', label: 'Error' },
  { key: 'review_turn', label: 'Turn' },
];
// flags that say something only when set
const flags: Record<string, string> = {
  retry: 'Retried release',
  status_unchanged: 'Status unchanged',
  automated_action: 'Automated action',
};

export interface Detail {
  label: string;
  value: string;
}

/** The event's details in reading order: the file, then the known fields, then any others. */
export function eventDetails(e: Pick<AuditEvent, 'path' | 'extra'>): Detail[] {
  const out: Detail[] = [];
  if (e.path) out.push({ label: 'File', value: e.path });
  const extra = e.extra ?? {};
  const seen = new Set<string>();
  for (const k of known) {
    const v = extra[k.key];
    seen.add(k.key);
    if (v === undefined || v === '') continue;
    out.push({ label: k.label, value: k.value ? k.value(v) : v });
  }
  for (const [k, v] of Object.entries(extra)) {
    if (seen.has(k)) continue;
    if (k in flags) {
      if (v === 'true') out.push({ label: flags[k], value: '' });
      continue;
    }
    out.push({ label: k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()), value: v });
  }
  return out;
}

export interface ActivityFilter {
  user: string;
  /** an event type ("" for all) */
  type: string;
}

export function filterEvents(events: AuditEvent[], f: ActivityFilter): AuditEvent[] {
  return events.filter((e) => (!f.user || e.user === f.user) && (!f.type || e.type === f.type));
}

/** The users and event types present, for the filter menus (sorted by user / by label). */
export function filterOptions(events: AuditEvent[]): { users: string[]; types: { type: string; label: string; count: number }[] } {
  const users = [...new Set(events.map((e) => e.user).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  const types = new Map<string, { type: string; label: string; count: number }>();
  for (const e of events) {
    const t = types.get(e.type) ?? { type: e.type, label: eventLabel(e), count: 0 };
    t.count++;
    types.set(e.type, t);
  }
  return { users, types: [...types.values()].sort((a, b) => a.label.localeCompare(b.label)) };
}
