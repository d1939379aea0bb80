package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// UpsertReview sets one reviewer's vote on one file (overwriting status and turn of an
// earlier vote), with the audit event. Zero times are set to the event time.
func (t *Tx) UpsertReview(ctx context.Context, requestID, relpath string, rv *airlock.FileReview, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	ev.CreatedAt = orNow(ev.CreatedAt)
	id, err := fileRowID(ctx, t.c, requestID, relpath)
	if err != nil {
		return err
	}
	if err := upsertReview(ctx, t.c, id, rv, ev.CreatedAt); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

func upsertReview(ctx context.Context, cn conn, fileRow int64, rv *airlock.FileReview, at time.Time) error {
	if rv.Reviewer == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A vote needs a reviewer.")
	}
	if at.IsZero() {
		at = time.Now().UTC()
	}
	if rv.CreatedAt.IsZero() {
		rv.CreatedAt = at.UTC()
	}
	if rv.UpdatedAt.IsZero() {
		rv.UpdatedAt = at.UTC()
	}
	_, err := cn.exec(ctx, `INSERT INTO file_reviews
		(file_row, reviewer, status, review_turn, created_at, updated_at, acknowledgement)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (file_row, reviewer) DO UPDATE SET
			status = excluded.status, review_turn = excluded.review_turn,
			updated_at = excluded.updated_at, acknowledgement = excluded.acknowledgement`,
		fileRow, rv.Reviewer, string(rv.Status), rv.ReviewTurn, fmtTime(rv.CreatedAt), fmtTime(rv.UpdatedAt),
		rv.Acknowledgement)
	return cn.wrap(err, "upsert vote", "", "")
}

// DeleteReview removes one reviewer's vote on one file, with the audit event.
func (t *Tx) DeleteReview(ctx context.Context, requestID, relpath, reviewer string, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	id, err := fileRowID(ctx, t.c, requestID, relpath)
	if err != nil {
		return err
	}
	res, err := t.c.exec(ctx, `DELETE FROM file_reviews WHERE file_row = ? AND reviewer = ?`, id, reviewer)
	if err != nil {
		return t.c.errorf("delete vote: %w", err)
	}
	if err := t.c.mustAffect(res, "delete vote",
		fmt.Sprintf("%s has no vote on %s.", reviewer, relpath)); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

// loadReviews attaches the votes of the requests selected by sub to their files.
func loadReviews(ctx context.Context, cn conn, sub string, args []any, files map[int64]*airlock.RequestFile) error {
	rows, err := cn.query(ctx, `SELECT v.file_row, v.reviewer, v.status, v.review_turn,
		v.created_at, v.updated_at, v.acknowledgement
		FROM file_reviews v JOIN request_files f ON f.id = v.file_row
		WHERE f.request_id IN (`+sub+`) ORDER BY v.id`, args...)
	if err != nil {
		return cn.errorf("load votes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rv               airlock.FileReview
			fileRow          int64
			status           string
			created, updated string
		)
		if err := rows.Scan(&fileRow, &rv.Reviewer, &status, &rv.ReviewTurn, &created, &updated, &rv.Acknowledgement); err != nil {
			return cn.errorf("load votes: %w", err)
		}
		rv.Status = airlock.Vote(status)
		if rv.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		if rv.UpdatedAt, err = parseTime(updated); err != nil {
			return err
		}
		if f := files[fileRow]; f != nil {
			f.Reviews[rv.Reviewer] = &rv
		}
	}
	if err := rows.Err(); err != nil {
		return cn.errorf("load votes: %w", err)
	}
	return nil
}
