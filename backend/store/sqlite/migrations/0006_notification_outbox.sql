-- The notification outbox (docs/operations.md, "Uploads and notifications"): a status
-- change queues its job-server notification in its own transaction; a serving process
-- claims it and records the outcome. id is the commit order; a request's notifications are
-- sent in id order. note is the JSON of airlock.Notification (the body is built from it at
-- send time, with the server's org and repo). Rows are kept (they are small).
CREATE TABLE notification (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL CHECK (request_id <> ''),
    event_type  TEXT NOT NULL CHECK (event_type <> ''),
    note        TEXT NOT NULL,                     -- JSON of airlock.Notification
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN (
                    'pending', 'sending', 'sent', 'failed', 'unknown', 'logged')),
    created_at  TEXT NOT NULL,
    claimed_by  TEXT NOT NULL DEFAULT '',
    claimed_at  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    finished_at TEXT,
    last_error  TEXT NOT NULL DEFAULT ''
) STRICT;

-- The queue's heads: the rows not yet done, by request.
CREATE INDEX notification_open ON notification (request_id, id) WHERE state IN ('pending', 'sending');
