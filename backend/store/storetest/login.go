package storetest

import (
	"fmt"
	"testing"
	"time"
)

// Failed logins are kept per key, listed newest first after a time, shared by every store
// on the database, cleared per key and pruned a bounded batch at a time.
func testLoginFailures(t *testing.T, open Opener) {
	d := open(t)
	s, other := d.Store, d.Again(t)
	long := at(-time.Hour)
	record := func(s Store, keys []string, when, since time.Time) {
		t.Helper()
		if err := s.RecordLoginFailure(ctx, keys, when, since); err != nil {
			t.Fatalf("RecordLoginFailure(%v): %v", keys, err)
		}
	}
	list := func(s Store, key string, since time.Time, limit int) []time.Time {
		t.Helper()
		ts, err := s.LoginFailures(ctx, key, since, limit)
		if err != nil {
			t.Fatalf("LoginFailures(%s): %v", key, err)
		}
		return ts
	}
	wantTimes := func(what string, got []time.Time, want ...time.Time) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
		}
	}

	record(s, []string{"u:alice", "a:10.0.0.1"}, at(0), long)
	record(other, []string{"u:alice", "a:10.0.0.2"}, at(time.Minute), long)
	record(s, []string{"u:alice"}, at(2*time.Minute), long)
	wantTimes("alice's failures, newest first", list(s, "u:alice", long, 10), at(2*time.Minute), at(time.Minute), at(0))
	wantTimes("the same from another store", list(other, "u:alice", long, 10), at(2*time.Minute), at(time.Minute), at(0))
	wantTimes("at most limit", list(s, "u:alice", long, 2), at(2*time.Minute), at(time.Minute))
	wantTimes("only after since", list(s, "u:alice", at(0), 10), at(2*time.Minute), at(time.Minute))
	wantTimes("an address's", list(other, "a:10.0.0.1", long, 10), at(0))
	wantTimes("an unknown key's", list(s, "u:nobody", long, 10))

	// Two failures at one instant are two.
	record(s, []string{"u:bob"}, at(0), long)
	record(other, []string{"u:bob"}, at(0), long)
	wantTimes("bob's", list(s, "u:bob", long, 10), at(0), at(0))

	// Clearing is per key, whichever store cleared.
	if err := other.ClearLoginFailures(ctx, "u:alice"); err != nil {
		t.Fatal(err)
	}
	wantTimes("alice's after clearing", list(s, "u:alice", long, 10))
	wantTimes("the address's after clearing alice's", list(s, "a:10.0.0.1", long, 10), at(0))
	if err := s.ClearLoginFailures(ctx, "u:nobody"); err != nil {
		t.Fatalf("clearing a key without failures: %v", err)
	}

	// Recording prunes what is at or before since.
	record(s, []string{"u:carol"}, at(31*time.Minute), at(time.Minute))
	wantTimes("pruned address", list(s, "a:10.0.0.1", long, 10))
	wantTimes("pruned at since", list(s, "a:10.0.0.2", long, 10))
	wantTimes("bob's pruned", list(s, "u:bob", long, 10))
	wantTimes("carol's kept", list(s, "u:carol", long, 10), at(31*time.Minute))

	// A bounded batch at a time: many expired failures take several records to go.
	many := make([]string, 1100)
	for i := range many {
		many[i] = fmt.Sprintf("k:%d", i)
	}
	record(s, many, at(time.Hour), long)
	expired := func() int {
		t.Helper()
		var n int
		if err := d.Raw.QueryRow(`SELECT COUNT(*) FROM login_failure WHERE limit_key LIKE 'k:%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	record(s, []string{"u:dave"}, at(3*time.Hour), at(2*time.Hour))
	if n := expired(); n == 0 || n >= len(many) {
		t.Fatalf("one record left %d of %d expired failures; want a bounded batch gone", n, len(many))
	}
	for i := 0; expired() > 0; i++ {
		if i == 10 {
			t.Fatalf("%d expired failures left after 10 more records", expired())
		}
		record(other, []string{"u:dave"}, at(3*time.Hour), at(2*time.Hour))
	}
	wantTimes("dave's newest, kept", list(s, "u:dave", at(2*time.Hour), 1), at(3*time.Hour))
}
