package service_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// Every mutating Tx method takes the audit event that records the change, so that the audit
// is written in the same transaction (STYLE "Test habits"). The exceptions are internal
// bookkeeping, as in the reference implementation's DAL.
func TestAirlock_TxMutationsTakeAnAuditEvent(t *testing.T) {
	exempt := map[string]string{
		"DeleteFile":             "the caller writes the withdraw event",
		"RecordUploadAttempt":    "bookkeeping before an upload",
		"HideAuditEventsForTurn": "early return hides events; REQUEST_EARLY_RETURN records it",
		"AppendAudit":            "is the audit event",
		"UpsertUser":             "a cache of job-server's user records",
		"EnqueueNotification":    "the outbox: the status change queuing it writes its own event in the same transaction",
		"UpdateNotification":     "the outbox's bookkeeping; an unknown outcome is audited in the same transaction",
	}
	evType := reflect.TypeOf(airlock.AuditEvent{})
	tx := reflect.TypeOf((*service.Tx)(nil)).Elem()
	checked := 0
	for i := range tx.NumMethod() {
		m := tx.Method(i)
		mutating := false
		for _, p := range []string{"Insert", "Update", "Upsert", "Delete", "Set", "Append", "Hide", "Record", "Enqueue"} {
			mutating = mutating || strings.HasPrefix(m.Name, p)
		}
		if !mutating {
			continue
		}
		checked++
		takes := false
		for j := range m.Type.NumIn() {
			takes = takes || m.Type.In(j) == evType
		}
		if _, ok := exempt[m.Name]; ok {
			continue
		}
		assert.True(t, takes, "Tx.%s changes state but takes no airlock.AuditEvent", m.Name)
	}
	assert.GreaterOrEqual(t, checked, 10)
}

// Only a zero Policy is replaced by the default: a policy that sets nothing but a size limit
// keeps its limit (it was silently dropped).
func TestAirlock_NewKeepsANonZeroPolicy(t *testing.T) {
	assert.Equal(t, airlock.DefaultPolicy(), service.New(service.Config{}).Policy())
	p := airlock.Policy{MaxFileSize: 10}
	assert.Equal(t, p, service.New(service.Config{Policy: p}).Policy())
}
