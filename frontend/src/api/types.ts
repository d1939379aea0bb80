// The JSON shapes of docs/api.md ("the contract"). The shapes themselves are generated from
// the Go structs that make them (types.gen.ts: go run ./backend/contract/gen; a Go test
// fails when it is out of date); what Go does not declare as a type is written here.
import type { ActionState, Entry, Status, TreeFileActions } from './types.gen';

export type * from './types.gen';

/** changeType: output ↔ supporting in place; move: to another group, keeping the type; changes: see what changed since the review. */
export type FileActionKey = 'vote' | 'approve' | 'resetVote' | 'withdraw' | 'update' | 'changeType' | 'move' | 'download' | 'changes';

/** Live events of GET /api/v1/events (airlock.Event, by type), plus the transport's own "reconnected". */
export type LiveEvent =
  | { type: 'hello'; user: string }
  | { type: 'request.changed'; requestId: string; workspace: string; status: Status }
  | { type: 'workspace.changed'; workspace: string; paths: string[] }
  | { type: 'reconnected' };

/** A workspace file as a tree level or the file's detail gives it, with what may be done to add it. */
export type AddableFile = Omit<Entry, 'actions'> & { actions?: Partial<Record<keyof TreeFileActions, ActionState>> };
