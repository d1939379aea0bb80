package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// apiUsers are the users of the API tests' users file (token "<username>-token"): the
// harness's users plus a third output checker who never reviews in the factories.
var apiUsers = append(append([]airlock.User(nil), harnessUsers...), testenv.Checker3())

// newAPI is the real API on a real listener over the test environment: real SQLite file,
// workspace folders, request file store, service, authenticator, live hub and CSV engine.
// The service is the environment's own (so the factories and the API share one backend);
// opts configure the environment (its policy, ...).
func newAPI(t *testing.T, opts ...testenv.Option) *harness {
	t.Helper()
	env := testenv.NewEnv(t, opts...)
	h := &harness{env: env, clock: env.Clock, svc: env.Svc}
	uf, err := auth.LoadUsersFile(usersFileJSON(t, apiUsers))
	require.NoError(t, err)
	h.auth = auth.New(auth.Config{Store: env.Store, Users: uf, Clock: h.clock.Now})
	h.hub = live.NewHub(live.Config{})
	tables := render.NewTables(render.TablesConfig{})
	h.server = NewServer(Deps{Service: env.Svc, Auth: h.auth, Hub: h.hub, Clock: h.clock.Now, Tables: tables})
	h.srv = httptest.NewServer(h.server)
	t.Cleanup(func() {
		h.hub.Close()
		h.srv.Close()
		tables.Close()
	})
	return h
}

// ok asserts a 2xx answer and decodes it into v (when not nil).
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// want asserts the status and, for errors, the error code.
func (r response) want(t testing.TB, status int, code airlock.Code) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	if code != "" {
		require.Equal(t, code, r.errorCode(), "body: %s", r.body)
	}
}

// request fetches and decodes request id as c's user sees it.
func (c *client) request(id string) contract.Request {
	c.t.Helper()
	r := c.do("GET", "/api/v1/requests/"+id, nil, nil)
	r.want(c.t, 200, "")
	var out contract.Request
	r.decode(c.t, &out)
	return out
}

// requestJSON fetches request id as raw JSON, to assert what is absent.
func (c *client) requestJSON(id string) map[string]any {
	c.t.Helper()
	r := c.do("GET", "/api/v1/requests/"+id, nil, nil)
	r.want(c.t, 200, "")
	var out map[string]any
	r.decode(c.t, &out)
	return out
}

func fileOf(r contract.Request, path string) contract.File {
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.Path == path {
				return f
			}
		}
	}
	return contract.File{}
}

func groupOf(r contract.Request, name string) contract.Group {
	for _, g := range r.Groups {
		if g.Name == name {
			return g
		}
	}
	return contract.Group{}
}

var _ = service.ScopeReview

// errorMessage is the message of an error answer.
func (r response) errorMessage() string {
	var eb contract.ErrorBody
	_ = json.Unmarshal(r.body, &eb)
	return eb.Error.Message
}
