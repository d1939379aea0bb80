-- 0007_login_failure: failed logins, in the database so that every process on it counts the
-- same ones and a restart forgets none. auth's limiter decides what they mean (its window and
-- its limits per user and per address); a row is one failure under one of its keys
-- ("u:" and the lower-cased username, or "a:" and the client's address). Rows older than the
-- window are pruned, a bounded batch at a time, whenever a failure is recorded; a success
-- removes the user's rows.

CREATE TABLE login_failure (
    id        INTEGER PRIMARY KEY,
    limit_key TEXT NOT NULL CHECK (limit_key <> ''),
    failed_at TEXT NOT NULL
) STRICT;

CREATE INDEX login_failure_key ON login_failure (limit_key, failed_at);
CREATE INDEX login_failure_at ON login_failure (failed_at);
