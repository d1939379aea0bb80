package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

const fileColumns = `request_id, group_name, relpath, filetype, file_id, size, timestamp, job_id,
	commit_id, repo, row_count, col_count, released_at, released_by, uploaded, uploaded_at,
	upload_attempts, upload_attempted_at, upload_error, warnings_info, warnings_warn, warnings_block,
	reviewed_file_id`

// InsertFile adds a file (and any votes it carries) to a request, creating its group if
// needed, with the audit event. A relpath already on the request is a conflict.
func (t *Tx) InsertFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	ev.CreatedAt = orNow(ev.CreatedAt)
	if err := ensureGroup(ctx, t.c, requestID, f.Group, ev.CreatedAt); err != nil {
		return err
	}
	if err := insertFile(ctx, t.c, requestID, f); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

func insertFile(ctx context.Context, cn conn, requestID string, f *airlock.RequestFile) error {
	ft := f.FileType
	if ft == "" {
		ft = airlock.FileTypeOutput
	}
	warnInfo, warnWarn, warnBlock := warningColumns(f.Warnings)
	fileRow, err := cn.insertID(ctx, `INSERT INTO request_files (`+fileColumns+`)
		VALUES (`+placeholders(23)+`)`,
		requestID, f.Group, f.RelPath, string(ft), f.FileID, f.Size, fmtTime(f.Timestamp), f.JobID,
		f.Commit, f.Repo, nullInt(f.RowCount), nullInt(f.ColCount), fmtTimePtr(f.ReleasedAt),
		f.ReleasedBy, f.Uploaded, fmtTimePtr(f.UploadedAt), f.UploadAttempts,
		fmtTimePtr(f.UploadAttemptedAt), f.UploadError, warnInfo, warnWarn, warnBlock, f.ReviewedFileID)
	if err != nil {
		if cn.d.IsForeignKey(err) {
			return airlock.WrapError(airlock.CodeNotFound, err,
				"Group %s not found on request %s.", f.Group, requestID)
		}
		return cn.wrap(err, "insert file", "",
			fmt.Sprintf("%s is already on request %s.", f.RelPath, requestID))
	}
	for reviewer, rv := range f.Reviews {
		if rv.Reviewer == "" {
			rv.Reviewer = reviewer
		}
		if err := upsertReview(ctx, cn, fileRow, rv, rv.UpdatedAt); err != nil {
			return err
		}
	}
	return nil
}

// UpdateFile saves a file's group, file type, content fields (file id, size, timestamp, job,
// commit, repo, row and column counts, the reviewed content's id) and release/upload fields (released at/by, uploaded,
// uploaded at, upload error), with the audit event. The attempt counter and time are
// owned by RecordUploadAttempt and are not overwritten. A new group is created if needed.
func (t *Tx) UpdateFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	ev.CreatedAt = orNow(ev.CreatedAt)
	if err := ensureGroup(ctx, t.c, requestID, f.Group, ev.CreatedAt); err != nil {
		return err
	}
	ft := f.FileType
	if ft == "" {
		ft = airlock.FileTypeOutput
	}
	warnInfo, warnWarn, warnBlock := warningColumns(f.Warnings)
	res, err := t.c.exec(ctx, `UPDATE request_files SET group_name = ?, filetype = ?,
		file_id = ?, size = ?, timestamp = ?, job_id = ?, commit_id = ?, repo = ?, row_count = ?,
		col_count = ?, released_at = ?, released_by = ?, uploaded = ?, uploaded_at = ?,
		upload_error = ?, warnings_info = ?, warnings_warn = ?, warnings_block = ?,
		reviewed_file_id = ?
		WHERE request_id = ? AND relpath = ?`,
		f.Group, string(ft), f.FileID, f.Size, fmtTime(f.Timestamp), f.JobID, f.Commit, f.Repo,
		nullInt(f.RowCount), nullInt(f.ColCount), fmtTimePtr(f.ReleasedAt), f.ReleasedBy,
		f.Uploaded, fmtTimePtr(f.UploadedAt), f.UploadError, warnInfo, warnWarn, warnBlock,
		f.ReviewedFileID, requestID, f.RelPath)
	if err != nil {
		return t.c.wrap(err, "update file", "", "")
	}
	if err := t.c.mustAffect(res, "update file",
		fmt.Sprintf("%s is not on request %s.", f.RelPath, requestID)); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

// DeleteFile removes a file and its votes. The withdraw audit is written by the caller.
func (t *Tx) DeleteFile(ctx context.Context, requestID, relpath string) error {
	if err := t.writable(); err != nil {
		return err
	}
	id, err := fileRowID(ctx, t.c, requestID, relpath)
	if err != nil {
		return err
	}
	if _, err := t.c.exec(ctx, `DELETE FROM file_reviews WHERE file_row = ?`, id); err != nil {
		return t.c.errorf("delete file votes: %w", err)
	}
	if _, err := t.c.exec(ctx, `DELETE FROM request_files WHERE id = ?`, id); err != nil {
		return t.c.errorf("delete file: %w", err)
	}
	return nil
}

// RecordUploadAttempt counts an upload attempt (before it is made): it increments the
// attempt counter, stamps the attempt time and stores lastError ("" clears it).
func (t *Tx) RecordUploadAttempt(ctx context.Context, requestID, relpath string, at time.Time, lastError string) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.c.exec(ctx, `UPDATE request_files SET upload_attempts = upload_attempts + 1,
		upload_attempted_at = ?, upload_error = ? WHERE request_id = ? AND relpath = ?`,
		fmtTime(at), lastError, requestID, relpath)
	if err != nil {
		return t.c.wrap(err, "record upload attempt", "", "")
	}
	return t.c.mustAffect(res, "record upload attempt",
		fmt.Sprintf("%s is not on request %s.", relpath, requestID))
}

// ReleasedFileIDs returns the content hashes of every released file of a workspace. The
// map removes repeats, so the query need not (DISTINCT would sort).
func (t *Tx) ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error) {
	rows, err := t.c.query(ctx, `SELECT f.file_id FROM request_files f
		JOIN requests r ON r.id = f.request_id
		WHERE r.workspace = ? AND f.released_at IS NOT NULL`, workspace)
	if err != nil {
		return nil, t.c.errorf("released file ids: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, t.c.errorf("released file ids: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, t.c.errorf("released file ids: %w", err)
	}
	return out, nil
}

// fileRowID returns the row id of a request file, or not_found.
func fileRowID(ctx context.Context, cn conn, requestID, relpath string) (int64, error) {
	var id int64
	err := cn.queryRow(ctx, `SELECT id FROM request_files WHERE request_id = ? AND relpath = ?`,
		requestID, relpath).Scan(&id)
	return id, cn.wrap(err, "find file", fmt.Sprintf("%s is not on request %s.", relpath, requestID), "")
}

// loadFiles attaches the files of the requests selected by sub to their groups, in the
// order they were added, and returns them by row id.
func loadFiles(ctx context.Context, cn conn, sub string, args []any,
	groups map[groupKey]*airlock.FileGroup) (map[int64]*airlock.RequestFile, error) {
	return loadFilesWhere(ctx, cn, `request_id IN (`+sub+`)`, args, groups)
}

// loadFilesWhere is loadFiles for the files matching where (a condition on request_files).
func loadFilesWhere(ctx context.Context, cn conn, where string, args []any,
	groups map[groupKey]*airlock.FileGroup) (map[int64]*airlock.RequestFile, error) {
	rows, err := cn.query(ctx, `SELECT id, `+fileColumns+` FROM request_files
		WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, cn.errorf("load files: %w", err)
	}
	defer rows.Close()
	out := map[int64]*airlock.RequestFile{}
	for rows.Next() {
		var (
			f                                   airlock.RequestFile
			id                                  int64
			reqID, ft, ts                       string
			rowCount, colCount                  sql.NullInt64
			warnInfo, warnWarn, warnBlock       sql.NullInt64
			releasedAt, uploadedAt, attemptedAt sql.NullString
		)
		if err := rows.Scan(&id, &reqID, &f.Group, &f.RelPath, &ft, &f.FileID, &f.Size, &ts, &f.JobID,
			&f.Commit, &f.Repo, &rowCount, &colCount, &releasedAt, &f.ReleasedBy, &f.Uploaded,
			&uploadedAt, &f.UploadAttempts, &attemptedAt, &f.UploadError,
			&warnInfo, &warnWarn, &warnBlock, &f.ReviewedFileID); err != nil {
			return nil, cn.errorf("load files: %w", err)
		}
		f.FileType = airlock.FileType(ft)
		if f.Timestamp, err = parseTime(ts); err != nil {
			return nil, err
		}
		f.RowCount, f.ColCount = intPtr(rowCount), intPtr(colCount)
		if warnInfo.Valid && warnWarn.Valid && warnBlock.Valid {
			f.Warnings = &airlock.WarningCounts{Info: int(warnInfo.Int64), Warn: int(warnWarn.Int64), Block: int(warnBlock.Int64)}
		}
		if f.ReleasedAt, err = parseTimePtr(releasedAt); err != nil {
			return nil, err
		}
		if f.UploadedAt, err = parseTimePtr(uploadedAt); err != nil {
			return nil, err
		}
		if f.UploadAttemptedAt, err = parseTimePtr(attemptedAt); err != nil {
			return nil, err
		}
		f.Reviews = map[string]*airlock.FileReview{}
		g := groups[groupKey{reqID, f.Group}]
		if g == nil {
			continue
		}
		g.Files = append(g.Files, &f)
		out[id] = &f
	}
	if err := rows.Err(); err != nil {
		return nil, cn.errorf("load files: %w", err)
	}
	return out, nil
}

// warningColumns are the warnings_* values of w: three NULLs when never counted.
func warningColumns(w *airlock.WarningCounts) (info, warn, block any) {
	if w == nil {
		return nil, nil, nil
	}
	return w.Info, w.Warn, w.Block
}
