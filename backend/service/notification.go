package service

import (
	"context"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// The notification outbox (docs/operations.md, "Uploads and notifications"): status
// changes queue their notifications in their own transactions (transit); a serving
// process's dispatcher (release.Notifier) takes them one at a time under a claim named for
// the notification, sends them and records the outcome here. The rules are airlock's
// (TakeNotification, FinishNotification, MayResend); these methods apply them, each in one
// transaction.

// NotificationQueue returns at most limit notifications that may be sent next, in commit
// order (at most one per request: its earliest not yet done).
func (s *Airlock) NotificationQueue(ctx context.Context, limit int) ([]airlock.QueuedNotification, error) {
	var out []airlock.QueuedNotification
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.NotificationQueue(ctx, limit)
		return err
	})
	return out, err
}

// TakeNotification is called by server while it holds the claim on notification id: a
// pending notification becomes server's to send (send true); one left sending by a server
// that is gone (the claim was free) becomes unknown, recorded on its request
// (REQUEST_NOTIFICATION_UNKNOWN) in the same transaction, and is never resent. q is the
// notification as it is now; q.ID is 0 when it could not be read (another server's
// transaction holds it, or there is none): try again later.
func (s *Airlock) TakeNotification(ctx context.Context, id int64, server string) (q airlock.QueuedNotification, send bool, err error) {
	if strings.TrimSpace(server) == "" {
		return q, false, airlock.Errorf(airlock.CodeInvalid, "a notification is taken by a named server")
	}
	err = s.write(ctx, func(tx Tx, eff *effects) error {
		q, send = airlock.QueuedNotification{}, false
		cur, ok, err := tx.LockNotification(ctx, id)
		if err != nil || !ok {
			return err
		}
		ofRequest, err := tx.ListNotifications(ctx, cur.RequestID)
		if err != nil {
			return err
		}
		if !airlock.NotificationIsNext(cur, ofRequest) {
			return nil
		}
		next, sendIt, unknown := airlock.TakeNotification(cur, server, s.now())
		q, send = next, sendIt
		if !sendIt && !unknown {
			return nil
		}
		if err := tx.UpdateNotification(ctx, next); err != nil {
			return err
		}
		if unknown {
			return s.recordNotificationUnknown(ctx, tx, eff, next.RequestID, next.EventType, next.LastError)
		}
		return nil
	})
	if err != nil {
		return airlock.QueuedNotification{}, false, err
	}
	return q, send, nil
}

// FinishNotification records the outcome of server's sending of notification id after
// attempts: sent, logged, failed, or unknown (recorded on its request in the same
// transaction, never resent). A notification that is no longer server's (another server
// found its sender gone) is left as it is and returned unchanged.
func (s *Airlock) FinishNotification(ctx context.Context, id int64, server string, o airlock.SendOutcome, attempts int, msg string) (airlock.QueuedNotification, error) {
	msg = strings.TrimSpace(msg)
	if len(msg) > maxUploadError {
		msg = strings.ToValidUTF8(msg[:maxUploadError], "") + "…"
	}
	var q airlock.QueuedNotification
	err := s.write(ctx, func(tx Tx, eff *effects) error {
		cur, ok, err := tx.LockNotification(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return airlock.Errorf(airlock.CodeNotFound, "Notification %d not found (or held by another server's transaction); its outcome was not recorded.", id)
		}
		next, changed, unknown := airlock.FinishNotification(cur, server, o, attempts, msg, s.now())
		q = next
		if !changed {
			return nil
		}
		if err := tx.UpdateNotification(ctx, next); err != nil {
			return err
		}
		if unknown {
			return s.recordNotificationUnknown(ctx, tx, eff, next.RequestID, next.EventType, next.LastError)
		}
		return nil
	})
	return q, err
}

// Notifications returns request id's notifications (every request's for ""), in commit
// order: what was queued and what became of it (operators, tests).
func (s *Airlock) Notifications(ctx context.Context, requestID string) ([]airlock.QueuedNotification, error) {
	var out []airlock.QueuedNotification
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListNotifications(ctx, requestID)
		return err
	})
	return out, err
}

// NotificationCounts counts the outbox's notifications by state (/metrics, /healthz).
func (s *Airlock) NotificationCounts(ctx context.Context) (map[airlock.NotificationState]int, error) {
	var out map[airlock.NotificationState]int
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.CountNotifications(ctx)
		return err
	})
	return out, err
}
