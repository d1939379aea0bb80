// Unsaved edits are never lost: the text of a group's context and controls and of a comment
// being written is kept in this browser (localStorage, per user, request and group) until it
// is saved, and leaving a page with unsaved text asks first (see `unsaved` below and App).

const prefix = 'airlock.draft';

/** The storage key of one draft: user, request, group and which text ("group", "comment", …). */
export function draftKey(user: string, requestId: string, group: string, what: string): string {
  return [prefix, user, requestId, group, what].map(encodeURIComponent).join(':');
}

/** The stored draft, or null when there is none (or it cannot be read). */
export function loadDraft<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

export function saveDraft<T>(key: string, value: T): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the page still holds the text, and leaving still asks */
  }
}

export function clearDraft(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing stored */
  }
}

// --- what is unsaved on the page now: editors say so, App asks before the page is left

const owners = new Map<object, string>();

/** Records that owner holds unsaved text, described for people ("Context of group 'g'"). */
export function markUnsaved(owner: object, what: string): void {
  owners.set(owner, what);
}

/** Records that owner holds nothing unsaved (saved, emptied, or gone). */
export function markSaved(owner: object): void {
  owners.delete(owner);
}

/** What is unsaved on the page, in the order the editors reported it. */
export function unsaved(): string[] {
  return [...owners.values()];
}
