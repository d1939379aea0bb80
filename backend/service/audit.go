package service

import (
	"context"

	"github.com/trelab/airlock/backend/airlock"
)

// Activity returns the activity log of request id (or of one of its groups) as u may see
// it: newest first, without the read-only event types (views, undecided marks) and without
// the events §5.3 hides from u.
func (s *Airlock) Activity(ctx context.Context, u airlock.User, id, group string) ([]airlock.AuditEvent, error) {
	var out []airlock.AuditEvent
	err := s.view(ctx, func(tx Tx) error {
		r, err := loadRequest(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if group != "" && r.Group(group) == nil {
			return airlock.Errorf(airlock.CodeNotFound, "Group %s is not on this request", group)
		}
		evs, err := tx.ListAudit(ctx, airlock.AuditFilter{
			Request: r.ID, Group: group, ExcludeTypes: airlock.ReadOnlyAuditTypes,
		})
		if err != nil {
			return err
		}
		out = airlock.VisibleAuditEvents(u, r, evs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []airlock.AuditEvent{}
	}
	return out, nil
}

// Audit returns the audit log filtered by f, newest first; output checkers only.
func (s *Airlock) Audit(ctx context.Context, u airlock.User, f airlock.AuditFilter) ([]airlock.AuditEvent, error) {
	if err := airlock.CheckCanReviewRequests(u); err != nil {
		return nil, err
	}
	var out []airlock.AuditEvent
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListAudit(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []airlock.AuditEvent{}
	}
	return out, nil
}
