// The frontend renders the API's `actions` blocks and decides no rule (docs/api.md
// "Actions"): no source file compares a request or workspace-file status, or the viewer's
// role, with a literal. Display mappings that only choose words or colours for a value the
// API gave are allowed below, each with its reason.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

const statuses = 'PENDING|SUBMITTED|PARTIALLY_REVIEWED|REVIEWED|RETURNED|APPROVED|REJECTED|RELEASED|WITHDRAWN|UNRELEASED|UNDER_REVIEW|UPDATED';

/** What counts as deciding: each pattern names the decision it catches. */
export const decisionPatterns: { what: string; re: RegExp }[] = [
  { what: 'a status compared with a literal', re: new RegExp(`[sS]tatus\\)?\\s*[!=]==?\\s*'(${statuses})'`) },
  { what: 'a literal compared with a status', re: new RegExp(`'(${statuses})'\\s*[!=]==?\\s*\\S*[sS]tatus\\b`) },
  { what: 'a status looked up in a list of statuses', re: /\.includes\(\s*\S*\.status\s*\)/ },
  { what: 'a switch on a status', re: /switch\s*\(\s*\S*\.status\s*\)/ },
  { what: 'a list of statuses', re: /\b(reviewStatuses|editableStatuses)\b/ },
  { what: 'the viewer\'s role worked out in the frontend', re: /\broleOf\b|\brole(\?)?\.(isAuthor|isReviewer|canReviewNow)\b/ },
  { what: 'a role compared', re: /\b(role|access)\s*[!=]==?/ },
  { what: 'a role flag of the user tested', re: /\b(outputChecker|readonlyAccess)\b/ },
  { what: 'the author compared with the viewer', re: /\.author\s*[!=]==?|[!=]==?\s*\S*\.author\b/ },
];

/**
 * Allowed, with the reason: file (relative to src), a substring of the line, why.
 */
const allowed: { file: string; line: string; why: string }[] = [
  { file: 'lib/format.ts', line: "case '", why: 'status → pill colour and words (display mapping of the status the API sent)' },
  { file: 'components/Nav.svelte', line: "outputChecker ? ' · output checker'", why: 'shows the user\'s role as words beside their name' },
  { file: 'api/types.gen.ts', line: 'outputChecker: boolean;', why: 'the User type of the contract, generated from Go' },
  { file: 'api/types.gen.ts', line: 'readonlyAccess: boolean;', why: 'the User type of the contract, generated from Go' },
  { file: 'lib/acro.ts', line: 'switch (a.status)', why: "ACRO's own pass/fail outcome of a disclosure check (words for it), not a request status" },
  { file: 'pages/Home.svelte', line: "w.access === 'ROLE'", why: 'which list a workspace is shown in, by the access the API reports for it (a grouping, no action)' },
  { file: 'pages/Copiloted.svelte', line: "w.access === 'COPILOT'", why: 'which list a workspace is shown in, by the access the API reports for it (a grouping, no action)' },
  { file: 'components/RequestGroupPane.svelte', line: "f.workspaceStatus === 'UPDATED'", why: 'a "Changed in workspace" badge for the status the API sent' },
  { file: 'components/RequestFilePane.svelte', line: "file.workspaceStatus === 'UPDATED'", why: 'a "Changed in workspace" badge for the status the API sent' },
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|svelte)$/.test(n) && !/\.test\.ts$/.test(n) ? [p] : [];
  });
}

export function findDecisions(): string[] {
  const out: string[] = [];
  for (const p of sources(root)) {
    const file = relative(root, p);
    readFileSync(p, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        for (const d of decisionPatterns) {
          if (!d.re.test(text)) continue;
          if (allowed.some((a) => a.file === file && text.includes(a.line))) continue;
          out.push(`${file}:${i + 1}: ${d.what}: ${text.trim()}`);
        }
      });
  }
  return out;
}

describe('the frontend decides no rule', () => {
  it('compares no status or role with a literal', () => {
    expect(findDecisions()).toEqual([]);
  });

  it('catches the comparisons it is meant to catch', () => {
    const caught = (line: string) => decisionPatterns.some((d) => d.re.test(line));
    expect(caught("{#if req.status === 'APPROVED'}")).toBe(true);
    expect(caught("if (r.status !== 'REVIEWED')")).toBe(true);
    expect(caught("shown.filter((r) => ['SUBMITTED', 'REVIEWED'].includes(r.status))")).toBe(true);
    expect(caught("{#if detail.status === 'UPDATED'}")).toBe(true);
    expect(caught('const isAuthor = r.author === me;')).toBe(true);
    expect(caught('{#if !session.user?.outputChecker}')).toBe(true);
    expect(caught("ws.filter((w) => w.access === 'ROLE')")).toBe(true);
    expect(caught('{#if role.canReviewNow}')).toBe(true);
    expect(caught("if (res.status === 204)")).toBe(false);
    expect(caught("file.myVote === 'APPROVED'")).toBe(false);
  });
});
