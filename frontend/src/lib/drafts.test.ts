import { beforeEach, describe, expect, it } from 'vitest';
import { clearDraft, draftKey, loadDraft, markSaved, markUnsaved, saveDraft, unsaved } from './drafts';

describe('drafts', () => {
  beforeEach(() => localStorage.clear());

  it('keeps one draft per user, request, group and text', () => {
    const keys = [draftKey('alice', 'R1', 'g1', 'group'), draftKey('bob', 'R1', 'g1', 'group'), draftKey('alice', 'R2', 'g1', 'group'), draftKey('alice', 'R1', 'g2', 'group'), draftKey('alice', 'R1', 'g1', 'comment')];
    expect(new Set(keys).size).toBe(keys.length);
    // names with the separator in them do not collide
    expect(draftKey('a', 'R1', 'x:y', 'group')).not.toBe(draftKey('a', 'R1:x', 'y', 'group'));
  });

  it('stores, reads back and clears', () => {
    const k = draftKey('alice', 'R1', 'g1', 'group');
    expect(loadDraft(k)).toBeNull();
    saveDraft(k, { context: 'c', controls: 'k' });
    expect(loadDraft(k)).toEqual({ context: 'c', controls: 'k' });
    clearDraft(k);
    expect(loadDraft(k)).toBeNull();
  });

  it('reads a damaged draft as none', () => {
    localStorage.setItem('airlock.draft:x', '{not json');
    expect(loadDraft('airlock.draft:x')).toBeNull();
  });

  it('lists what is unsaved until each owner says it is saved', () => {
    const a = {};
    const b = {};
    markUnsaved(a, "Context and controls of group 'g1'");
    markUnsaved(b, "A comment on group 'g2'");
    markUnsaved(a, "Context and controls of group 'g1'");
    expect(unsaved()).toEqual(["Context and controls of group 'g1'", "A comment on group 'g2'"]);
    markSaved(a);
    expect(unsaved()).toEqual(["A comment on group 'g2'"]);
    markSaved(b);
    expect(unsaved()).toEqual([]);
  });
});
