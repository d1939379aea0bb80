package service_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// assertChanged asserts that exactly one thin request.changed event was published since the
// recorder was last reset, for request id in status st.
func assertChanged(t *testing.T, env *testenv.Env, id string, st airlock.Status) {
	t.Helper()
	evs := env.Pub.Events()
	if assert.Len(t, evs, 1, "published events") {
		assert.Equal(t, airlock.Event{
			Type: airlock.EventRequestChanged, RequestID: id, Workspace: testenv.WorkspaceOf(testenv.Researcher()), Status: st,
		}, evs[0])
	}
}

// assertNothingPublished asserts that no event and no notification went out since the
// recorders were last reset.
func assertNothingPublished(t *testing.T, env *testenv.Env) {
	t.Helper()
	assert.Empty(t, env.Pub.Events(), "published events")
	assert.Empty(t, env.Notes.All(), "notifications")
}

// reset forgets recorded events and notifications.
func reset(env *testenv.Env) {
	env.Pub.Reset()
	env.Notes.Reset()
}

// lastAudit returns the newest n audit events of request id, oldest first.
func lastAudit(t *testing.T, env *testenv.Env, id string, n int) []airlock.AuditEvent {
	t.Helper()
	evs := env.RequestAudit(t, id)
	require.GreaterOrEqual(t, len(evs), n)
	return evs[len(evs)-n:]
}

// assertAudit checks the fields of an audit event that tests care about.
func assertAudit(t *testing.T, ev airlock.AuditEvent, typ airlock.AuditType, user, path string, extra map[string]string) {
	t.Helper()
	assert.Equal(t, typ, ev.Type)
	assert.Equal(t, user, ev.User, "%s actor", typ)
	assert.Equal(t, path, ev.Path, "%s path", typ)
	for k, v := range extra {
		assert.Equal(t, v, ev.Extra[k], "%s extra %s", typ, k)
	}
}

// notes returns the recorded notifications' event types.
func noteTypes(env *testenv.Env) []string { return env.Notes.Types() }
