-- The content a request file's reviewers last voted on, kept when its votes are reset (the
-- file updated, re-added or moved), so that a checker can see what changed since: the
-- SHA-256 of a stored copy of the same request, '' when no version of it was reviewed.
ALTER TABLE request_files ADD COLUMN reviewed_file_id TEXT NOT NULL DEFAULT '';
