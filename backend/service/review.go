package service

import (
	"context"
	"strconv"

	"github.com/trelab/airlock/backend/airlock"
)

// Vote values accepted by Vote besides the two airlock votes.
const VoteReset = "RESET"

// Vote records u's vote on output files of request id (§4.4.8): APPROVED or
// CHANGES_REQUESTED (allowed after u submitted their review), or RESET to remove u's vote
// (only before u submitted). All files or none.
func (s *Airlock) Vote(ctx context.Context, u airlock.User, id string, paths []string, vote string) (RequestView, error) {
	return s.VoteWithNote(ctx, u, id, paths, vote, "")
}

// VoteWithNote is Vote with an acknowledgement note: approving a file with BLOCK warnings
// needs one (airlock.CheckCanApprove), kept with the vote and in its audit event
// ("acknowledgement", with "block_warnings"). The note goes only with APPROVED; on files
// without BLOCK warnings it is not kept. Files never counted are counted before the
// transaction (see warnings.go).
func (s *Airlock) VoteWithNote(ctx context.Context, u airlock.User, id string, paths []string, vote, note string) (RequestView, error) {
	paths, err := cleanPaths(paths)
	if err != nil {
		return RequestView{}, err
	}
	if note, err = airlock.CleanAcknowledgement(note); err != nil {
		return RequestView{}, err
	}
	if note != "" && vote != string(airlock.VoteApproved) {
		return RequestView{}, airlock.Errorf(airlock.CodeInvalid,
			"An acknowledgement note goes only with approving files")
	}
	counted := map[string]airlock.WarningCounts{}
	if vote == string(airlock.VoteApproved) {
		if counted, err = s.countUncounted(ctx, u, id, paths); err != nil {
			return RequestView{}, err
		}
	}
	var t airlock.AuditType
	switch vote {
	case string(airlock.VoteApproved):
		t = airlock.AuditRequestFileApprove
	case string(airlock.VoteChangesRequested):
		t = airlock.AuditRequestFileRequestChanges
	case VoteReset:
		t = airlock.AuditRequestFileResetReview
	default:
		return RequestView{}, airlock.Errorf(airlock.CodeInvalid,
			"Unknown vote %q: use APPROVED, CHANGES_REQUESTED or RESET", vote)
	}
	return s.mutateWith(ctx, u, id, withoutComments, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		for _, p := range paths {
			if vote == VoteReset {
				if err := airlock.CheckCanResetVote(u, r, p); err != nil {
					return err
				}
				f := r.File(p)
				ev := s.audit(t, u, r, p, map[string]string{"group": f.Group})
				if err := tx.DeleteReview(ctx, r.ID, p, u.Username, ev); err != nil {
					return err
				}
				delete(f.Reviews, u.Username)
				continue
			}
			if err := airlock.CheckCanVote(u, r, p); err != nil {
				return err
			}
			f := r.File(p)
			extra := map[string]string{"group": f.Group}
			now := s.now()
			rv := &airlock.FileReview{
				Reviewer: u.Username, Status: airlock.Vote(vote), ReviewTurn: r.ReviewTurn,
				CreatedAt: now, UpdatedAt: now,
			}
			if vote == string(airlock.VoteApproved) {
				if err := s.withCounts(f, counted); err != nil {
					return err
				}
				if err := airlock.CheckCanApprove(u, r, p, note); err != nil {
					return err
				}
				if airlock.NeedsAcknowledgement(f) {
					rv.Acknowledgement = note
					extra["acknowledgement"] = note
					extra["block_warnings"] = strconv.Itoa(f.Warnings.Block)
				}
			}
			if old := f.Vote(u.Username); old != nil {
				rv.CreatedAt = old.CreatedAt
			}
			ev := s.audit(t, u, r, p, extra)
			if err := tx.UpsertReview(ctx, r.ID, p, rv, ev); err != nil {
				return err
			}
			if f.Reviews == nil {
				f.Reviews = map[string]*airlock.FileReview{}
			}
			f.Reviews[u.Username] = rv
		}
		return nil
	})
}

// SubmitReview records u's review of request id (§4.4.8). The first review makes the
// request PARTIALLY_REVIEWED, the one reaching the required number REVIEWED; a further
// review (a tie-breaker while REVIEWED) changes no status.
//
// The reference's race fallback (a concurrent review moving the status first) cannot arise
// here: the outcome is computed by airlock.ReviewOutcome from the state read inside the
// write transaction, which holds the database's write lock, so two concurrent reviews are
// applied one after the other and the second sees the first.
func (s *Airlock) SubmitReview(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanSubmitReview(u, r, s.policy); err != nil {
			return err
		}
		t, err := airlock.ReviewTransition(u, r, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// Return returns request id to its author (T7, T8). With fewer submitted reviews than
// required it is an early return, which first reverts the turn: votes of this turn become
// UNDECIDED (reviewers who submitted) or are deleted (the others), the turn's comments are
// deleted, the turn's audit events hidden, and REQUEST_EARLY_RETURN written (§4.4.9).
func (s *Airlock) Return(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanReturn(u, r, s.policy); err != nil {
			return err
		}
		if airlock.IsEarlyReturn(r, s.policy) {
			if err := s.revertTurn(ctx, tx, u, r); err != nil {
				return err
			}
		}
		t, err := airlock.Transit(u, r, airlock.StatusReturned, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// revertTurn applies airlock.PlanEarlyReturn.
func (s *Airlock) revertTurn(ctx context.Context, tx Tx, u airlock.User, r *airlock.ReleaseRequest) error {
	plan := airlock.PlanEarlyReturn(r)
	for _, ch := range plan.Undecided {
		if err := s.changeVote(ctx, tx, u, r, ch); err != nil {
			return err
		}
	}
	for _, ch := range plan.Delete {
		if err := s.changeVote(ctx, tx, u, r, ch); err != nil {
			return err
		}
	}
	for _, ref := range plan.DeleteComments {
		c, g := r.Comment(ref.ID)
		if c == nil {
			return airlock.Errorf(airlock.CodeInternal, "comment %s not found", ref.ID)
		}
		// Deleted as its author would delete it, with the same extras.
		ev := s.audit(airlock.AuditRequestCommentDelete, airlock.User{Username: c.Author}, r, "",
			commentEventExtra(g, c, c.Visibility))
		if err := tx.DeleteComment(ctx, r.ID, c.ID, ev); err != nil {
			return err
		}
	}
	if err := tx.HideAuditEventsForTurn(ctx, r.ID, plan.HideTurn); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, s.audit(airlock.AuditRequestEarlyReturn, u, r, "", nil))
}

// Reject rejects a REVIEWED request (T9); it is irreversible and the turn does not change.
func (s *Airlock) Reject(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanReject(u, r, s.policy); err != nil {
			return err
		}
		t, err := airlock.Transit(u, r, airlock.StatusRejected, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}
