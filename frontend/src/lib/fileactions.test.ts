import { describe, expect, it } from 'vitest';
import type { ActionState, RequestFile } from '../api/types';
import { bulkState, changeState, commonType, planChange, typeOption } from './fileactions';

const no = (reason: string): ActionState => ({ allowed: false, reason });
const yes: ActionState = { allowed: true };

const file = (path: string, fileType: RequestFile['fileType'], actions: RequestFile['actions']): RequestFile => ({
  path,
  fileType,
  sha256: 'x',
  size: 1,
  decision: 'INCOMPLETE',
  myVote: null,
  workspaceStatus: 'UNDER_REVIEW',
  released: false,
  uploaded: false,
  actions,
});

const editable = (path: string, t: RequestFile['fileType'] = 'OUTPUT') => file(path, t, { withdraw: yes, changeType: yes, update: no('Cannot update file in request if it is not updated on disk') });
const released = (path: string) => file(path, 'SUPPORTING', { withdraw: yes, changeType: no('Released files cannot be added as output files') });
const locked = (path: string) => file(path, 'OUTPUT', { withdraw: no('The request is under review'), changeType: no('The request is under review') });

describe('request file actions', () => {
  it('offers change group/type when the type may change, or the file may at least move', () => {
    expect(changeState(editable('a.csv'))).toEqual(yes);
    expect(changeState(released('r.csv'))).toEqual(yes);
    expect(changeState(locked('l.csv'))).toEqual(no('The request is under review'));
    expect(changeState(file('x', 'OUTPUT', {}))).toEqual({ allowed: false, reason: 'Not available' });
  });

  it('combines several files into one state with the first reason, naming the file', () => {
    expect(bulkState([], (f) => f.actions.withdraw!)).toEqual(no('Select files first'));
    expect(bulkState([editable('a'), editable('b')], (f) => f.actions.withdraw!)).toEqual(yes);
    expect(bulkState([editable('a'), locked('b')], (f) => f.actions.withdraw!)).toEqual(no('b: The request is under review'));
    expect(bulkState([locked('b')], (f) => f.actions.withdraw!)).toEqual(no('The request is under review'));
  });

  it('allows a type only when every file has it or may change to it', () => {
    expect(typeOption([released('r'), editable('a')], 'SUPPORTING')).toEqual(yes);
    expect(typeOption([released('r'), editable('a')], 'OUTPUT')).toEqual(no('r: Released files cannot be added as output files'));
    expect(typeOption([released('r')], 'OUTPUT')).toEqual(no('Released files cannot be added as output files'));
    expect(commonType([editable('a'), editable('b')])).toBe('OUTPUT');
    expect(commonType([editable('a'), released('r')])).toBe('');
  });

  it('plans a move, a type change, or both, leaving out files that would not change', () => {
    const a = editable('a.csv');
    const s = editable('s.txt', 'SUPPORTING');
    expect(planChange([a, s], 'tables', 'figures', '')).toEqual({
      paths: ['a.csv', 's.txt'],
      change: { group: 'figures' },
      messages: ['The file a.csv has been moved to group figures', 'The file s.txt has been moved to group figures'],
    });
    expect(planChange([a, s], 'tables', 'tables', 'SUPPORTING')).toEqual({
      paths: ['a.csv'],
      change: { fileType: 'SUPPORTING' },
      messages: ['The file type of a.csv has been changed to Supporting'],
    });
    expect(planChange([a], 'tables', ' new ', 'SUPPORTING')).toMatchObject({ paths: ['a.csv'], change: { group: 'new', fileType: 'SUPPORTING' } });
    expect(planChange([s], 'tables', 'tables', 'SUPPORTING')).toBe('Nothing to change: choose another group or file type');
    expect(planChange([a], 'tables', '  ', '')).toBe('Choose a file group or enter a new group name');
  });
});
