// The JSON shapes of docs/api.md ("the contract"), field for field.

export type Status =
  | 'PENDING'
  | 'SUBMITTED'
  | 'PARTIALLY_REVIEWED'
  | 'REVIEWED'
  | 'RETURNED'
  | 'APPROVED'
  | 'REJECTED'
  | 'WITHDRAWN'
  | 'RELEASED';

export type Phase = 'AUTHOR' | 'INDEPENDENT' | 'CONSOLIDATING' | 'COMPLETE';
export type FileType = 'OUTPUT' | 'SUPPORTING' | 'WITHDRAWN';
export type Decision = 'INCOMPLETE' | 'APPROVED' | 'CHANGES_REQUESTED' | 'CONFLICTED';
export type Vote = 'APPROVED' | 'CHANGES_REQUESTED' | 'UNDECIDED';
export type Visibility = 'PUBLIC' | 'PRIVATE';
export type WorkspaceFileStatus =
  | 'UNRELEASED'
  | 'UNDER_REVIEW'
  | 'UPDATED'
  | 'RELEASED'
  | 'WITHDRAWN'
  | 'INVALID';
export type Access = 'ROLE' | 'COPILOT' | 'CHECKER' | 'READONLY';

export interface Project {
  name: string;
  ongoing: boolean;
  orgs: string[];
}

export interface WorkspaceGrant {
  project: Project;
  archived: boolean;
}

export interface User {
  username: string;
  fullname: string;
  outputChecker: boolean;
  readonlyAccess: boolean;
  workspaces: Record<string, WorkspaceGrant>;
  copilotedWorkspaces: Record<string, WorkspaceGrant>;
  /** extension: viewAllWorkspaces, the "All workspaces" list (the domain's rule) */
  actions?: Partial<Record<'viewAllWorkspaces' | 'reviewRequests', ActionState>>;
}

/** extension: GET /all-workspaces, the workspaces matching a search grouped by project ("" when unknown) */
export interface AllWorkspaces {
  projects: { name: string; orgs: string[]; workspaces: { name: string; access: Access }[] }[];
  total: number;
  matched: number;
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface WorkspaceSummary {
  name: string;
  project: Project;
  archived: boolean;
  active: boolean;
  access: Access;
  canCreateRequest: boolean;
  /** canCreateRequest with the domain's reason when not allowed */
  createRequest: ActionState;
  currentRequestId: string | null;
  manifestHash?: string;
  /** extension, single-workspace answer only: adding and updating the files the user selects */
  actions?: Partial<Record<'addFiles' | 'updateFiles', ActionState>>;
}

export interface Entry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  size: number;
  modifiedAt: string;
  status?: WorkspaceFileStatus;
  allowedType: boolean;
  outOfDate: boolean;
  /** files of a tree level: add, addOutput, addSupporting, update, as on FileDetail (the domain's reasons) */
  actions?: Record<string, ActionState>;
  /** extension: the type the file is added as by default (SUPPORTING when it can only be supporting); absent when it cannot be added */
  addFileType?: 'OUTPUT' | 'SUPPORTING';
  /** extension: warning counts of a CSV file once counted (absent for other files) */
  warnings?: WarningCounts;
  /** extension: the counts are being computed; a workspace.changed event says when ready */
  warningsPending?: boolean;
}

/** Disclosure-check warnings of a file by severity (hints, never decisions). */
export interface WarningCounts {
  INFO: number;
  WARN: number;
  BLOCK: number;
}

/** A reviewer's note on approving a file with BLOCK warnings. */
export interface Acknowledgement {
  reviewer: string;
  note: string;
  turn: number;
}

export interface TreeLevel {
  path: string;
  entries: Entry[];
}

export interface ActionState {
  /** whether the action is shown to this viewer at all (never allowed when not) */
  shown?: boolean;
  allowed: boolean;
  reason?: string;
  /** on an allowed action: why it needs an acknowledgement note (approve with BLOCK warnings) */
  acknowledge?: string;
  /** on an allowed action on selected files: what to say while none it applies to is selected */
  unselected?: string;
  /** extension: on a refused action, the file groups its reason is about (to link to each) */
  groups?: string[];
}

export interface FileDetail extends Entry {
  sha256: string;
  contentType: string;
  request: { id: string; group: string; fileType: FileType } | null;
  actions: Record<string, ActionState>;
  /** extension: what produced the output, from job-runner's manifest; null without an entry */
  producedBy?: ProducedBy | null;
}

export interface ProducedBy {
  action: string;
  jobId: string;
  jobRequest: string;
  commit: string;
  repo: string;
  user: string;
  /** a link to the code at the commit, when a code browser is configured */
  codeUrl?: string;
}

export interface TablePage {
  columns: string[];
  rows: string[][];
  /** each row's 0-based data-row number in the file (the numbering of summary warning cells) */
  rowIndexes: number[];
  totalRows: number;
  matchedRows: number;
  offset: number;
  /** false on a first page of a large file not indexed yet: the counts are provisional */
  totalRowsExact?: boolean;
}

export interface ColumnSummary {
  name: string;
  type: 'integer' | 'float' | 'mixed' | 'text';
  missing: number;
  redacted: number;
  min?: number | null;
  minNonZero?: number | null;
  max?: number | null;
  sum?: number | null;
  divisibleBy5?: boolean | null;
  divisibleBy6?: boolean | null;
  midpoint6?: boolean | null;
}

export interface Warning {
  rule: string;
  severity: 'INFO' | 'WARN' | 'BLOCK';
  message: string;
  cells: { row: number; column: number }[];
}

export interface Summary {
  rows: number;
  columns: ColumnSummary[];
  warnings: Warning[];
}

/** One ACRO verification of a file's bytes against the checksum ACRO wrote (docs/acro.md). */
export interface AcroChecksum {
  state: 'MATCH' | 'MISMATCH' | 'MISSING' | 'INVALID';
  path: string;
  expected: string;
  actual: string;
  message: string;
}

/** What ACRO recorded about one file (GET .../acro/{path}; docs/api.md "ACRO results"). */
export interface Acro {
  resultsPath: string;
  source: 'workspace' | 'request';
  /** set when results.json could not be read; the other fields are then empty */
  error: string;
  version: string;
  layout: 'versioned' | 'legacy' | '';
  uid: string;
  status: 'pass' | 'review' | 'fail' | 'unknown';
  statusText: string;
  type: string;
  command: string;
  summary: string;
  timestamp: string;
  suppressed: boolean | null;
  checks: { name: string; value: string; flagged: boolean }[];
  cells: { check: string; row: number; column: number }[];
  cellsTotal: number;
  outcomeCells: { row: string; column: string; outcome: string }[];
  outcomeCellsTotal: number;
  exception: string;
  comments: string[];
  problems: string[];
  checksum: AcroChecksum;
  resultsChecksum: AcroChecksum;
}

export interface RequestFile {
  path: string;
  fileType: FileType;
  sha256: string;
  size: number;
  decision: Decision;
  myVote: Vote | null;
  workspaceStatus: WorkspaceFileStatus;
  released: boolean;
  uploaded: boolean;
  /** extension: failing uploads while APPROVED */
  uploadAttempts?: number;
  uploadError?: string;
  contentType?: string;
  /** extension: the content the file's reviewers last voted on, when it has changed since */
  reviewedSha256?: string | null;
  /** extension: warning counts of the stored copy (null: never counted) */
  warnings?: WarningCounts | null;
  /** extension: the notes on approvals of this file the caller may see */
  acknowledgements?: Acknowledgement[];
  /** extension: what the caller may do with this file, each with the reason when not */
  actions: Partial<Record<FileActionKey, ActionState>>;
}

/** changeType: output ↔ supporting in place; move: to another group, keeping the type; changes: see what changed since the review. */
export type FileActionKey = 'vote' | 'approve' | 'resetVote' | 'withdraw' | 'update' | 'changeType' | 'move' | 'download' | 'changes';

/** GET /requests/{id}/changes/{path}: what changed since the review (docs/api.md, What changed). */
export interface FileChanges {
  path: string;
  kind: 'csv' | 'text' | 'binary';
  reviewed: { sha256: string; size: number };
  current: { sha256: string; size: number };
  table?: TableChanges;
  text?: TextChanges;
}

export interface TableChanges {
  reviewedColumns: string[];
  currentColumns: string[];
  columnsAdded: string[];
  columnsRemoved: string[];
  reviewedRows: number;
  currentRows: number;
  rowsAdded: number;
  rowsRemoved: number;
  rowsChanged: number;
  cellsChanged: number;
  aligned: boolean;
  truncated: boolean;
  invalid?: string;
  changes: RowChange[];
}

export interface RowChange {
  kind: 'added' | 'removed' | 'changed';
  reviewedRow?: number;
  currentRow?: number;
  reviewed?: string[];
  current?: string[];
  /** indexes in currentColumns of the cells that differ (changed rows) */
  cells: number[];
}

export interface TextChanges {
  reviewedLines: number;
  currentLines: number;
  linesAdded: number;
  linesRemoved: number;
  aligned: boolean;
  truncated: boolean;
  hunks: { reviewedStart: number; currentStart: number; lines: { kind: 'context' | 'added' | 'removed'; reviewedLine?: number; currentLine?: number; text: string }[] }[];
}

export interface Comment {
  id: string;
  author: string;
  text: string;
  html: string;
  visibility: Visibility;
  turn: number;
  createdAt: string;
  /** extension: only its writer sees it until the independent reviews are complete */
  blinded: boolean;
  /** extension: the caller may delete it / make it public now */
  canDelete: boolean;
  canPublish: boolean;
}

export interface FileGroup {
  name: string;
  context: string;
  controls: string;
  files: RequestFile[];
  comments: Comment[];
}

export type ActionKey =
  | 'addFiles'
  | 'submit'
  | 'withdraw'
  | 'review'
  | 'return'
  | 'reject'
  | 'release'
  | 'comment'
  | 'editGroups'
  | 'vote';

export interface Request {
  id: string;
  workspace: string;
  author: string;
  status: Status;
  turn: number;
  phase: Phase;
  /** extension: the workspace's project and organisations when the request was created */
  project?: string;
  orgs?: string[];
  createdAt: string;
  lastSubmittedAt: string | null;
  submittedReviewers: string[];
  /** extension: how many reviews the latest review turn has (the same for every viewer, as the status is) */
  reviews: { submitted: number; turn: number };
  groups: FileGroup[];
  upload: { released: number; uploaded: number };
  actions: Partial<Record<ActionKey, ActionState>>;
  /** extension: what the caller is expected to do now, in a sentence or two */
  nextStep?: string;
  /** extension: the visibilities the caller may write comments with now (first = default) */
  commentVisibilities: Visibility[];
}

export interface RequestSummary {
  id: string;
  workspace: string;
  author: string;
  status: Status;
  turn: number;
  createdAt: string;
  lastSubmittedAt: string | null;
  outputFiles: number;
  myReview: { voted: number; submitted: boolean } | null;
  /** extension: as on Request */
  project?: string;
  orgs?: string[];
  /** extension: the output files' warning counts added up; files with BLOCK; files never counted */
  warnings?: WarningCounts;
  blockFiles?: number;
  uncountedFiles?: number;
  /** extension: the list of the reviews page the request belongs to ('' for none) */
  reviewList?: 'OUTSTANDING' | 'RETURNED' | 'APPROVED' | '';
}

export interface AuditEvent {
  id: string | number;
  type: string;
  user: string;
  workspace: string;
  request: string;
  path: string;
  extra: Record<string, string>;
  createdAt: string;
  /** extension: the human label of the type ("Submitted request") */
  description?: string;
}

/** extension: the viewable part of a log file (GET .../log/{path}) */
export interface LogView {
  /** the end of the log above the job summary (at most 10,000 bytes) */
  text: string;
  /** the job-summary trailer from its marker line to the end ("" when none) */
  summary: string;
  /** the start of the log was left out */
  truncated: boolean;
  /** the whole file's size in bytes */
  size: number;
}

/** Live events of GET /api/v1/events, plus the transport's own "reconnected". */
export type LiveEvent =
  | { type: 'hello'; user: string }
  | { type: 'request.changed'; requestId: string; workspace: string; status: Status }
  | { type: 'workspace.changed'; workspace: string; paths: string[] }
  | { type: 'reconnected' };
