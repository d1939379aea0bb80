package sqlstore

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// UpsertGroup creates a group or saves its context and controls, with the audit event.
// UpdatedAt is set to the event time (the time of this change); a zero CreatedAt of a new
// group too.
func (t *Tx) UpsertGroup(ctx context.Context, requestID string, g *airlock.FileGroup, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	ev.CreatedAt = orNow(ev.CreatedAt)
	g.UpdatedAt = ev.CreatedAt
	if err := upsertGroup(ctx, t.c, requestID, g, ev.CreatedAt); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

func upsertGroup(ctx context.Context, cn conn, requestID string, g *airlock.FileGroup, at time.Time) error {
	if g.Name == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A group needs a name.")
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = at.UTC()
	}
	if g.UpdatedAt.IsZero() {
		g.UpdatedAt = g.CreatedAt
	}
	_, err := cn.exec(ctx, `INSERT INTO file_groups
		(request_id, name, context, controls, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id, name) DO UPDATE SET
			context = excluded.context, controls = excluded.controls, updated_at = excluded.updated_at`,
		requestID, g.Name, g.Context, g.Controls, fmtTime(g.CreatedAt), fmtTime(g.UpdatedAt))
	if cn.d.IsForeignKey(err) {
		return airlock.WrapError(airlock.CodeNotFound, err, "Request %s not found.", requestID)
	}
	return cn.wrap(err, "upsert group", "", "")
}

// ensureGroup creates an empty group if the request has none of that name (groups are
// created implicitly when a file is first added to them).
func ensureGroup(ctx context.Context, cn conn, requestID, name string, at time.Time) error {
	if name == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A file needs a group.")
	}
	ts := fmtTime(at)
	_, err := cn.exec(ctx, `INSERT INTO file_groups
		(request_id, name, context, controls, created_at, updated_at) VALUES (?, ?, '', '', ?, ?)
		ON CONFLICT (request_id, name) DO NOTHING`, requestID, name, ts, ts)
	if cn.d.IsForeignKey(err) {
		return airlock.WrapError(airlock.CodeNotFound, err, "Request %s not found.", requestID)
	}
	return cn.wrap(err, "ensure group", "", "")
}

// loadGroups attaches the groups of the requests selected by sub (in creation order) and
// returns them by key.
func loadGroups(ctx context.Context, cn conn, sub string, args []any,
	byID map[string]*airlock.ReleaseRequest) (map[groupKey]*airlock.FileGroup, error) {
	rows, err := cn.query(ctx, `SELECT request_id, name, context, controls, created_at, updated_at
		FROM file_groups WHERE request_id IN (`+sub+`) ORDER BY id`, args...)
	if err != nil {
		return nil, cn.errorf("load groups: %w", err)
	}
	defer rows.Close()
	out := map[groupKey]*airlock.FileGroup{}
	for rows.Next() {
		var (
			g                airlock.FileGroup
			reqID            string
			created, updated string
		)
		if err := rows.Scan(&reqID, &g.Name, &g.Context, &g.Controls, &created, &updated); err != nil {
			return nil, cn.errorf("load groups: %w", err)
		}
		if g.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if g.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		r := byID[reqID]
		if r == nil {
			continue
		}
		r.Groups = append(r.Groups, &g)
		out[groupKey{reqID, g.Name}] = &g
	}
	if err := rows.Err(); err != nil {
		return nil, cn.errorf("load groups: %w", err)
	}
	return out, nil
}
