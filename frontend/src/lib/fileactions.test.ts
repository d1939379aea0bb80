import { describe, expect, it } from 'vitest';
import type { ActionState, RequestFile } from '../api/types';
import { bulkState, changeState, commonType, moveOption, planChange, typeOption } from './fileactions';

const no = (reason: string): ActionState => ({ shown: true, allowed: false, reason });
const yes: ActionState = { shown: true, allowed: true };

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
  uploadAttempts: 0,
  contentType: '',
  reviewedSha256: null,
  warnings: null,
  acknowledgements: [],
  actions,
});

const editable = (path: string, t: RequestFile['fileType'] = 'OUTPUT') =>
  file(path, t, { withdraw: yes, changeType: yes, move: yes, update: no('This file has not changed in the workspace since it was added to the request') });
const released = (path: string) => file(path, 'SUPPORTING', { withdraw: yes, changeType: no('Released files cannot be added as output files'), move: yes });
const locked = (path: string) =>
  file(path, 'OUTPUT', { withdraw: no('The request is under review'), changeType: no('The request is under review'), move: no('The request is under review') });
const withdrawn = (path: string) =>
  file(path, 'WITHDRAWN', {
    withdraw: no('File has already been withdrawn from request'),
    changeType: no('Cannot change file group or type for a withdrawn file'),
    move: no('Cannot change file group or type for a withdrawn file'),
  });

describe('request file actions', () => {
  it("offers change group/type when the API allows a type change or a move (never inferred from withdraw)", () => {
    expect(changeState(editable('a.csv'))).toEqual(yes);
    expect(changeState(released('r.csv'))).toEqual(yes);
    expect(changeState(locked('l.csv'))).toEqual(no('The request is under review'));
    expect(changeState(withdrawn('w.csv'))).toEqual(no('Cannot change file group or type for a withdrawn file'));
    // a file that may be withdrawn but neither move nor change type is not offered the dialog
    expect(changeState(file('m', 'SUPPORTING', { withdraw: yes, changeType: no('No'), move: no('Not now') }))).toEqual(no('No'));
    // move alone is enough; its reason shows when there is no changeType answer
    expect(changeState(file('m', 'SUPPORTING', { withdraw: no('x'), changeType: no('No'), move: yes }))).toEqual(yes);
    expect(changeState(file('m', 'SUPPORTING', { move: no('Not now') }))).toEqual(no('Not now'));
    expect(changeState(file('x', 'OUTPUT', {}))).toEqual({ shown: false, allowed: false, reason: 'Not available' });
  });

  it('lets files move only when each may', () => {
    expect(moveOption([editable('a'), released('r')])).toEqual(yes);
    expect(moveOption([editable('a'), locked('l')])).toEqual(no('l: The request is under review'));
    expect(moveOption([file('x', 'OUTPUT', {})])).toEqual(no('Not available'));
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
