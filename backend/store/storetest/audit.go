package storetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// Every mutating Tx method takes the audit event that records it, except the internal
// bookkeeping ones.
func testMutationsTakeAnAuditEvent(t *testing.T, open Opener) {
	exempt := map[string]bool{
		"DeleteFile": true, "RecordUploadAttempt": true, "HideAuditEventsForTurn": true, "UpsertUser": true,
		// the outbox is bookkeeping: the status change queuing a notification, and the
		// unknown outcome of one, are audited by their own events in the same transaction
		"EnqueueNotification": true, "UpdateNotification": true,
	}
	reads := map[string]bool{
		"GetRequest": true, "GetRequestForUpload": true, "GetRequestWithoutComments": true, "FindCurrentRequest": true, "CurrentRequestID": true, "ListRequests": true, "ListAudit": true,
		"ReleasedFileIDs": true, "PendingUploads": true, "GetUser": true, "RequestVersion": true, "CommentsAfter": true, "WorkspaceProjects": true,
		"NotificationQueue": true, "LockNotification": true, "ListNotifications": true, "CountNotifications": true,
	}
	evType := reflect.TypeOf(airlock.AuditEvent{})
	txType := reflect.TypeOf((*service.Tx)(nil)).Elem()
	mutating := 0
	for i := 0; i < txType.NumMethod(); i++ {
		m := txType.Method(i)
		if reads[m.Name] {
			continue
		}
		if !strings.HasPrefix(m.Name, "Insert") && !strings.HasPrefix(m.Name, "Update") &&
			!strings.HasPrefix(m.Name, "Upsert") && !strings.HasPrefix(m.Name, "Delete") &&
			!strings.HasPrefix(m.Name, "Set") && !strings.HasPrefix(m.Name, "Append") &&
			!strings.HasPrefix(m.Name, "Record") && !strings.HasPrefix(m.Name, "Hide") &&
			!strings.HasPrefix(m.Name, "Enqueue") {
			t.Errorf("Tx.%s is neither a known read nor a recognised mutation: classify it here", m.Name)
			continue
		}
		mutating++
		takes := false
		for j := 0; j < m.Type.NumIn(); j++ {
			if m.Type.In(j) == evType {
				takes = true
			}
		}
		if takes == exempt[m.Name] {
			if exempt[m.Name] {
				t.Errorf("Tx.%s is exempt but takes an airlock.AuditEvent: update the exemptions", m.Name)
			} else {
				t.Errorf("Tx.%s mutates but takes no airlock.AuditEvent", m.Name)
			}
		}
	}
	if mutating < 15 {
		t.Fatalf("only %d mutating methods found; the classification is broken", mutating)
	}
}

func testAuditRoundTripAndAllTypes(t *testing.T, open Opener) {
	s := open(t).Store
	var want []airlock.AuditEvent
	inTx(t, s, func(tx service.Tx) error {
		for i, ty := range airlock.AuditTypes {
			ev := airlock.AuditEvent{Type: ty, User: "alice", Workspace: "ws", Request: "r1",
				Path: "p/" + string(ty), Extra: map[string]string{"review_turn": "1", "k": "v\n\"quoted\""},
				CreatedAt: at(time.Duration(i) * time.Second)}
			if err := tx.AppendAudit(ctx, ev); err != nil {
				return err
			}
			ev.ID = int64(i + 1)
			want = append([]airlock.AuditEvent{ev}, want...)
		}
		return nil
	})
	mustEqual(t, "audit newest first", listAudit(t, s, airlock.AuditFilter{}), want)

	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.AppendAudit(ctx, airlock.AuditEvent{Type: "REQUEST_FILE_REJECT", User: "alice"})
	})
	if err == nil {
		t.Fatal("an unknown audit type was stored")
	}

	// A zero time is stamped; nil extra is stored as empty.
	before := time.Now().UTC()
	inTx(t, s, func(tx service.Tx) error {
		return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditWorkspaceFileView, User: "bob", Workspace: "ws"})
	})
	got := listAudit(t, s, airlock.AuditFilter{Limit: 1})[0]
	if got.CreatedAt.Before(before.Add(-time.Second)) || got.CreatedAt.After(time.Now().Add(time.Second)) ||
		len(got.Extra) != 0 || got.Extra == nil {
		t.Fatalf("stamped event = %+v", got)
	}
}

func testListAuditFilters(t *testing.T, open Opener) {
	s := open(t).Store
	add := func(ty airlock.AuditType, user, ws, req string, extra map[string]string) {
		inTx(t, s, func(tx service.Tx) error {
			return tx.AppendAudit(ctx, airlock.AuditEvent{Type: ty, User: user, Workspace: ws, Request: req,
				Extra: extra, CreatedAt: t0})
		})
	}
	add(airlock.AuditWorkspaceFileView, "alice", "ws1", "", nil)                                 // 1
	add(airlock.AuditRequestCreate, "alice", "ws1", "r1", map[string]string{"review_turn": "0"}) // 2
	add(airlock.AuditRequestFileAdd, "alice", "ws1", "r1", map[string]string{"group": "g1"})     // 3
	add(airlock.AuditRequestFileView, "carol", "ws1", "r1", map[string]string{"group": "g1"})    // 4
	add(airlock.AuditRequestComment, "carol", "ws1", "r1", map[string]string{"group": "g2"})     // 5
	add(airlock.AuditRequestCreate, "bob", "ws2", "r2", nil)                                     // 6
	add(airlock.AuditRequestFileAdd, "bob", "ws2", "r2", map[string]string{"group": "g1"})       // 7

	idsOf := func(f airlock.AuditFilter) []int64 {
		out := []int64{}
		for _, ev := range listAudit(t, s, f) {
			out = append(out, ev.ID)
		}
		return out
	}
	mustEqual(t, "all", idsOf(airlock.AuditFilter{}), []int64{7, 6, 5, 4, 3, 2, 1})
	mustEqual(t, "user", idsOf(airlock.AuditFilter{User: "carol"}), []int64{5, 4})
	mustEqual(t, "workspace", idsOf(airlock.AuditFilter{Workspace: "ws2"}), []int64{7, 6})
	mustEqual(t, "request", idsOf(airlock.AuditFilter{Request: "r1"}), []int64{5, 4, 3, 2})
	mustEqual(t, "workspace wins over request", idsOf(airlock.AuditFilter{Workspace: "ws1", Request: "r2"}),
		[]int64{5, 4, 3, 2, 1})
	mustEqual(t, "group", idsOf(airlock.AuditFilter{Request: "r1", Group: "g1"}), []int64{4, 3})
	mustEqual(t, "exclude types", idsOf(airlock.AuditFilter{Request: "r1", ExcludeTypes: []airlock.AuditType{
		airlock.AuditRequestFileView, airlock.AuditRequestCreate}}), []int64{5, 3})
	mustEqual(t, "limit", idsOf(airlock.AuditFilter{Limit: 2}), []int64{7, 6})
	mustEqual(t, "combined", idsOf(airlock.AuditFilter{User: "alice", Group: "g1", Workspace: "ws1"}), []int64{3})
}

func testHideAuditEventsForTurn(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	add := func(req, turn string) {
		inTx(t, s, func(tx service.Tx) error {
			return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditRequestFileApprove, User: "carol",
				Workspace: "ws", Request: req, Extra: map[string]string{"review_turn": turn}, CreatedAt: t0})
		})
	}
	add("r1", "1")  // 1
	add("r1", "2")  // 2
	add("r1", "2")  // 3
	add("r2", "2")  // 4
	add("r1", "12") // 5
	inTx(t, s, func(tx service.Tx) error { return tx.HideAuditEventsForTurn(ctx, "r1", 2) })
	hidden := map[int64]bool{}
	for _, ev := range listAudit(t, s, airlock.AuditFilter{}) {
		hidden[ev.ID] = ev.Hidden
	}
	mustEqual(t, "hidden", hidden, map[int64]bool{1: false, 2: true, 3: true, 4: false, 5: false})

	// Hiding is idempotent, does not break the chain, and cannot be undone.
	inTx(t, s, func(tx service.Tx) error { return tx.HideAuditEventsForTurn(ctx, "r1", 2) })
	if checked, bad, err := s.VerifyAudit(ctx); err != nil || bad != 0 || checked != 5 {
		t.Fatalf("VerifyAudit after hiding = %d, %d, %v", checked, bad, err)
	}
	if _, err := d.Raw.Exec(`UPDATE audit_log SET hidden = (1 = 0) WHERE id = 2`); err == nil {
		t.Fatal("a hidden event was unhidden")
	}
}

func testAuditIsAppendOnly(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	for i := 0; i < 3; i++ {
		inTx(t, s, func(tx service.Tx) error {
			return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditWorkspaceFileView, User: "alice",
				Workspace: "ws", Path: "a.csv", CreatedAt: t0})
		})
	}
	db := d.Raw
	for _, q := range []string{
		`UPDATE audit_log SET username = 'mallory' WHERE id = 2`,
		`UPDATE audit_log SET extra = '{"x":"y"}' WHERE id = 2`,
		`UPDATE audit_log SET hash = 'x' WHERE id = 2`,
		`UPDATE audit_log SET created_at = created_at`,
		`UPDATE audit_log SET id = 10 WHERE id = 3`,
		`DELETE FROM audit_log WHERE id = 2`,
		`DELETE FROM audit_log`,
	} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s: succeeded on the append-only log", q)
		}
	}
	if _, err := db.Exec(`UPDATE audit_log SET hidden = (1 = 1) WHERE id = 2`); err != nil {
		t.Fatalf("hiding refused: %v", err)
	}
	if checked, bad, err := s.VerifyAudit(ctx); err != nil || bad != 0 || checked != 3 {
		t.Fatalf("VerifyAudit = %d, %d, %v", checked, bad, err)
	}
}

// seedAudit writes n events to a fresh database.
func seedAudit(t *testing.T, open Opener, n int) DB {
	d := open(t)
	s := d.Store
	for i := 0; i < n; i++ {
		inTx(t, s, func(tx service.Tx) error {
			return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditRequestComment, User: "carol",
				Workspace: "ws", Request: "r1", Extra: map[string]string{"comment": "c" + itoa(i), "review_turn": "1"},
				CreatedAt: at(time.Duration(i) * time.Second)})
		})
	}
	if checked, bad, err := s.VerifyAudit(ctx); err != nil || bad != 0 || checked != n {
		t.Fatalf("VerifyAudit on an intact log = %d, %d, %v", checked, bad, err)
	}
	return d
}

// tamper drops the audit guards and runs qs on the database directly.
func tamper(t *testing.T, d DB, qs ...string) {
	for _, q := range append(append([]string{}, d.DropAuditGuards...), qs...) {
		if _, err := d.Raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func testVerifyAuditDetectsTampering(t *testing.T, open Opener) {
	cases := []struct {
		name string
		qs   []string
		bad  int64
	}{
		{"edited extra", []string{`UPDATE audit_log SET extra = '{"comment":"forged","review_turn":"1"}' WHERE id = 3`}, 3},
		{"edited user", []string{`UPDATE audit_log SET username = 'mallory' WHERE id = 4`}, 4},
		{"edited time", []string{`UPDATE audit_log SET created_at = '2020-01-01T00:00:00.000000000Z' WHERE id = 1`}, 1},
		{"edited type", []string{`UPDATE audit_log SET type = 'REQUEST_EDIT' WHERE id = 5`}, 5},
		{"deleted middle row", []string{`DELETE FROM audit_log WHERE id = 3`}, 4},
		{"deleted first row", []string{`DELETE FROM audit_log WHERE id = 1`}, 2},
		{"deleted last rows", []string{`DELETE FROM audit_log WHERE id >= 4`}, 4},
		{"edited row with its own hash recomputed", []string{
			`UPDATE audit_log SET hash = (SELECT hash FROM audit_log WHERE id = 2) WHERE id = 3`}, 3},
		{"renumbered row", []string{`UPDATE audit_log SET id = 100 WHERE id = 5`}, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := seedAudit(t, open, 5)
			tamper(t, d, c.qs...)
			checked, bad, err := d.Store.VerifyAudit(ctx)
			if err != nil {
				t.Fatalf("VerifyAudit: %v", err)
			}
			if bad != c.bad {
				t.Fatalf("VerifyAudit first bad id = %d (checked %d), want %d", bad, checked, c.bad)
			}
		})
	}
}

// The audit row is written in the same transaction as the change: when the audit write
// fails the change is gone too, and when the change fails no audit row is left.
func testAuditInSameTransaction(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	bad := event(airlock.AuditRequestCreate, "alice", r, "", nil)
	bad.Type = "NOT_A_TYPE"
	err := s.InTx(ctx, func(tx service.Tx) error { return tx.InsertRequest(ctx, r, bad) })
	if err == nil {
		t.Fatal("insert with an invalid audit event succeeded")
	}
	view(t, s, func(tx service.Tx) error {
		_, err := tx.GetRequest(ctx, "r1")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})

	insertRequest(t, s, r)
	n := len(listAudit(t, s, airlock.AuditFilter{}))
	// A failing change leaves no audit row, even when the caller ignores the error and
	// commits. (PostgreSQL fails the whole transaction at a constraint violation, so its
	// commit then fails and commits nothing; SQLite commits the rest: either way, no row.)
	_ = s.InTx(ctx, func(tx service.Tx) error {
		dup := newRequest("r1", "ws9", "bob")
		err := tx.InsertRequest(ctx, dup, event(airlock.AuditRequestCreate, "bob", dup, "", nil))
		wantCode(t, err, airlock.CodeConflict)
		return nil
	})
	inTx(t, s, func(tx service.Tx) error {
		err := tx.DeleteComment(ctx, "r1", "42", event(airlock.AuditRequestCommentDelete, "alice", r, "", nil))
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
	if m := len(listAudit(t, s, airlock.AuditFilter{})); m != n {
		t.Fatalf("failed changes left audit rows: %d -> %d", n, m)
	}

	// A transaction failing after several audited changes leaves none of them.
	err = s.InTx(ctx, func(tx service.Tx) error {
		f := newFile("a.csv", "default", airlock.FileTypeOutput)
		if err := tx.InsertFile(ctx, "r1", f, event(airlock.AuditRequestFileAdd, "alice", r, "a.csv", nil)); err != nil {
			return err
		}
		r.Status = airlock.StatusSubmitted
		if err := tx.UpdateRequest(ctx, r, event(airlock.AuditRequestSubmit, "alice", r, "", nil)); err != nil {
			return err
		}
		return tx.InsertComment(ctx, "r1", "no-such-group", &airlock.Comment{Author: "alice", Text: "x",
			Visibility: airlock.VisibilityPublic}, event(airlock.AuditRequestComment, "alice", r, "", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
	got := getRequest(t, s, "r1")
	if got.Status != airlock.StatusPending || got.File("a.csv") != nil {
		t.Fatalf("rolled-back changes persisted: %+v", got)
	}
	if m := len(listAudit(t, s, airlock.AuditFilter{})); m != n {
		t.Fatalf("rolled-back transaction left audit rows: %d -> %d", n, m)
	}

	// Each audited mutation writes exactly its event.
	ev := event(airlock.AuditRequestFileAdd, "alice", r, "b.csv", map[string]string{"group": "default"})
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "r1", newFile("b.csv", "default", airlock.FileTypeOutput), ev)
	})
	evs := listAudit(t, s, airlock.AuditFilter{Request: "r1"})
	if len(evs) != n+1 || evs[0].Type != airlock.AuditRequestFileAdd || evs[0].Path != "b.csv" ||
		evs[0].Extra["group"] != "default" {
		t.Fatalf("audit after InsertFile = %+v", evs)
	}
}

func testInsertRequestFillsCreateEvent(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertRequest(ctx, r, airlock.AuditEvent{Type: airlock.AuditRequestCreate, User: "alice", CreatedAt: t0})
	})
	evs := listAudit(t, s, airlock.AuditFilter{Request: "r1"})
	if len(evs) != 1 || evs[0].Request != "r1" || evs[0].Workspace != "ws" {
		t.Fatalf("create event = %+v", evs)
	}
}
