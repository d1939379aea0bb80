package service

import (
	"context"
	"slices"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// GetOrCreateRequest returns u's current request for workspace ws, creating a PENDING one
// (REQUEST_CREATE) when there is none (§4.4.1). created reports which happened. Returning an
// existing request needs only the right to view ws; creating one needs a role on an active
// workspace.
func (s *Airlock) GetOrCreateRequest(ctx context.Context, u airlock.User, ws string) (RequestView, bool, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return RequestView{}, false, err
	}
	var id string
	created := false
	err := s.write(ctx, func(tx Tx, eff *effects) error {
		created = false
		r, err := tx.FindCurrentRequest(ctx, ws, u.Username)
		if err != nil {
			return err
		}
		if r == nil {
			if err := airlock.CheckCanCreateRequest(u, ws); err != nil {
				return err
			}
			grant, _ := airlock.WorkspaceAccess(u, ws)
			r = &airlock.ReleaseRequest{
				ID:               s.newID(),
				Workspace:        ws,
				Project:          grant.Project.Name,
				Organisations:    slices.Clone(grant.Project.Orgs),
				Author:           u.Username,
				Status:           airlock.StatusPending,
				CreatedAt:        s.now(),
				SubmittedReviews: map[string]time.Time{},
			}
			if err := tx.InsertRequest(ctx, r, s.audit(airlock.AuditRequestCreate, u, r, "", nil)); err != nil {
				return err
			}
			created = true
			eff.changed(r)
		}
		id = r.ID
		return nil
	})
	if err != nil {
		return RequestView{}, false, err
	}
	view, err := s.GetRequest(ctx, u, id)
	return view, created, err
}

// GetRequest returns request id as u sees it; not_found when u may not view it.
func (s *Airlock) GetRequest(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	var view RequestView
	err := s.view(ctx, func(tx Tx) error {
		var err error
		view, err = s.cachedRequestView(ctx, tx, u, id)
		return err
	})
	return view, err
}

// reviewStatuses are the statuses of a checker's review lists when none are asked for:
// outstanding, returned and approved (§11).
var reviewStatuses = []airlock.Status{
	airlock.StatusSubmitted, airlock.StatusPartiallyReviewed, airlock.StatusReviewed,
	airlock.StatusReturned, airlock.StatusApproved,
}

// ListRequests lists the requests u may view that match q, in creation order.
func (s *Airlock) ListRequests(ctx context.Context, u airlock.User, q RequestQuery) ([]RequestSummary, error) {
	f := airlock.RequestFilter{Workspace: q.Workspace, Statuses: q.Statuses, WithoutComments: true}
	for _, st := range q.Statuses {
		if !st.Valid() {
			return nil, airlock.Errorf(airlock.CodeInvalid, "Unknown request status %q", st)
		}
	}
	switch q.Scope {
	case ScopeAll:
	case ScopeMine:
		f.Author = u.Username
	case ScopeReview:
		if err := airlock.CheckCanReviewRequests(u); err != nil {
			return nil, err
		}
		f.ExcludeAuthor = u.Username
		if len(f.Statuses) == 0 {
			f.Statuses = reviewStatuses
		}
	default:
		return nil, airlock.Errorf(airlock.CodeInvalid, "Unknown request scope %q", q.Scope)
	}
	if q.Workspace != "" {
		if err := airlock.CheckCanViewWorkspace(u, q.Workspace); err != nil {
			return nil, err
		}
	}
	var rs []*airlock.ReleaseRequest
	err := s.view(ctx, func(tx Tx) error {
		var err error
		rs, err = tx.ListRequests(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]RequestSummary, 0, len(rs))
	for _, r := range rs {
		if !airlock.CanViewWorkspace(u, r.Workspace) {
			continue
		}
		if q.Org != "" && !slices.Contains(r.Organisations, q.Org) {
			continue
		}
		out = append(out, summarise(u, r))
	}
	return out, nil
}

func summarise(u airlock.User, r *airlock.ReleaseRequest) RequestSummary {
	outputs := r.OutputFiles()
	sum := RequestSummary{
		ID: r.ID, Workspace: r.Workspace, Author: r.Author, Status: r.Status, Turn: r.ReviewTurn,
		CreatedAt: r.CreatedAt, LastSubmittedAt: r.LastSubmittedAt, OutputFiles: len(outputs),
		Project: r.Project, Orgs: r.Organisations, Request: r,
	}
	for _, f := range outputs {
		if f.Warnings == nil {
			sum.UncountedFiles++
			continue
		}
		sum.Warnings = sum.Warnings.Add(*f.Warnings)
		if f.Warnings.Block > 0 {
			sum.BlockFiles++
		}
	}
	if airlock.CanReview(u, r) {
		my := &MyReview{Submitted: r.HasSubmitted(u.Username)}
		for _, f := range outputs {
			if v := f.Vote(u.Username); v != nil && v.Status != airlock.VoteUndecided {
				my.Voted++
			}
		}
		sum.MyReview = my
	}
	return sum
}

// mutate runs one request operation (see change) and returns request id as u sees it once
// the change has committed.
func (s *Airlock) mutate(ctx context.Context, u airlock.User, id string, fn func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error) (RequestView, error) {
	return s.mutateWith(ctx, u, id, wholeRequest, fn)
}

// mutateWith is mutate, with the request loaded as load says.
func (s *Airlock) mutateWith(ctx context.Context, u airlock.User, id string, load loadMode, fn func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error) (RequestView, error) {
	if err := s.changeWith(ctx, u, id, load, fn); err != nil {
		return RequestView{}, err
	}
	return s.GetRequest(ctx, u, id)
}

// loadMode says how much of a request an operation's rule needs.
type loadMode int

const (
	// wholeRequest: the aggregate with everything, comments included.
	wholeRequest loadMode = iota
	// withoutComments: no comments (votes and new comments: their rules never look at the
	// discussion, which can be long).
	withoutComments
)

// change runs one request operation in a write transaction: it loads request id fresh for
// u (from the view cache when the database says it is current) and runs fn, which checks the rule and writes the change with its audit event. A
// request.changed event is published after commit. Nothing else happens while the
// transaction holds the database's single writer: the view the caller gets back is read
// after commit, in a read transaction (see mutate).
func (s *Airlock) change(ctx context.Context, u airlock.User, id string, fn func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error) error {
	return s.changeWith(ctx, u, id, wholeRequest, fn)
}

// changeWith is change, with the request loaded as load says.
func (s *Airlock) changeWith(ctx context.Context, u airlock.User, id string, load loadMode, fn func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error) error {
	return s.write(ctx, func(tx Tx, eff *effects) error {
		r, err := s.requestForWrite(ctx, tx, u, id, load)
		if err != nil {
			return err
		}
		if err := fn(tx, eff, r); err != nil {
			return err
		}
		eff.changed(r)
		return nil
	})
}

// Submit submits a PENDING request or resubmits a RETURNED one (T2, T3). On resubmission
// every CHANGES_REQUESTED vote on an output file first becomes UNDECIDED. A new review turn
// starts.
func (s *Airlock) Submit(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanSubmit(u, r, s.policy); err != nil {
			return err
		}
		for _, ch := range airlock.PlanResubmit(r) {
			if err := s.changeVote(ctx, tx, u, r, ch); err != nil {
				return err
			}
		}
		t, err := airlock.Transit(u, r, airlock.StatusSubmitted, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// WithdrawRequest withdraws a PENDING or RETURNED request (T4); it is irreversible.
func (s *Airlock) WithdrawRequest(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanWithdrawRequest(u, r); err != nil {
			return err
		}
		t, err := airlock.Transit(u, r, airlock.StatusWithdrawn, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// changeVote applies one planned vote change as the system would: a To vote sets the vote
// (REQUEST_FILE_UNDECIDED for UNDECIDED), an empty To deletes it (REQUEST_FILE_RESET_REVIEW).
// The event's actor is u and its extras name the reviewer.
func (s *Airlock) changeVote(ctx context.Context, tx Tx, u airlock.User, r *airlock.ReleaseRequest, ch airlock.VoteChange) error {
	f := r.File(ch.RelPath)
	if f == nil || f.Vote(ch.Reviewer) == nil {
		return airlock.Errorf(airlock.CodeInternal, "vote of %s on %s not found", ch.Reviewer, ch.RelPath)
	}
	extra := map[string]string{"group": ch.Group, "reviewer": ch.Reviewer}
	if ch.To == "" {
		extra["filetype"] = string(f.FileType)
		if err := tx.DeleteReview(ctx, r.ID, f.RelPath, ch.Reviewer,
			s.audit(airlock.AuditRequestFileResetReview, u, r, f.RelPath, extra)); err != nil {
			return err
		}
		delete(f.Reviews, ch.Reviewer)
		return nil
	}
	if ch.To != airlock.VoteUndecided {
		return airlock.Errorf(airlock.CodeInternal, "unexpected planned vote %s", ch.To)
	}
	if err := airlock.CheckCanMarkUndecided(r, ch.From); err != nil {
		return err
	}
	old := f.Vote(ch.Reviewer)
	rv := &airlock.FileReview{
		Reviewer: ch.Reviewer, Status: ch.To, ReviewTurn: old.ReviewTurn,
		CreatedAt: old.CreatedAt, UpdatedAt: s.now(),
	}
	ev := s.audit(airlock.AuditRequestFileUndecided, u, r, f.RelPath, extra)
	if err := tx.UpsertReview(ctx, r.ID, f.RelPath, rv, ev); err != nil {
		return err
	}
	f.Reviews[ch.Reviewer] = rv
	return nil
}
