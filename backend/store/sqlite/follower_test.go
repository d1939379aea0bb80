package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// openSecond opens a second store on the database file at path: another process, as far
// as the first store can tell.
func openSecond(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	other, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open a second store: %v", err)
	}
	t.Cleanup(func() { _ = other.Close() })
	return other
}

func setStatus(t *testing.T, s *sqlite.Store, r *airlock.ReleaseRequest, status airlock.Status) {
	t.Helper()
	inTx(t, s, func(tx service.Tx) error {
		r.Status = status
		return tx.UpdateRequest(ctx, r, event(airlock.AuditRequestSubmit, r.Author, r, "", nil))
	})
}

// TestFollowerReportsOtherConnectionsCommits: the first look takes the starting point; the
// store's own commits are not reported; a commit by another connection is, once, with the
// request's current status.
func TestFollowerReportsOtherConnectionsCommits(t *testing.T) {
	s, path := openStore(t)
	other := openSecond(t, path)
	r1 := newRequest("r1", "ws1", "alice")
	insertRequest(t, s, r1)
	f := sqlite.NewFollower(s)
	if refs, err := f.Check(ctx); err != nil || refs != nil {
		t.Fatalf("first look: %v, %v; want nothing", refs, err)
	}

	setStatus(t, s, r1, airlock.StatusSubmitted)
	insertRequest(t, s, newRequest("r2", "ws2", "bob"))
	if refs, err := f.Check(ctx); err != nil || refs != nil {
		t.Fatalf("after the store's own commits: %v, %v; want nothing", refs, err)
	}

	theirs := getRequest(t, other, "r1")
	setStatus(t, other, theirs, airlock.StatusRejected)
	refs, err := f.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "requests changed by the other connection", refs,
		[]sqlite.RequestRef{{ID: "r1", Workspace: "ws1", Status: airlock.StatusRejected}})
	if refs, err := f.Check(ctx); err != nil || refs != nil {
		t.Fatalf("nothing new since: %v, %v; want nothing", refs, err)
	}

	// Own commits in the same interval as an outside one are listed with it.
	insertRequest(t, s, newRequest("r3", "ws1", "carol"))
	theirs = getRequest(t, other, "r2")
	setStatus(t, other, theirs, airlock.StatusWithdrawn)
	refs, err = f.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "requests changed in the interval", refs, []sqlite.RequestRef{
		{ID: "r2", Workspace: "ws2", Status: airlock.StatusWithdrawn},
		{ID: "r3", Workspace: "ws1", Status: airlock.StatusPending},
	})
}

// TestFollowerRetriesAfterAnError: a look that fails changes nothing; the next one works.
func TestFollowerRetriesAfterAnError(t *testing.T) {
	s, path := openStore(t)
	other := openSecond(t, path)
	r1 := newRequest("r1", "ws1", "alice")
	insertRequest(t, s, r1)
	f := sqlite.NewFollower(s)
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Check(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("first look with an ended context: %v, want context.Canceled", err)
	}
	if _, err := f.Check(ctx); err != nil {
		t.Fatal(err)
	}
	setStatus(t, other, getRequest(t, other, "r1"), airlock.StatusSubmitted)
	if _, err := f.Check(done); err == nil {
		t.Fatal("a look with an ended context succeeded")
	}
	refs, err := f.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "requests", refs, []sqlite.RequestRef{{ID: "r1", Workspace: "ws1", Status: airlock.StatusSubmitted}})
}

// TestFollowerRunReports: Run reports another connection's commit on its own; it stops
// when its context ends. The test waits on the report, not on the clock (the deadline only
// bounds a hang).
func TestFollowerRunReports(t *testing.T) {
	s, path := openStore(t)
	other := openSecond(t, path)
	insertRequest(t, s, newRequest("r1", "ws1", "alice"))
	f := sqlite.NewFollower(s)
	// The starting point is taken here, so the commit below comes after it whenever Run
	// gets to its first look.
	if _, err := f.Check(ctx); err != nil {
		t.Fatal(err)
	}
	reports := make(chan []sqlite.RequestRef, 1)
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		f.Run(runCtx, 5*time.Millisecond, func(refs []sqlite.RequestRef) { reports <- refs },
			func(err error) { t.Errorf("follower: %v", err) })
	}()
	setStatus(t, other, getRequest(t, other, "r1"), airlock.StatusSubmitted)
	select {
	case refs := <-reports:
		mustEqual(t, "reported", refs, []sqlite.RequestRef{{ID: "r1", Workspace: "ws1", Status: airlock.StatusSubmitted}})
	case <-time.After(30 * time.Second):
		t.Fatal("no report of the other connection's commit")
	}
	stop()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}
