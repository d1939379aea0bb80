// Package storetest is the contract of service.Store and of the rest of what a store offers
// (sessions, login tokens, the audit chain's check, the changes since an audit id), run
// against every store: store/sqlite and store/postgres call Run from their tests with a
// function that opens a fresh, empty database. Everything here goes through the store's
// methods, except a few checks and tamperings that need the database's own rows (DB.Raw).
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlstore"
)

// Store is what every store offers: the service's port, the sessions and tokens of auth,
// and the operator's checks.
type Store interface {
	service.Store
	auth.Store
	// VerifyAudit recomputes the audit hash chain: rows checked, first broken id (0: intact).
	VerifyAudit(ctx context.Context) (checked int, firstBadID int64, err error)
	// LastAuditID is the newest audit event's id (0 when none).
	LastAuditID(ctx context.Context) (int64, error)
	// RequestsAuditedAfter lists the requests with audit events newer than id after, and
	// the newest id it saw.
	RequestsAuditedAfter(ctx context.Context, after int64) ([]sqlstore.RequestRef, int64, error)
	// SchemaVersion is the number of the last applied migration.
	SchemaVersion(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	PingRead(ctx context.Context) error
	Close() error
}

// DB is a fresh database opened for one test.
type DB struct {
	// Store is the store under test (closed when the test ends).
	Store Store
	// Raw reaches the same database directly, bypassing the store, for checks and
	// tamperings. Its queries take $1, $2, … placeholders (both SQLite and PostgreSQL
	// read them); booleans are written (1 = 1) and (1 = 0).
	Raw *sql.DB
	// Again opens another store on the same database, as another process would (closed
	// when the test ends).
	Again func(t testing.TB) Store
	// Reopen opens another store on the same database and returns Open's error, for the
	// databases a store must refuse (the caller closes what it returns).
	Reopen func() (Store, error)
	// DropAuditGuards are the statements that remove the audit log's append-only triggers,
	// so that a test can tamper with the log as someone with the database's keys could.
	DropAuditGuards []string
}

// Opener opens a fresh, empty database for t.
type Opener func(t testing.TB) DB

// Run runs the whole contract against the stores open makes.
func Run(t *testing.T, open Opener) {
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

var tests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"RefusesANewerSchema", testRefusesANewerSchema},
	{"RequestsAuditedAfter", testRequestsAuditedAfter},
	{"MutationsTakeAnAuditEvent", testMutationsTakeAnAuditEvent},
	{"AuditRoundTripAndAllTypes", testAuditRoundTripAndAllTypes},
	{"ListAuditFilters", testListAuditFilters},
	{"HideAuditEventsForTurn", testHideAuditEventsForTurn},
	{"AuditIsAppendOnly", testAuditIsAppendOnly},
	{"VerifyAuditDetectsTampering", testVerifyAuditDetectsTampering},
	{"AuditInSameTransaction", testAuditInSameTransaction},
	{"InsertRequestFillsCreateEvent", testInsertRequestFillsCreateEvent},
	{"GroupsAndFiles", testGroupsAndFiles},
	{"UpdateFileKeepsUploadAttempts", testUpdateFileKeepsUploadAttempts},
	{"DeleteFileRemovesVotes", testDeleteFileRemovesVotes},
	{"FileTypeCheckConstraint", testFileTypeCheckConstraint},
	{"Reviews", testReviews},
	{"Comments", testComments},
	{"WarningsAndAcknowledgements", testWarningsAndAcknowledgements},
	{"RequestAggregateRoundTrip", testRequestAggregateRoundTrip},
	{"GetRequestNotFound", testGetRequestNotFound},
	{"UpdateRequest", testUpdateRequest},
	{"InsertRequestConflicts", testInsertRequestConflicts},
	{"OneActiveRequestPerAuthorAndWorkspace", testOneActiveRequestPerAuthorAndWorkspace},
	{"StatusCheckConstraint", testStatusCheckConstraint},
	{"ListRequests", testListRequests},
	{"ListRequestsLoadsAggregates", testListRequestsLoadsAggregates},
	{"PendingUploadsAndReleasedFileIDs", testPendingUploadsAndReleasedFileIDs},
	{"FindCurrentRequestIgnoresClosed", testFindCurrentRequestIgnoresClosed},
	{"Users", testUsers},
	{"Sessions", testSessions},
	{"LoginTokens", testLoginTokens},
	{"ConsumeLoginTokenOnce", testConsumeLoginTokenOnce},
	{"LoginFailures", testLoginFailures},
	{"MigratedAndReopened", testMigratedAndReopened},
	{"LastAuditID", testLastAuditID},
	{"ForeignKeysAreEnforced", testForeignKeysAreEnforced},
	{"ViewIsReadOnly", testViewIsReadOnly},
	{"InTxRollsBackOnError", testInTxRollsBackOnError},
	{"InTxRollsBackOnPanic", testInTxRollsBackOnPanic},
	{"ConcurrentWriters", testConcurrentWriters},
	{"WritersRacingOnOneRequest", testWritersRacingOnOneRequest},
	{"GetRequestForUpload", testGetRequestForUpload},
	{"RequestVersionMovesWithEveryChange", testRequestVersionMovesWithEveryChange},
	{"GetRequestWithoutComments", testGetRequestWithoutComments},
	{"CommentsAfter", testCommentsAfter},
	{"NotificationQueueOrder", testNotificationQueueOrder},
	{"NotificationConstraints", testNotificationConstraints},
	{"NotificationClaimsRace", testNotificationClaimsRace},
}

var ctx = context.Background()

// t0 is a fixed UTC time with nanoseconds, to check exact round trips.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func inTx(t testing.TB, s Store, fn func(tx service.Tx) error) {
	t.Helper()
	if err := s.InTx(ctx, fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

func view(t testing.TB, s Store, fn func(tx service.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func wantCode(t testing.TB, err error, code airlock.Code) {
	t.Helper()
	if got := airlock.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func mustEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs:\n got: %s\nwant: %s", what, g, w)
	}
}

func event(ty airlock.AuditType, user string, r *airlock.ReleaseRequest, path string, extra map[string]string) airlock.AuditEvent {
	ev := airlock.AuditEvent{Type: ty, User: user, Path: path, Extra: map[string]string{}, CreatedAt: at(time.Minute)}
	for k, v := range extra {
		ev.Extra[k] = v
	}
	if r != nil {
		ev.Workspace, ev.Request = r.Workspace, r.ID
		ev.Extra["review_turn"] = itoa(r.ReviewTurn)
	}
	return ev
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// newRequest is a bare PENDING request.
func newRequest(id, ws, author string) *airlock.ReleaseRequest {
	return &airlock.ReleaseRequest{
		ID: id, Workspace: ws, Project: "project-" + ws, Organisations: []string{"org a", "org,b"},
		Author: author, Status: airlock.StatusPending, CreatedAt: at(0),
		SubmittedReviews: map[string]time.Time{},
	}
}

func newFile(relpath, group string, ft airlock.FileType) *airlock.RequestFile {
	return &airlock.RequestFile{
		RelPath: relpath, Group: group, FileType: ft,
		FileID: "sha-" + relpath, Size: 1234, Timestamp: at(-time.Hour),
		JobID: "job1", Commit: "abc123", Repo: "https://example.invalid/repo",
		RowCount: ptr(10), ColCount: ptr(3),
		Reviews: map[string]*airlock.FileReview{},
	}
}

// insertRequest stores r in its own transaction.
func insertRequest(t testing.TB, s Store, r *airlock.ReleaseRequest) {
	t.Helper()
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, r.Author, r, "", nil))
	})
}

func getRequest(t testing.TB, s Store, id string) *airlock.ReleaseRequest {
	t.Helper()
	var r *airlock.ReleaseRequest
	view(t, s, func(tx service.Tx) error {
		var err error
		r, err = tx.GetRequest(ctx, id)
		return err
	})
	return r
}

func listAudit(t testing.TB, s Store, f airlock.AuditFilter) []airlock.AuditEvent {
	t.Helper()
	var evs []airlock.AuditEvent
	view(t, s, func(tx service.Tx) error {
		var err error
		evs, err = tx.ListAudit(ctx, f)
		return err
	})
	return evs
}
