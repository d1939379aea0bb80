package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/trelab/airlock/backend/airlock"
)

// InsertComment stores c on a group of a request, sets c.ID (and a zero c.CreatedAt to the
// event time), with the audit event.
func (t *Tx) InsertComment(ctx context.Context, requestID, group string, c *airlock.Comment, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	ev.CreatedAt = orNow(ev.CreatedAt)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = ev.CreatedAt
	}
	if err := insertComment(ctx, t.c, requestID, group, c); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

func insertComment(ctx context.Context, cn conn, requestID, group string, cm *airlock.Comment) error {
	cm.CreatedAt = orNow(cm.CreatedAt)
	id, err := cn.insertID(ctx, `INSERT INTO comments
		(request_id, group_name, author, text, visibility, review_turn, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		requestID, group, cm.Author, cm.Text, string(cm.Visibility), cm.ReviewTurn, fmtTime(cm.CreatedAt))
	if err != nil {
		if cn.d.IsForeignKey(err) {
			return airlock.WrapError(airlock.CodeNotFound, err,
				"Group %s not found on request %s.", group, requestID)
		}
		return cn.wrap(err, "insert comment", "", "")
	}
	cm.ID = strconv.FormatInt(id, 10)
	return nil
}

// commentRowID parses a comment id; anything that is not one of ours is not_found.
func commentRowID(commentID string) (int64, error) {
	id, err := strconv.ParseInt(commentID, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("Comment %s not found.", commentID)
	}
	return id, nil
}

// DeleteComment removes a comment of a request, with the audit event.
func (t *Tx) DeleteComment(ctx context.Context, requestID, commentID string, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	id, err := commentRowID(commentID)
	if err != nil {
		return err
	}
	res, err := t.c.exec(ctx, `DELETE FROM comments WHERE id = ? AND request_id = ?`, id, requestID)
	if err != nil {
		return t.c.errorf("delete comment: %w", err)
	}
	if err := t.c.mustAffect(res, "delete comment", fmt.Sprintf("Comment %s not found.", commentID)); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

// SetCommentVisibility changes the visibility of a comment of a request, with the audit
// event.
func (t *Tx) SetCommentVisibility(ctx context.Context, requestID, commentID string, v airlock.Visibility, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	id, err := commentRowID(commentID)
	if err != nil {
		return err
	}
	res, err := t.c.exec(ctx, `UPDATE comments SET visibility = ? WHERE id = ? AND request_id = ?`,
		string(v), id, requestID)
	if err != nil {
		return t.c.wrap(err, "set comment visibility", "", "")
	}
	if err := t.c.mustAffect(res, "set comment visibility", fmt.Sprintf("Comment %s not found.", commentID)); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

// loadComments attaches the comments of the requests selected by sub to their groups,
// oldest first.
func loadComments(ctx context.Context, cn conn, sub string, args []any, groups map[groupKey]*airlock.FileGroup) error {
	rows, err := cn.query(ctx, `SELECT id, request_id, group_name, author, text, visibility,
		review_turn, created_at FROM comments WHERE request_id IN (`+sub+`) ORDER BY id`, args...)
	if err != nil {
		return cn.errorf("load comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c                          airlock.Comment
			id                         int64
			reqID, group, vis, created string
		)
		if err := rows.Scan(&id, &reqID, &group, &c.Author, &c.Text, &vis, &c.ReviewTurn, &created); err != nil {
			return cn.errorf("load comments: %w", err)
		}
		c.ID = strconv.FormatInt(id, 10)
		c.Visibility = airlock.Visibility(vis)
		if c.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		if g := groups[groupKey{reqID, group}]; g != nil {
			g.Comments = append(g.Comments, &c)
		}
	}
	if err := rows.Err(); err != nil {
		return cn.errorf("load comments: %w", err)
	}
	return nil
}

// CommentsAfter returns the comments of request id with an id above after, by group name,
// oldest first (comment ids only grow, so these are the comments added since the newest one
// a reader had).
func (t *Tx) CommentsAfter(ctx context.Context, requestID string, after int64) (map[string][]*airlock.Comment, error) {
	rows, err := t.c.query(ctx, `SELECT id, group_name, author, text, visibility, review_turn,
		created_at FROM comments WHERE request_id = ? AND id > ? ORDER BY id`, requestID, after)
	if err != nil {
		return nil, t.c.errorf("comments after %d: %w", after, err)
	}
	defer rows.Close()
	out := map[string][]*airlock.Comment{}
	for rows.Next() {
		var (
			c                   airlock.Comment
			id                  int64
			group, vis, created string
		)
		if err := rows.Scan(&id, &group, &c.Author, &c.Text, &vis, &c.ReviewTurn, &created); err != nil {
			return nil, t.c.errorf("comments after %d: %w", after, err)
		}
		c.ID = strconv.FormatInt(id, 10)
		c.Visibility = airlock.Visibility(vis)
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out[group] = append(out[group], &c)
	}
	if err := rows.Err(); err != nil {
		return nil, t.c.errorf("comments after %d: %w", after, err)
	}
	return out, nil
}
