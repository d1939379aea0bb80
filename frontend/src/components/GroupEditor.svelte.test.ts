import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { Request } from '../api/types';
import GroupEditor from './GroupEditor.svelte';

const request: Request = {
  id: 'R1',
  workspace: 'ws',
  author: 'alice',
  status: 'PENDING',
  turn: 1,
  phase: 'AUTHOR',
  project: '',
  orgs: [],
  createdAt: '',
  lastSubmittedAt: null,
  submittedReviewers: [],
  reviews: { submitted: 0, turn: 0 },
  groups: [
    { name: 'g1', context: 'context of g1', controls: 'controls of g1', comments: [], files: [] },
    { name: 'g2', context: 'context of g2', controls: 'controls of g2', comments: [], files: [] },
  ],
  upload: { released: 0, uploaded: 0 },
  actions: { editGroups: { shown: true, allowed: true } },
  commentVisibilities: [],
  nextStep: '',
};

describe('GroupEditor', () => {
  it("shows the new group's text after a switch, never the unsaved edits of the previous group", () => {
    const target = document.createElement('div');
    document.body.appendChild(target);
    const props = $state({ request, group: 'g1', onchange: () => {} });
    const c = mount(GroupEditor, { target, props });
    flushSync();
    const ctx = () => target.querySelector<HTMLTextAreaElement>('[data-testid=context]')!;
    expect(ctx().value).toBe('context of g1');
    ctx().value = 'unsaved edit of g1';
    ctx().dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(target.querySelector('[data-testid=save-group]')?.textContent).toContain('Save');

    props.group = 'g2';
    flushSync();
    expect(ctx().value).toBe('context of g2');
    expect(target.querySelector<HTMLTextAreaElement>('[data-testid=controls]')!.value).toBe('controls of g2');
    expect(target.querySelector('[data-testid=save-group]')?.textContent).toContain('Saved');
    unmount(c);
    target.remove();
  });

  it("brings back a group's unsaved text after the editor was gone (another page, a reload), for that group only", () => {
    localStorage.clear();
    const target = document.createElement('div');
    document.body.appendChild(target);
    const first = mount(GroupEditor, { target, props: { request, group: 'g1', onchange: () => {} } });
    flushSync();
    const ctx = () => target.querySelector<HTMLTextAreaElement>('[data-testid=context]')!;
    ctx().value = 'a draft of g1';
    ctx().dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    unmount(first);

    const props = $state({ request, group: 'g1', onchange: () => {} });
    const again = mount(GroupEditor, { target, props });
    flushSync();
    expect(ctx().value).toBe('a draft of g1');
    expect(target.querySelector('[data-testid=group-draft]')).not.toBeNull();
    expect(target.querySelector('[data-testid=save-group]')?.textContent).toContain('Save');
    props.group = 'g2';
    flushSync();
    expect(ctx().value).toBe('context of g2');
    expect(target.querySelector('[data-testid=group-draft]')).toBeNull();
    unmount(again);
    target.remove();
  });
});
