import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditType } from '../api/types';
import { eventDetails, eventLabel, filterEvents, filterOptions } from './activity';

let seq = 0;
const ev = (type: string, user: string, over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: ++seq,
  type: type as AuditType,
  user,
  workspace: 'ws',
  request: 'R1',
  path: '',
  extra: {},
  createdAt: '2026-07-14T09:05:00Z',
  description: '',
  ...over,
});

describe('activity log', () => {
  it('uses the API description, and words unknown types without one', () => {
    expect(eventLabel(ev('REQUEST_SUBMIT', 'alice', { description: 'Submitted request' }))).toBe('Submitted request');
    expect(eventLabel(ev('REQUEST_SOMETHING_NEW', 'alice'))).toBe('Request something new');
  });

  it('words the details: file first, known fields in order, flags only when set, others last', () => {
    const e = ev('REQUEST_FILE_ADD', 'alice', {
      path: 'output/a.csv',
      extra: { review_turn: '2', filetype: 'SUPPORTING', group: 'tables', visibility: 'PRIVATE', status_unchanged: 'true', retry: 'false', odd_key: 'x' },
    });
    expect(eventDetails(e)).toEqual([
      { label: 'File', value: 'output/a.csv' },
      { label: 'Group', value: 'tables' },
      { label: 'File type', value: 'Supporting' },
      { label: 'Visibility', value: 'Private (output checkers only)' },
      { label: 'Turn', value: '2' },
      { label: 'Status unchanged', value: '' },
      { label: 'Odd key', value: 'x' },
    ]);
    expect(eventDetails(ev('REQUEST_CREATE', 'alice'))).toEqual([]);
  });

  it('filters by user and by event type, offering only what is present', () => {
    const events = [
      ev('REQUEST_FILE_APPROVE', 'carol', { description: 'Approved file' }),
      ev('REQUEST_FILE_APPROVE', 'dave', { description: 'Approved file' }),
      ev('REQUEST_COMMENT', 'carol', { description: 'Commented' }),
      ev('REQUEST_SUBMIT', 'alice', { description: 'Submitted request' }),
    ];
    expect(filterEvents(events, { user: 'carol', type: '' }).map((e) => e.type)).toEqual(['REQUEST_FILE_APPROVE', 'REQUEST_COMMENT']);
    expect(filterEvents(events, { user: '', type: 'REQUEST_FILE_APPROVE' }).map((e) => e.user)).toEqual(['carol', 'dave']);
    expect(filterEvents(events, { user: 'alice', type: 'REQUEST_COMMENT' })).toEqual([]);
    expect(filterEvents(events, { user: '', type: '' })).toHaveLength(4);
    expect(filterOptions(events)).toEqual({
      users: ['alice', 'carol', 'dave'],
      types: [
        { type: 'REQUEST_FILE_APPROVE', label: 'Approved file', count: 2 },
        { type: 'REQUEST_COMMENT', label: 'Commented', count: 1 },
        { type: 'REQUEST_SUBMIT', label: 'Submitted request', count: 1 },
      ],
    });
  });
});
