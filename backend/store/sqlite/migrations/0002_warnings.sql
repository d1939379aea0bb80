-- Disclosure-check warning counts of each request file's stored copy, by severity, counted
-- when the copy was added or updated (NULL: never counted, files added before this
-- migration). Blobs are content-addressed and immutable, so a count never goes stale.
ALTER TABLE request_files ADD COLUMN warnings_info INTEGER CHECK (warnings_info >= 0);
ALTER TABLE request_files ADD COLUMN warnings_warn INTEGER CHECK (warnings_warn >= 0);
ALTER TABLE request_files ADD COLUMN warnings_block INTEGER CHECK (warnings_block >= 0);

-- A reviewer's note acknowledging the BLOCK warnings of a file they approved ('' otherwise).
ALTER TABLE file_reviews ADD COLUMN acknowledgement TEXT NOT NULL DEFAULT '';
