package storetest

import (
	"sync"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

func note(request, eventType string) airlock.QueuedNotification {
	return airlock.QueueNotification(airlock.Notification{EventType: eventType, Workspace: "ws", Request: request,
		RequestAuthor: "alice", User: "bob", Updates: []airlock.NotificationUpdate{{Update: "2 files will be uploaded"}}}, t0)
}

func enqueue(t testing.TB, s Store, qs ...airlock.QueuedNotification) []int64 {
	t.Helper()
	var ids []int64
	inTx(t, s, func(tx service.Tx) error {
		for _, q := range qs {
			if err := tx.EnqueueNotification(ctx, &q); err != nil {
				return err
			}
			ids = append(ids, q.ID)
		}
		return nil
	})
	return ids
}

func queueIDs(t testing.TB, s Store, limit int) []int64 {
	t.Helper()
	var ids []int64
	view(t, s, func(tx service.Tx) error {
		qs, err := tx.NotificationQueue(ctx, limit)
		for _, q := range qs {
			ids = append(ids, q.ID)
		}
		return err
	})
	return ids
}

// claimNext takes the first pending head of the queue for server, as a dispatcher does;
// 0 when there is none.
func claimNext(t testing.TB, s Store, server string) int64 {
	t.Helper()
	var got int64
	inTx(t, s, func(tx service.Tx) error {
		got = 0
		qs, err := tx.NotificationQueue(ctx, 10)
		if err != nil {
			return err
		}
		for _, q := range qs {
			locked, ok, err := tx.LockNotification(ctx, q.ID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			next, send, _ := airlock.TakeNotification(locked, server, at(1))
			if !send {
				continue
			}
			if err := tx.UpdateNotification(ctx, next); err != nil {
				return err
			}
			got = q.ID
			return nil
		}
		return nil
	})
	return got
}

// Notifications are queued in commit order and come back as they were stored; the queue
// holds only each request's earliest open notification.
func testNotificationQueueOrder(t *testing.T, open Opener) {
	s := open(t).Store
	ids := enqueue(t, s, note("r1", "request_submitted"), note("r2", "request_submitted"), note("r1", "request_approved"))
	if !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids not in commit order: %v", ids)
	}
	mustEqual(t, "queue", queueIDs(t, s, 10), []int64{ids[0], ids[1]})
	mustEqual(t, "queue limited", queueIDs(t, s, 1), []int64{ids[0]})

	var all []airlock.QueuedNotification
	view(t, s, func(tx service.Tx) (err error) {
		all, err = tx.ListNotifications(ctx, "r1")
		return err
	})
	want := note("r1", "request_submitted")
	want.ID = ids[0]
	mustEqual(t, "round trip", all[0], want)
	mustEqual(t, "r1's notifications", len(all), 2)

	// r1's first is being sent: its second waits; r2's is still a head.
	if got := claimNext(t, s, "A"); got != ids[0] {
		t.Fatalf("claimed %d, want %d", got, ids[0])
	}
	mustEqual(t, "queue while r1's first is sending", queueIDs(t, s, 10), []int64{ids[0], ids[1]})
	if got := claimNext(t, s, "A"); got != ids[1] {
		t.Fatalf("claimed %d, want r2's %d", got, ids[1])
	}
	if got := claimNext(t, s, "A"); got != 0 {
		t.Fatalf("claimed %d while the earlier notification of its request is sending", got)
	}

	// Finishing r1's first lets its second through.
	inTx(t, s, func(tx service.Tx) error {
		q, ok, err := tx.LockNotification(ctx, ids[0])
		if err != nil || !ok {
			t.Fatalf("LockNotification = %v, %v", ok, err)
		}
		next, ok, _ := airlock.FinishNotification(q, "A", airlock.SendAnswered, 1, "", at(2))
		if !ok {
			t.Fatal("FinishNotification refused the claimer")
		}
		return tx.UpdateNotification(ctx, next)
	})
	mustEqual(t, "queue after finishing", queueIDs(t, s, 10), []int64{ids[1], ids[2]})
	view(t, s, func(tx service.Tx) error {
		qs, err := tx.ListNotifications(ctx, "r1")
		if err != nil {
			return err
		}
		got := qs[0]
		mustEqual(t, "state", got.State, airlock.NotificationSent)
		mustEqual(t, "claimed by", got.ClaimedBy, "A")
		mustEqual(t, "claimed at", got.ClaimedAt, ptr(at(1)))
		mustEqual(t, "finished at", got.FinishedAt, ptr(at(2)))
		mustEqual(t, "attempts", got.Attempts, 1)
		counts, err := tx.CountNotifications(ctx)
		mustEqual(t, "counts", counts, map[airlock.NotificationState]int{
			airlock.NotificationSent: 1, airlock.NotificationSending: 1, airlock.NotificationPending: 1})
		return err
	})
	var every []airlock.QueuedNotification
	view(t, s, func(tx service.Tx) (err error) {
		every, err = tx.ListNotifications(ctx, "")
		return err
	})
	mustEqual(t, "every notification", len(every), 3)
}

// A notification rolled back with its transaction was never queued; the state column
// refuses what is not a state; a missing row is reported.
func testNotificationConstraints(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	err := s.InTx(ctx, func(tx service.Tx) error {
		q := note("r1", "request_submitted")
		if err := tx.EnqueueNotification(ctx, &q); err != nil {
			return err
		}
		return airlock.Errorf(airlock.CodeInvalid, "the status change failed")
	})
	wantCode(t, err, airlock.CodeInvalid)
	mustEqual(t, "queue after a rollback", queueIDs(t, s, 10), []int64(nil))

	ids := enqueue(t, s, note("r1", "request_submitted"))
	if _, err := d.Raw.Exec(`UPDATE notification SET state = 'lost' WHERE id = $1`, ids[0]); err == nil {
		t.Fatal("state 'lost' accepted")
	}
	inTx(t, s, func(tx service.Tx) error {
		if _, ok, err := tx.LockNotification(ctx, ids[0]+100); ok || err != nil {
			t.Fatalf("LockNotification of a missing row = %v, %v", ok, err)
		}
		q := note("r1", "x")
		q.ID = ids[0] + 100
		wantCode(t, tx.UpdateNotification(ctx, q), airlock.CodeNotFound)
		return nil
	})
	view(t, s, func(tx service.Tx) error {
		q := note("r1", "x")
		if err := tx.EnqueueNotification(ctx, &q); err == nil {
			t.Fatal("EnqueueNotification inside View succeeded")
		}
		return nil
	})
}

// Two stores on one database (two servers) claiming at once never take the same
// notification, and between them take every one, each request's in order.
func testNotificationClaimsRace(t *testing.T, open Opener) {
	d := open(t)
	a, b := d.Store, d.Again(t)
	var qs []airlock.QueuedNotification
	for i := range 24 {
		qs = append(qs, note("r"+itoa(i%4), "e"+itoa(i)))
	}
	ids := enqueue(t, a, qs...)
	var mu sync.Mutex
	claimedBy := map[int64]string{}
	var wg sync.WaitGroup
	for _, srv := range []struct {
		name string
		s    Store
	}{{"A", a}, {"B", b}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id := claimNext(t, srv.s, srv.name)
				if id == 0 {
					return
				}
				mu.Lock()
				if prev, dup := claimedBy[id]; dup {
					t.Errorf("notification %d claimed by %s and %s", id, prev, srv.name)
				}
				claimedBy[id] = srv.name
				mu.Unlock()
				// Finish it, so that the next of its request may be claimed.
				inTx(t, srv.s, func(tx service.Tx) error {
					q, ok, err := tx.LockNotification(ctx, id)
					if err != nil || !ok {
						t.Errorf("LockNotification(%d) = %v, %v", id, ok, err)
						return err
					}
					next, _, _ := airlock.FinishNotification(q, srv.name, airlock.SendAnswered, 1, "", at(2))
					return tx.UpdateNotification(ctx, next)
				})
			}
		}()
	}
	wg.Wait()
	mustEqual(t, "claimed", len(claimedBy), len(ids))
	view(t, a, func(tx service.Tx) error {
		all, err := tx.ListNotifications(ctx, "")
		for _, q := range all {
			if q.State != airlock.NotificationSent || q.ClaimedBy != claimedBy[q.ID] {
				t.Errorf("notification %d: %s by %q, claimed by %q", q.ID, q.State, q.ClaimedBy, claimedBy[q.ID])
			}
		}
		return err
	})
}
