package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

const auditColumns = `id, type, username, workspace, request_id, path, extra, created_at, hidden`

// AppendAudit writes one audit event, chained to the one before.
func (t *Tx) AppendAudit(ctx context.Context, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

// insertAudit appends ev to the hash chain. A zero CreatedAt is stamped with the current
// time. It runs inside the caller's write transaction, which holds the write lock (and, on
// PostgreSQL, the chain head's row lock) until it ends, so appends are serialised and the
// chain cannot fork, whichever process writes. The next id follows the highest id ever
// given out, so an id is never reused even if rows were removed behind the triggers' back.
func insertAudit(ctx context.Context, cn conn, ev airlock.AuditEvent) error {
	ev.CreatedAt = orNow(ev.CreatedAt)
	extra, err := encodeExtra(ev.Extra)
	if err != nil {
		return err
	}
	var seq int64
	var prevHash string
	if err := cn.queryRow(ctx, cn.d.AuditHead).Scan(&seq, &prevHash); err != nil {
		return cn.errorf("audit chain head: %w", err)
	}
	row := auditRow{
		id: seq + 1, typ: string(ev.Type), user: ev.User, workspace: ev.Workspace,
		request: ev.Request, path: ev.Path, extra: extra, createdAt: fmtTime(ev.CreatedAt),
	}
	hash, err := row.hash(prevHash)
	if err != nil {
		return err
	}
	_, err = cn.exec(ctx, `INSERT INTO audit_log (`+auditColumns+`, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		row.id, row.typ, row.user, row.workspace, row.request, row.path, row.extra, row.createdAt,
		ev.Hidden, prevHash, hash)
	if err != nil || cn.d.MoveAuditHead == "" {
		return cn.wrap(err, "append audit", "", "")
	}
	_, err = cn.exec(ctx, cn.d.MoveAuditHead, row.id, hash)
	return cn.wrap(err, "move audit chain head", "", "")
}

func encodeExtra(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	b, err := json.Marshal(m) // map keys are sorted: the encoding is canonical
	if err != nil {
		return "", fmt.Errorf("store: encode audit extra: %w", err)
	}
	return string(b), nil
}

// auditRow is the hashed content of an audit row, as stored. hidden is not part of it.
type auditRow struct {
	id                                         int64
	typ, user, workspace, request, path, extra string
	createdAt                                  string
}

// hash is sha256 over the previous row's hash and a canonical JSON encoding of the row's
// content (fixed field order, extra re-encoded with sorted keys).
func (r auditRow) hash(prevHash string) (string, error) {
	var extra map[string]string
	if err := json.Unmarshal([]byte(r.extra), &extra); err != nil {
		return "", fmt.Errorf("store: audit row %d: decode extra: %w", r.id, err)
	}
	if extra == nil {
		extra = map[string]string{}
	}
	content, err := json.Marshal(struct {
		ID        int64             `json:"id"`
		Type      string            `json:"type"`
		User      string            `json:"user"`
		Workspace string            `json:"workspace"`
		Request   string            `json:"request"`
		Path      string            `json:"path"`
		Extra     map[string]string `json:"extra"`
		CreatedAt string            `json:"created_at"`
	}{r.id, r.typ, r.user, r.workspace, r.request, r.path, extra, r.createdAt})
	if err != nil {
		return "", fmt.Errorf("store: audit row %d: encode: %w", r.id, err)
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte{'\n'})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// HideAuditEventsForTurn hides every event of a request whose extra.review_turn is turn
// (early return). Hiding is the only change the audit log allows and is not hashed.
func (t *Tx) HideAuditEventsForTurn(ctx context.Context, requestID string, turn int) error {
	if err := t.writable(); err != nil {
		return err
	}
	_, err := t.c.exec(ctx, `UPDATE audit_log SET hidden = `+t.c.d.True+`
		WHERE request_id = ? AND `+t.c.d.JSONText("extra", "review_turn")+` = ? AND hidden = `+t.c.d.False,
		requestID, strconv.Itoa(turn))
	return t.c.wrap(err, "hide audit events", "", "")
}

// ListAudit returns events newest first. A workspace filter wins over a request filter;
// Group matches extra.group. Hidden events are included (with Hidden set): visibility is
// the domain's decision.
func (t *Tx) ListAudit(ctx context.Context, f airlock.AuditFilter) ([]airlock.AuditEvent, error) {
	var where []string
	var args []any
	if f.User != "" {
		where, args = append(where, `username = ?`), append(args, f.User)
	}
	if f.Workspace != "" {
		where, args = append(where, `workspace = ?`), append(args, f.Workspace)
	} else if f.Request != "" {
		where, args = append(where, `request_id = ?`), append(args, f.Request)
	}
	if f.Group != "" {
		where, args = append(where, t.c.d.JSONText("extra", "group")+` = ?`), append(args, f.Group)
	}
	if len(f.ExcludeTypes) > 0 {
		where = append(where, `type NOT IN (`+placeholders(len(f.ExcludeTypes))+`)`)
		for _, ty := range f.ExcludeTypes {
			args = append(args, string(ty))
		}
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := t.c.query(ctx, q, args...)
	if err != nil {
		return nil, t.c.errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []airlock.AuditEvent
	for rows.Next() {
		ev, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, t.c.errorf("list audit: %w", err)
	}
	return out, nil
}

func scanAudit(row rowScanner) (airlock.AuditEvent, error) {
	var (
		ev             airlock.AuditEvent
		typ            string
		extra, created string
	)
	if err := row.Scan(&ev.ID, &typ, &ev.User, &ev.Workspace, &ev.Request, &ev.Path, &extra,
		&created, &ev.Hidden); err != nil {
		return ev, fmt.Errorf("store: scan audit: %w", err)
	}
	ev.Type = airlock.AuditType(typ)
	if err := json.Unmarshal([]byte(extra), &ev.Extra); err != nil {
		return ev, fmt.Errorf("store: audit %d: decode extra: %w", ev.ID, err)
	}
	if ev.Extra == nil {
		ev.Extra = map[string]string{}
	}
	var err error
	if ev.CreatedAt, err = parseTime(created); err != nil {
		return ev, err
	}
	return ev, nil
}

// VerifyAudit recomputes the hash chain on a consistent snapshot. It returns how many rows
// were checked and the id of the first broken row (0 when the chain is intact): a row whose
// content no longer matches its hash (edited), or whose prev_hash is not the hash of the
// row before it (a row before it was removed or edited). Removing the newest rows is
// reported as the id of the first missing row.
func (s *DB) VerifyAudit(ctx context.Context) (checked int, firstBadID int64, err error) {
	err = s.view(ctx, func(t *Tx) error {
		checked, firstBadID, err = verifyAudit(ctx, t.c)
		return err
	})
	return checked, firstBadID, err
}

func verifyAudit(ctx context.Context, cn conn) (int, int64, error) {
	rows, err := cn.query(ctx, `SELECT id, type, username, workspace, request_id, path, extra,
		created_at, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, 0, cn.errorf("verify audit: %w", err)
	}
	defer rows.Close()
	checked := 0
	prev := ""
	var lastID int64
	for rows.Next() {
		var r auditRow
		var prevHash, stored string
		if err := rows.Scan(&r.id, &r.typ, &r.user, &r.workspace, &r.request, &r.path, &r.extra,
			&r.createdAt, &prevHash, &stored); err != nil {
			return checked, 0, cn.errorf("verify audit: %w", err)
		}
		checked++
		if prevHash != prev {
			return checked, r.id, nil
		}
		h, err := r.hash(prevHash)
		if err != nil || h != stored {
			return checked, r.id, nil //nolint:nilerr // an undecodable row is a broken row
		}
		prev, lastID = stored, r.id
	}
	if err := rows.Err(); err != nil {
		return checked, 0, cn.errorf("verify audit: %w", err)
	}
	if err := rows.Close(); err != nil {
		return checked, 0, cn.errorf("verify audit: %w", err)
	}
	var seq int64
	if err := cn.queryRow(ctx, cn.d.AuditSequence).Scan(&seq); err != nil {
		return checked, 0, cn.errorf("verify audit: %w", err)
	}
	if seq > lastID {
		return checked, lastID + 1, nil
	}
	return checked, 0, nil
}
