-- A new audit event type, REQUEST_NOTIFICATION_UNKNOWN (a notification sent to job-server
-- without an answer). SQLite cannot change a CHECK constraint, so the audit log is rebuilt
-- with every row copied as it is (ids, hashes and the hidden flag unchanged, so the hash
-- chain still verifies), then its indexes and append-only triggers are made again.
CREATE TABLE audit_log_v2 (
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
                   'REQUEST_FILE_UPLOAD_FAILED', 'REQUEST_NOTIFICATION_UNKNOWN')),
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

INSERT INTO audit_log_v2 (id, type, username, workspace, request_id, path, extra, created_at, hidden, prev_hash, hash)
    SELECT id, type, username, workspace, request_id, path, extra, created_at, hidden, prev_hash, hash
    FROM audit_log ORDER BY id;

DROP TABLE audit_log;
ALTER TABLE audit_log_v2 RENAME TO audit_log;

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
