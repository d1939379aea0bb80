-- 0001_init: the initial schema. Append-only: never edit this file once applied; add
-- 0002_*.sql instead.
--
-- Times are UTC text in a fixed-width RFC 3339 form with nanoseconds
-- ("2006-01-02T15:04:05.000000000Z"), so they round-trip exactly and sort as text.
-- Enum columns store the enum name and are guarded by CHECK constraints.

-- Cached job-server user records.
CREATE TABLE users (
    username     TEXT PRIMARY KEY NOT NULL CHECK (username <> ''),
    fullname     TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL,             -- JSON of airlock.User
    refreshed_at TEXT NOT NULL
) STRICT;

CREATE TABLE requests (
    id                TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    workspace         TEXT NOT NULL CHECK (workspace <> ''),
    project           TEXT NOT NULL DEFAULT '',
    organisations     TEXT NOT NULL DEFAULT '[]',   -- JSON array
    author            TEXT NOT NULL CHECK (author <> ''),
    status            TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                          'PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED',
                          'APPROVED', 'REJECTED', 'RELEASED', 'WITHDRAWN')),
    created_at        TEXT NOT NULL,
    last_submitted_at TEXT,
    submitted_reviews TEXT NOT NULL DEFAULT '{}',   -- JSON map reviewer -> time
    review_turn       INTEGER NOT NULL DEFAULT 0 CHECK (review_turn >= 0),
    turn_reviewers    TEXT NOT NULL DEFAULT '[]',   -- JSON array
    release_id        TEXT NOT NULL DEFAULT ''
) STRICT;

-- An author has at most one active (not system-owned) request per workspace.
CREATE UNIQUE INDEX requests_one_active ON requests (workspace, author)
    WHERE status IN ('PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED');
CREATE INDEX requests_workspace ON requests (workspace, created_at);
CREATE INDEX requests_author ON requests (author);
CREATE INDEX requests_status ON requests (status);

CREATE TABLE file_groups (
    id         INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (name <> ''),
    context    TEXT NOT NULL DEFAULT '',
    controls   TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (request_id, name)
) STRICT;

CREATE TABLE request_files (
    id                  INTEGER PRIMARY KEY,
    request_id          TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    group_name          TEXT NOT NULL,
    relpath             TEXT NOT NULL CHECK (relpath <> ''),
    filetype            TEXT NOT NULL DEFAULT 'OUTPUT'
                            CHECK (filetype IN ('OUTPUT', 'SUPPORTING', 'WITHDRAWN')),
    file_id             TEXT NOT NULL,
    size                INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
    timestamp           TEXT NOT NULL,
    job_id              TEXT NOT NULL DEFAULT '',
    commit_id           TEXT NOT NULL DEFAULT '',
    repo                TEXT NOT NULL DEFAULT '',
    row_count           INTEGER,
    col_count           INTEGER,
    released_at         TEXT,
    released_by         TEXT NOT NULL DEFAULT '',
    uploaded            INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    uploaded_at         TEXT,
    upload_attempts     INTEGER NOT NULL DEFAULT 0 CHECK (upload_attempts >= 0),
    upload_attempted_at TEXT,
    upload_error        TEXT NOT NULL DEFAULT '',
    UNIQUE (request_id, relpath),
    FOREIGN KEY (request_id, group_name) REFERENCES file_groups (request_id, name)
        ON UPDATE CASCADE ON DELETE CASCADE
) STRICT;

CREATE INDEX request_files_group ON request_files (request_id, group_name);
CREATE INDEX request_files_pending_upload ON request_files (request_id)
    WHERE released_at IS NOT NULL AND uploaded = 0;
CREATE INDEX request_files_file_id ON request_files (file_id) WHERE released_at IS NOT NULL;

CREATE TABLE file_reviews (
    id          INTEGER PRIMARY KEY,
    file_row    INTEGER NOT NULL REFERENCES request_files (id) ON DELETE CASCADE,
    reviewer    TEXT NOT NULL CHECK (reviewer <> ''),
    status      TEXT NOT NULL CHECK (status IN ('APPROVED', 'CHANGES_REQUESTED', 'UNDECIDED')),
    review_turn INTEGER NOT NULL DEFAULT 0 CHECK (review_turn >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (file_row, reviewer)
) STRICT;

-- AUTOINCREMENT: comment ids are exposed and never reused after a delete.
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    author      TEXT NOT NULL CHECK (author <> ''),
    text        TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('PUBLIC', 'PRIVATE')),
    review_turn INTEGER NOT NULL DEFAULT 0 CHECK (review_turn >= 0),
    created_at  TEXT NOT NULL,
    FOREIGN KEY (request_id, group_name) REFERENCES file_groups (request_id, name)
        ON UPDATE CASCADE ON DELETE CASCADE
) STRICT;

CREATE INDEX comments_group ON comments (request_id, group_name);

-- The audit log: append-only and hash-chained. hash = sha256(prev_hash, canonical content);
-- `hidden` is the only mutable column and is not part of the hashed content.
-- No foreign keys: the log outlives and records everything.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT NOT NULL CHECK (type IN (
                   'WORKSPACE_FILE_VIEW', 'REQUEST_FILE_VIEW', 'REQUEST_FILE_DOWNLOAD',
                   'REQUEST_CREATE', 'REQUEST_SUBMIT', 'REQUEST_WITHDRAW', 'REQUEST_REVIEW',
                   'REQUEST_APPROVE', 'REQUEST_REJECT', 'REQUEST_RETURN', 'REQUEST_RELEASE',
                   'REQUEST_EARLY_RETURN', 'REQUEST_EDIT', 'REQUEST_COMMENT',
                   'REQUEST_COMMENT_DELETE', 'REQUEST_COMMENT_VISIBILITY_PUBLIC',
                   'REQUEST_FILE_ADD', 'REQUEST_FILE_UPDATE', 'REQUEST_FILE_WITHDRAW',
                   'REQUEST_FILE_APPROVE', 'REQUEST_FILE_REQUEST_CHANGES',
                   'REQUEST_FILE_RESET_REVIEW', 'REQUEST_FILE_UNDECIDED',
                   'REQUEST_FILE_RELEASE', 'REQUEST_FILE_UPLOAD', 'REQUEST_FORCE_CLOSE',
                   'REQUEST_FILE_UPLOAD_FAILED')),
    username   TEXT NOT NULL,
    workspace  TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',
    extra      TEXT NOT NULL DEFAULT '{}',          -- JSON map
    created_at TEXT NOT NULL,
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_user ON audit_log (username);
CREATE INDEX audit_log_workspace ON audit_log (workspace);
CREATE INDEX audit_log_request ON audit_log (request_id);

CREATE TRIGGER audit_log_no_update
BEFORE UPDATE OF id, type, username, workspace, request_id, path, extra, created_at,
                 prev_hash, hash ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_unhide
BEFORE UPDATE OF hidden ON audit_log
WHEN OLD.hidden = 1 AND NEW.hidden = 0
BEGIN
    SELECT RAISE(ABORT, 'audit_log: hidden events cannot be unhidden');
END;

CREATE TRIGGER audit_log_no_delete
BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Web sessions: the id is stored only as a hash.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL CHECK (id_hash <> ''),
    username   TEXT NOT NULL CHECK (username <> ''),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_expires ON sessions (expires_at);

-- Single-use login tokens: stored only as hashes.
CREATE TABLE login_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL CHECK (token_hash <> ''),
    username   TEXT NOT NULL CHECK (username <> ''),
    expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX login_tokens_expires ON login_tokens (expires_at);
