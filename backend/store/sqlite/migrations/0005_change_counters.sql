-- 0005_change_counters: counters that say when what a request view shows has changed, kept
-- by the database itself so that every process writing to it (a second server, an
-- operator's command) moves them too. Readers compare them with what they cached.
--
-- requests.version moves with every change to a request's row, groups, files, votes and
-- comments, requests.comments_version with its comments only, requests.comment_edits when
-- one is changed or deleted (comment ids only grow: what was added since a known state is
-- the comments with larger ids, as long as none was edited). The 'releases' counter moves
-- whenever a request file is released (or a released one goes away): the workspace status
-- of every request's files depends on which contents were released in the workspace.

ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN comments_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN comment_edits INTEGER NOT NULL DEFAULT 0;

CREATE TABLE change_counters (
    name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
    n    INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO change_counters (name, n) VALUES ('releases', 0);

-- The request row itself (the inner update changes only version, which this trigger does
-- not watch, and triggers do not recurse).
CREATE TRIGGER requests_version_row AFTER UPDATE OF workspace, project, organisations,
    author, status, created_at, last_submitted_at, submitted_reviews, review_turn,
    turn_reviewers, release_id ON requests
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER file_groups_version_insert AFTER INSERT ON file_groups
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = NEW.request_id;
END;
CREATE TRIGGER file_groups_version_update AFTER UPDATE ON file_groups
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = NEW.request_id;
    UPDATE requests SET version = version + 1 WHERE id = OLD.request_id AND OLD.request_id IS NOT NEW.request_id;
END;
CREATE TRIGGER file_groups_version_delete AFTER DELETE ON file_groups
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = OLD.request_id;
END;

CREATE TRIGGER request_files_version_insert AFTER INSERT ON request_files
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = NEW.request_id;
    UPDATE change_counters SET n = n + 1 WHERE name = 'releases' AND NEW.released_at IS NOT NULL;
END;
CREATE TRIGGER request_files_version_update AFTER UPDATE ON request_files
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = NEW.request_id;
    UPDATE requests SET version = version + 1 WHERE id = OLD.request_id AND OLD.request_id IS NOT NEW.request_id;
    UPDATE change_counters SET n = n + 1 WHERE name = 'releases'
        AND (OLD.released_at IS NOT NEW.released_at OR (NEW.released_at IS NOT NULL
             AND OLD.file_id IS NOT NEW.file_id));
END;
CREATE TRIGGER request_files_version_delete AFTER DELETE ON request_files
BEGIN
    UPDATE requests SET version = version + 1 WHERE id = OLD.request_id;
    UPDATE change_counters SET n = n + 1 WHERE name = 'releases' AND OLD.released_at IS NOT NULL;
END;

CREATE TRIGGER file_reviews_version_insert AFTER INSERT ON file_reviews
BEGIN
    UPDATE requests SET version = version + 1
        WHERE id = (SELECT request_id FROM request_files WHERE id = NEW.file_row);
END;
CREATE TRIGGER file_reviews_version_update AFTER UPDATE ON file_reviews
BEGIN
    UPDATE requests SET version = version + 1
        WHERE id = (SELECT request_id FROM request_files WHERE id = NEW.file_row);
    UPDATE requests SET version = version + 1
        WHERE id = (SELECT request_id FROM request_files WHERE id = OLD.file_row)
        AND OLD.file_row IS NOT NEW.file_row;
END;
CREATE TRIGGER file_reviews_version_delete AFTER DELETE ON file_reviews
BEGIN
    UPDATE requests SET version = version + 1
        WHERE id = (SELECT request_id FROM request_files WHERE id = OLD.file_row);
END;

CREATE TRIGGER comments_version_insert AFTER INSERT ON comments
BEGIN
    UPDATE requests SET version = version + 1, comments_version = comments_version + 1
        WHERE id = NEW.request_id;
END;
CREATE TRIGGER comments_version_update AFTER UPDATE ON comments
BEGIN
    UPDATE requests SET version = version + 1, comments_version = comments_version + 1,
        comment_edits = comment_edits + 1 WHERE id = NEW.request_id;
    UPDATE requests SET version = version + 1, comments_version = comments_version + 1,
        comment_edits = comment_edits + 1
        WHERE id = OLD.request_id AND OLD.request_id IS NOT NEW.request_id;
END;
CREATE TRIGGER comments_version_delete AFTER DELETE ON comments
BEGIN
    UPDATE requests SET version = version + 1, comments_version = comments_version + 1,
        comment_edits = comment_edits + 1 WHERE id = OLD.request_id;
END;
