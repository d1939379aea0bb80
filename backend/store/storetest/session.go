package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

func testUsers(t *testing.T, open Opener) {
	s := open(t).Store
	u := airlock.User{
		Username: "alice", Fullname: "Alice A", OutputChecker: true, ReadonlyAccess: false,
		Workspaces: map[string]airlock.WorkspaceGrant{
			"ws": {Project: airlock.Project{Name: "p", Ongoing: true, Orgs: []string{"o1", "o2"}}, Archived: false},
		},
		CopilotedWorkspaces: map[string]airlock.WorkspaceGrant{
			"ws2": {Project: airlock.Project{Name: "q"}, Archived: true},
		},
	}
	if err := s.UpsertUser(ctx, u, at(0)); err != nil {
		t.Fatal(err)
	}
	got, refreshed, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "user", got, u)
	if !refreshed.Equal(at(0)) {
		t.Fatalf("refreshed = %v", refreshed)
	}

	// Upsert replaces the record, inside a transaction too.
	u.Fullname, u.OutputChecker, u.Workspaces = "Alice B", false, nil
	inTx(t, s, func(tx service.Tx) error { return tx.UpsertUser(ctx, u, at(time.Hour)) })
	view(t, s, func(tx service.Tx) error {
		got, refreshed, err := tx.GetUser(ctx, "alice")
		if err != nil {
			return err
		}
		mustEqual(t, "updated user", got, u)
		if !refreshed.Equal(at(time.Hour)) {
			t.Fatalf("refreshed = %v", refreshed)
		}
		_, _, err = tx.GetUser(ctx, "nobody")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
	_, _, err = s.GetUser(ctx, "nobody")
	wantCode(t, err, airlock.CodeNotFound)
	wantCode(t, s.UpsertUser(ctx, airlock.User{}, at(0)), airlock.CodeInvalid)
}

func testSessions(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	if err := s.CreateSession(ctx, airlock.User{Username: "alice"}, "hash1", "csrf1", at(0), at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	user, csrf, exp, err := s.GetSession(ctx, "hash1")
	if err != nil || user != "alice" || csrf != "csrf1" || !exp.Equal(at(time.Hour)) {
		t.Fatalf("GetSession = %q, %q, %v, %v", user, csrf, exp, err)
	}
	wantCode(t, s.CreateSession(ctx, airlock.User{Username: "bob"}, "hash1", "x", at(0), at(time.Hour)), airlock.CodeConflict)

	if err := s.TouchSession(ctx, "hash1", at(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, exp, _ = s.GetSession(ctx, "hash1"); !exp.Equal(at(2 * time.Hour)) {
		t.Fatalf("expiry after touch = %v", exp)
	}
	wantCode(t, s.TouchSession(ctx, "nope", at(0)), airlock.CodeNotFound)
	_, _, _, err = s.GetSession(ctx, "nope")
	wantCode(t, err, airlock.CodeNotFound)

	// Expired sessions are purged when a new one is created.
	if err := s.CreateSession(ctx, airlock.User{Username: "bob", Fullname: "Bob B"}, "hash2", "csrf2", at(3*time.Hour), at(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = s.GetSession(ctx, "hash1")
	wantCode(t, err, airlock.CodeNotFound)
	// The session's user record was written with it, refreshed at the login.
	u, refreshed, err := s.GetUser(ctx, "bob")
	if err != nil || u.Fullname != "Bob B" || !refreshed.Equal(at(3*time.Hour)) {
		t.Fatalf("user after login = %+v, %v, %v", u, refreshed, err)
	}
	// A user record that cannot be stored fails the login as a whole: no session.
	wantCode(t, s.CreateSession(ctx, airlock.User{}, "hash3", "csrf3", at(3*time.Hour), at(4*time.Hour)), airlock.CodeInvalid)
	_, _, _, err = s.GetSession(ctx, "hash3")
	wantCode(t, err, airlock.CodeNotFound)

	if err := s.DeleteSession(ctx, "hash2"); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = s.GetSession(ctx, "hash2")
	wantCode(t, err, airlock.CodeNotFound)
	if err := s.DeleteSession(ctx, "hash2"); err != nil {
		t.Fatalf("deleting an unknown session: %v", err)
	}

	// Only what was given is stored: the store never sees raw session ids.
	var n int
	if err := d.Raw.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sessions left: %d, %v", n, err)
	}
}

func testLoginTokens(t *testing.T, open Opener) {
	s := open(t).Store
	if err := s.InsertLoginToken(ctx, "alice", "tok1", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.InsertLoginToken(ctx, "alice", "tok1", at(time.Hour)), airlock.CodeConflict)

	consume := func(user, tok string, now time.Time) bool {
		t.Helper()
		ok, err := s.ConsumeLoginToken(ctx, user, tok, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if consume("bob", "tok1", at(0)) {
		t.Fatal("token accepted for the wrong user")
	}
	if consume("alice", "tok1", at(0)) {
		t.Fatal("token still usable after a wrong-user attempt")
	}

	if err := s.InsertLoginToken(ctx, "alice", "tok2", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if consume("alice", "tok2", at(time.Hour)) {
		t.Fatal("token accepted at its expiry time")
	}

	if err := s.InsertLoginToken(ctx, "alice", "tok3", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !consume("alice", "tok3", at(time.Minute)) {
		t.Fatal("valid token refused")
	}
	if consume("alice", "tok3", at(time.Minute)) {
		t.Fatal("token accepted twice")
	}
	if consume("alice", "never-issued", at(0)) {
		t.Fatal("unknown token accepted")
	}
}

// Racing consumers of one token: exactly one wins.
func testConsumeLoginTokenOnce(t *testing.T, open Opener) {
	s := open(t).Store
	if err := s.InsertLoginToken(ctx, "alice", "tok", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ConsumeLoginToken(ctx, "alice", "tok", at(0))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d consumers won", wins.Load())
	}
}
