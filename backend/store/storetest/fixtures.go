package storetest

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// The contract's fixtures and helpers, for what a store tests of its own (its migrations,
// its benchmarks, what only it has): the same requests, files, events and fixed times as the
// contract's.

// At is a fixed UTC time with nanoseconds, moved by d.
func At(d time.Duration) time.Time { return at(d) }

// NewRequest is a bare PENDING request.
func NewRequest(id, ws, author string) *airlock.ReleaseRequest { return newRequest(id, ws, author) }

// NewFile is a request file with every content field set and no votes.
func NewFile(relpath, group string, ft airlock.FileType) *airlock.RequestFile {
	return newFile(relpath, group, ft)
}

// Event is an audit event of user, on request r when it is not nil (its workspace, id and
// review turn), at At(time.Minute).
func Event(ty airlock.AuditType, user string, r *airlock.ReleaseRequest, path string, extra map[string]string) airlock.AuditEvent {
	return event(ty, user, r, path, extra)
}

// MustEqual fails t, showing both as JSON, unless got and want are deeply equal.
func MustEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	mustEqual(t, what, got, want)
}

// InTx runs fn in one write transaction of s and fails t on its error.
func InTx(t testing.TB, s Store, fn func(tx service.Tx) error) {
	t.Helper()
	inTx(t, s, fn)
}

// View runs fn in a read transaction of s and fails t on its error.
func View(t testing.TB, s Store, fn func(tx service.Tx) error) {
	t.Helper()
	view(t, s, fn)
}

// InsertRequest stores r with its create event in its own transaction.
func InsertRequest(t testing.TB, s Store, r *airlock.ReleaseRequest) {
	t.Helper()
	insertRequest(t, s, r)
}

// GetRequest loads request id, failing t when it cannot.
func GetRequest(t testing.TB, s Store, id string) *airlock.ReleaseRequest {
	t.Helper()
	return getRequest(t, s, id)
}

// ListAudit lists the audit events f selects, failing t when it cannot.
func ListAudit(t testing.TB, s Store, f airlock.AuditFilter) []airlock.AuditEvent {
	t.Helper()
	return listAudit(t, s, f)
}
