package sqlite_test

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// Migration 0003 rebuilds the audit log (a new type in its CHECK): applied to a log that
// holds events, every row is kept as it was, the hash chain still verifies, the log is
// still append-only and new events chain on.
func TestAuditRebuildMigrationKeepsTheChain(t *testing.T) {
	s, path := openStore(t)
	for i := range 5 {
		inTx(t, s, func(tx service.Tx) error {
			return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditRequestCreate, User: "alice", Workspace: "ws",
				Request: "r1", Extra: map[string]string{"n": string(rune('a' + i))}, CreatedAt: at(time.Duration(i) * time.Second)})
		})
	}
	inTx(t, s, func(tx service.Tx) error { return tx.HideAuditEventsForTurn(ctx, "r1", 0) })
	before := listAudit(t, s, airlock.AuditFilter{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Forget that 0003 ran, so that reopening applies it to the filled log.
	db := rawDB(t, path)
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 3`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s2, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	if v, err := s2.SchemaVersion(ctx); err != nil || v < 3 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	mustEqual(t, "events after the rebuild", listAudit(t, s2, airlock.AuditFilter{}), before)
	inTx(t, s2, func(tx service.Tx) error {
		return tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditRequestNotificationUnknown, User: "system",
			Workspace: "ws", Request: "r1", Extra: map[string]string{"event_type": "request_submitted"}, CreatedAt: at(time.Minute)})
	})
	checked, bad, err := s2.VerifyAudit(ctx)
	if err != nil || bad != 0 || checked != 6 {
		t.Fatalf("verify: checked %d, first bad %d, %v", checked, bad, err)
	}
	db = rawDB(t, path)
	if _, err := db.Exec(`UPDATE audit_log SET username = 'mallory' WHERE id = 1`); err == nil {
		t.Fatal("the rebuilt log accepted an update")
	}
	if _, err := db.Exec(`DELETE FROM audit_log WHERE id = 1`); err == nil {
		t.Fatal("the rebuilt log accepted a delete")
	}
}
