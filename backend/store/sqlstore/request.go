package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// activeStatuses are the statuses of a current request, as the domain defines them
// (airlock.Status.IsActive). The partial unique index requests_one_active spells out the
// same list; a test keeps the two equal.
var activeStatuses = slices.DeleteFunc(slices.Clone(airlock.Statuses),
	func(s airlock.Status) bool { return !s.IsActive() })

const requestColumns = `id, workspace, project, organisations, author, status, created_at,
	last_submitted_at, submitted_reviews, review_turn, turn_reviewers, release_id`

// GetRequest loads the whole aggregate of one request.
func (t *Tx) GetRequest(ctx context.Context, id string) (*airlock.ReleaseRequest, error) {
	rs, err := loadRequests(ctx, t.c, `id = ?`, []any{id})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, notFound("Request %s not found.", id)
	}
	return rs[0], nil
}

// RequestVersion returns the counters of request id (see migrations/0005_change_counters.sql);
// not_found for an unknown id. Triggers keep them, so they move whichever process writes.
func (t *Tx) RequestVersion(ctx context.Context, id string) (airlock.RequestVersion, error) {
	var v airlock.RequestVersion
	err := t.c.queryRow(ctx, `SELECT version, comments_version, comment_edits,
		(SELECT n FROM change_counters WHERE name = 'releases') FROM requests WHERE id = ?`, id).
		Scan(&v.Request, &v.Comments, &v.CommentEdits, &v.Releases)
	if err != nil {
		return v, t.c.wrap(err, "request version", fmt.Sprintf("Request %s not found.", id), "")
	}
	return v, nil
}

// GetRequestWithoutComments loads request id as GetRequest does but without its comments
// (every group's Comments is empty): what the rules of votes and new comments look at, at
// the cost of the votes and files only, however long the discussion.
func (t *Tx) GetRequestWithoutComments(ctx context.Context, id string) (*airlock.ReleaseRequest, error) {
	rs, err := loadRequestsWith(ctx, t.c, `id = ?`, []any{id}, false)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, notFound("Request %s not found.", id)
	}
	return rs[0], nil
}

// GetRequestForUpload loads request id for the uploader's bookkeeping, as a partial
// aggregate: the request row and its groups, with only file relpath and, if there is one,
// one other released file not yet uploaded (no votes, no comments). That is all the upload
// rules look at (airlock.CheckCanUpload, airlock.AllUploaded), at the cost of two files
// instead of every file and vote of the request. A relpath not on the request is absent.
func (t *Tx) GetRequestForUpload(ctx context.Context, id, relpath string) (*airlock.ReleaseRequest, error) {
	r, err := scanRequest(t.c.queryRow(ctx,
		`SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
	if err != nil {
		return nil, t.c.wrap(err, "get request", fmt.Sprintf("Request %s not found.", id), "")
	}
	groups, err := loadGroups(ctx, t.c, `SELECT id FROM requests WHERE id = ?`, []any{id}, map[string]*airlock.ReleaseRequest{id: r})
	if err != nil {
		return nil, err
	}
	// Two index lookups (SQLite's multi-index OR): the file by (request_id, relpath), the
	// other one through the partial index of pending uploads (whose condition the query
	// spells as the index does).
	_, err = loadFilesWhere(ctx, t.c, `(request_id = ? AND relpath = ?) OR id = (
		SELECT id FROM request_files WHERE request_id = ? AND released_at IS NOT NULL
			AND uploaded = `+t.c.d.False+` AND relpath <> ? ORDER BY id LIMIT 1)`,
		[]any{id, relpath, id, relpath}, groups)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// FindCurrentRequest returns the author's active request for the workspace, without its
// comments (what its callers look at is its id, files and groups), or nil.
func (t *Tx) FindCurrentRequest(ctx context.Context, workspace, author string) (*airlock.ReleaseRequest, error) {
	args := []any{workspace, author}
	for _, s := range activeStatuses {
		args = append(args, string(s))
	}
	rs, err := loadRequestsWith(ctx, t.c,
		`workspace = ? AND author = ? AND status IN (`+placeholders(len(activeStatuses))+`)`, args, false)
	if err != nil {
		return nil, err
	}
	switch len(rs) {
	case 0:
		return nil, nil
	case 1:
		return rs[0], nil
	default:
		return nil, t.c.errorf("%d active requests for %s in %s", len(rs), author, workspace)
	}
}

// CurrentRequestID returns the id of the author's active request for the workspace, or "".
func (t *Tx) CurrentRequestID(ctx context.Context, workspace, author string) (string, error) {
	args := []any{workspace, author}
	for _, s := range activeStatuses {
		args = append(args, string(s))
	}
	var id string
	err := t.c.queryRow(ctx, `SELECT id FROM requests WHERE workspace = ? AND author = ?
		AND status IN (`+placeholders(len(activeStatuses))+`) ORDER BY created_at, id LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", t.c.errorf("current request of %s in %s: %w", author, workspace, err)
	}
	return id, nil
}

// ListRequests returns the matching requests, oldest first.
func (t *Tx) ListRequests(ctx context.Context, f airlock.RequestFilter) ([]*airlock.ReleaseRequest, error) {
	var where []string
	var args []any
	if f.Workspace != "" {
		where, args = append(where, `workspace = ?`), append(args, f.Workspace)
	}
	if f.Author != "" {
		where, args = append(where, `author = ?`), append(args, f.Author)
	}
	if f.ExcludeAuthor != "" {
		where, args = append(where, `author <> ?`), append(args, f.ExcludeAuthor)
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status IN (`+placeholders(len(f.Statuses))+`)`)
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if len(where) == 0 {
		where = append(where, `1 = 1`)
	}
	return loadRequestsWith(ctx, t.c, strings.Join(where, ` AND `), args, !f.WithoutComments)
}

// WorkspaceProjects maps each workspace to the project and organisations of its most
// recent request that names a project (one scan of the requests table, no aggregates).
func (t *Tx) WorkspaceProjects(ctx context.Context) (map[string]airlock.Project, error) {
	rows, err := t.c.query(ctx, `SELECT workspace, project, organisations FROM requests
		WHERE project <> '' ORDER BY workspace, created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: listing workspace projects: %w", err)
	}
	defer rows.Close()
	out := map[string]airlock.Project{}
	for rows.Next() {
		var ws, project, orgs string
		if err := rows.Scan(&ws, &project, &orgs); err != nil {
			return nil, fmt.Errorf("store: listing workspace projects: %w", err)
		}
		p := airlock.Project{Name: project} // whether it is ongoing is not recorded
		if err := json.Unmarshal([]byte(orgs), &p.Orgs); err != nil {
			return nil, fmt.Errorf("store: organisations of a request on %s: %w", ws, err)
		}
		out[ws] = p // later rows are more recent
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: listing workspace projects: %w", err)
	}
	return out, nil
}

// PendingUploads returns requests with released files not yet uploaded, oldest first.
func (t *Tx) PendingUploads(ctx context.Context) ([]*airlock.ReleaseRequest, error) {
	return loadRequests(ctx, t.c, `id IN (SELECT request_id FROM request_files
		WHERE released_at IS NOT NULL AND uploaded = `+t.c.d.False+`)`, nil)
}

// InsertRequest stores a new request (with any groups, files, votes and comments it
// already has) and its audit event. An empty ev.Request or ev.Workspace is filled in from r.
func (t *Tx) InsertRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	r.CreatedAt = orNow(r.CreatedAt)
	vals, err := requestValues(r)
	if err != nil {
		return err
	}
	_, err = t.c.exec(ctx, `INSERT INTO requests (`+requestColumns+`)
		VALUES (`+placeholders(12)+`)`,
		append([]any{r.ID, r.Workspace, r.Project, vals.orgs, r.Author}, vals.rest...)...)
	if err != nil {
		if t.c.d.IsUnique(err) {
			return t.requestConflict(r, err)
		}
		return t.c.wrap(err, "insert request", "", "")
	}
	for _, g := range r.Groups {
		if err := upsertGroup(ctx, t.c, r.ID, g, r.CreatedAt); err != nil {
			return err
		}
		for _, f := range g.Files {
			if f.Group == "" {
				f.Group = g.Name
			}
			if err := insertFile(ctx, t.c, r.ID, f); err != nil {
				return err
			}
		}
		for _, c := range g.Comments {
			if err := insertComment(ctx, t.c, r.ID, g.Name, c); err != nil {
				return err
			}
		}
	}
	if ev.Request == "" {
		ev.Request = r.ID
	}
	if ev.Workspace == "" {
		ev.Workspace = r.Workspace
	}
	return insertAudit(ctx, t.c, ev)
}

// requestConflict explains a unique violation on insert: a duplicate id, or a second
// active request of the author in the workspace (told apart by the constraint violated:
// on PostgreSQL the failed statement has aborted the transaction, so nothing more can be
// read in it).
func (t *Tx) requestConflict(r *airlock.ReleaseRequest, cause error) error {
	if t.c.d.IsPrimaryKey(cause, "requests") {
		return airlock.WrapError(airlock.CodeConflict, cause, "Request %s already exists.", r.ID)
	}
	return airlock.WrapError(airlock.CodeConflict, cause,
		"%s already has an active request in workspace %s.", r.Author, r.Workspace)
}

// UpdateRequest saves status, turn, last submitted time, submitted reviews, turn reviewers
// and release id, with the audit event.
func (t *Tx) UpdateRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error {
	if err := t.writable(); err != nil {
		return err
	}
	vals, err := requestValues(r)
	if err != nil {
		return err
	}
	res, err := t.c.exec(ctx, `UPDATE requests SET status = ?, last_submitted_at = ?, submitted_reviews = ?, review_turn = ?, turn_reviewers = ?,
		release_id = ? WHERE id = ?`,
		string(r.Status), fmtTimePtr(r.LastSubmittedAt), vals.submitted, r.ReviewTurn,
		vals.turnReviewers, r.ReleaseID, r.ID)
	if err != nil {
		if t.c.d.IsUnique(err) {
			return airlock.WrapError(airlock.CodeConflict, err,
				"%s already has an active request in workspace %s.", r.Author, r.Workspace)
		}
		return t.c.wrap(err, "update request", "", "")
	}
	if err := t.c.mustAffect(res, "update request", fmt.Sprintf("Request %s not found.", r.ID)); err != nil {
		return err
	}
	return insertAudit(ctx, t.c, ev)
}

type requestVals struct {
	orgs          string
	submitted     string
	turnReviewers string
	rest          []any // status .. release_id, in requestColumns order
}

func requestValues(r *airlock.ReleaseRequest) (requestVals, error) {
	var v requestVals
	orgs := r.Organisations
	if orgs == nil {
		orgs = []string{}
	}
	b, err := json.Marshal(orgs)
	if err != nil {
		return v, fmt.Errorf("store: encode organisations: %w", err)
	}
	v.orgs = string(b)
	sub := make(map[string]string, len(r.SubmittedReviews))
	for user, at := range r.SubmittedReviews {
		sub[user] = fmtTime(at)
	}
	if b, err = json.Marshal(sub); err != nil {
		return v, fmt.Errorf("store: encode submitted reviews: %w", err)
	}
	v.submitted = string(b)
	tr := r.TurnReviewers
	if tr == nil {
		tr = []string{}
	}
	if b, err = json.Marshal(tr); err != nil {
		return v, fmt.Errorf("store: encode turn reviewers: %w", err)
	}
	v.turnReviewers = string(b)
	status := r.Status
	if status == "" {
		status = airlock.StatusPending
	}
	v.rest = []any{string(status), fmtTime(orNow(r.CreatedAt)), fmtTimePtr(r.LastSubmittedAt),
		v.submitted, r.ReviewTurn, v.turnReviewers, r.ReleaseID}
	return v, nil
}

func scanRequest(row rowScanner) (*airlock.ReleaseRequest, error) {
	var (
		r                            airlock.ReleaseRequest
		orgs, created, sub, turnRevs string
		status                       string
		lastSubmitted                sql.NullString
	)
	if err := row.Scan(&r.ID, &r.Workspace, &r.Project, &orgs, &r.Author, &status, &created,
		&lastSubmitted, &sub, &r.ReviewTurn, &turnRevs, &r.ReleaseID); err != nil {
		return nil, err
	}
	r.Status = airlock.Status(status)
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.LastSubmittedAt, err = parseTimePtr(lastSubmitted); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(orgs), &r.Organisations); err != nil {
		return nil, fmt.Errorf("store: decode organisations of %s: %w", r.ID, err)
	}
	if len(r.Organisations) == 0 {
		r.Organisations = nil
	}
	if err := json.Unmarshal([]byte(turnRevs), &r.TurnReviewers); err != nil {
		return nil, fmt.Errorf("store: decode turn reviewers of %s: %w", r.ID, err)
	}
	if len(r.TurnReviewers) == 0 {
		r.TurnReviewers = nil
	}
	var subs map[string]string
	if err := json.Unmarshal([]byte(sub), &subs); err != nil {
		return nil, fmt.Errorf("store: decode submitted reviews of %s: %w", r.ID, err)
	}
	r.SubmittedReviews = make(map[string]time.Time, len(subs))
	for user, at := range subs {
		if r.SubmittedReviews[user], err = parseTime(at); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// loadRequests loads whole aggregates of the requests matching where (a condition on the
// requests table), oldest first. Children are loaded with one query per table.
func loadRequests(ctx context.Context, cn conn, where string, args []any) ([]*airlock.ReleaseRequest, error) {
	return loadRequestsWith(ctx, cn, where, args, true)
}

// loadRequestsWith is loadRequests, with or without the comments.
func loadRequestsWith(ctx context.Context, cn conn, where string, args []any, comments bool) ([]*airlock.ReleaseRequest, error) {
	rows, err := cn.query(ctx, `SELECT `+requestColumns+` FROM requests WHERE `+where+`
		ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, cn.errorf("list requests: %w", err)
	}
	defer rows.Close()
	var out []*airlock.ReleaseRequest
	byID := map[string]*airlock.ReleaseRequest{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, cn.errorf("list requests: %w", err)
		}
		out = append(out, r)
		byID[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, cn.errorf("list requests: %w", err)
	}
	if err := rows.Close(); err != nil {
		return nil, cn.errorf("list requests: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	sub := `SELECT id FROM requests WHERE ` + where
	groups, err := loadGroups(ctx, cn, sub, args, byID)
	if err != nil {
		return nil, err
	}
	files, err := loadFiles(ctx, cn, sub, args, groups)
	if err != nil {
		return nil, err
	}
	if err := loadReviews(ctx, cn, sub, args, files); err != nil {
		return nil, err
	}
	if !comments {
		return out, nil
	}
	if err := loadComments(ctx, cn, sub, args, groups); err != nil {
		return nil, err
	}
	return out, nil
}

// groupKey identifies a group across requests while loading.
type groupKey struct{ request, name string }
