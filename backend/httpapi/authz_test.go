package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// The authorisation matrix: every route × every kind of user × every request status that
// matters, each cell answered with the status and error code the rules of docs/api.md and
// docs/decisions.md give. The expectations below restate those rules in plain terms (they
// do not call the domain's functions); the scenarios are generated from them. A route the
// server registers but the matrix does not cover fails the test.

// who is the kind of user making a call.
type who string

const (
	anon          who = "anonymous"
	outsider      who = "outsider"       // role on another workspace only
	author        who = "author"         // the researcher who wrote the request
	collaborator  who = "collaborator"   // another role holder on the workspace
	copilot       who = "copilot"        // copilots the workspace: views, no role
	checker       who = "checker"        // output checker, no role, not a reviewer yet
	checkerAuthor who = "checker-author" // output checker with a role, on their own request
	readonly      who = "readonly"       // read-only access to every workspace
)

// Users in the order they act on a fixture: the ones whose calls succeed come last, so a
// fixture is rebuilt as rarely as possible.
var everyone = []who{anon, outsider, copilot, readonly, collaborator, checkerAuthor, author, checker}

var usernameOf = map[who]string{
	outsider: "outsider", author: "researcher", collaborator: "collaborator", copilot: "copilot",
	checker: "checker3", checkerAuthor: "checker-researcher", readonly: "readonly",
}

// cell is one scenario: who calls, and the status of the request (empty for routes that are
// not about a request).
type cell struct {
	who    who
	status airlock.Status
}

func (c cell) isAuthor() bool  { return c.who == author || c.who == checkerAuthor }
func (c cell) isChecker() bool { return c.who == checker } // an output checker who is not the author
func (c cell) hasRole() bool {
	return c.who == author || c.who == collaborator || c.who == checkerAuthor
}
func (c cell) editable() bool {
	return c.status == airlock.StatusPending || c.status == airlock.StatusReturned
}
func (c cell) underReview() bool {
	switch c.status {
	case airlock.StatusSubmitted, airlock.StatusPartiallyReviewed, airlock.StatusReviewed:
		return true
	}
	return false
}

// outcome is what a cell must answer.
type outcome struct {
	status int
	code   airlock.Code
}

var (
	ok200       = outcome{200, ""}
	ok201       = outcome{201, ""}
	ok204       = outcome{204, ""}
	okAny       = outcome{-2, ""} // 200 or 201 (get-or-create)
	unauth      = outcome{401, airlock.CodeUnauthenticated}
	denied      = outcome{403, airlock.CodePermissionDenied}
	notFound    = outcome{404, airlock.CodeNotFound}
	badState    = outcome{409, airlock.CodeInvalidState}
	invalidCall = outcome{400, airlock.CodeInvalid}
)

// onRequest wraps a rule for routes about the fixture request: anonymous callers are
// unauthenticated, users who may not view the workspace get not_found.
func onRequest(rule func(c cell) outcome) func(c cell) outcome {
	return func(c cell) outcome {
		switch c.who {
		case anon:
			return unauth
		case outsider:
			return notFound
		}
		return rule(c)
	}
}

// loggedIn answers unauthenticated for anonymous callers, else rule.
func loggedIn(rule func(c cell) outcome) func(c cell) outcome {
	return func(c cell) outcome {
		if c.who == anon {
			return unauth
		}
		return rule(c)
	}
}

func always(o outcome) func(c cell) outcome { return func(cell) outcome { return o } }

// authorEdit: the author edits the request while it is with them (PENDING, RETURNED);
// anyone else may not; the author at another time is refused for the state.
func authorEdit(success outcome) func(c cell) outcome {
	return onRequest(func(c cell) outcome {
		switch {
		case !c.isAuthor():
			return denied
		case c.editable():
			return success
		}
		return badState
	})
}

// commentRule: role holders comment while the request is with the author; output checkers
// who are not the author while it is under review; nobody once it is closed
// (docs/decisions.md §3).
func commentRule(c cell) outcome {
	switch {
	case c.editable() && c.hasRole(), c.underReview() && c.isChecker():
		return ok201
	case c.editable(), c.underReview():
		return denied
	}
	return badState
}

// ownCommentRule is for the author's PUBLIC comment written while the request was PENDING
// (turn 0): only role holders see it during that turn; from the next turn on, or once the
// request is closed, everyone who views the request does. Only its writer may change it,
// and only while they may comment.
func ownCommentRule(success outcome) func(c cell) outcome {
	return onRequest(func(c cell) outcome {
		if c.status == airlock.StatusPending && !c.hasRole() {
			return notFound
		}
		switch {
		case !c.isAuthor():
			return denied
		case c.editable():
			return success
		case c.underReview():
			return denied // the author does not comment while the request is under review
		}
		return badState
	})
}

// reviewerRule: output checkers who are not the author act while the request is under
// review; others may not; checkers at another time are refused for the state.
func reviewerRule(success outcome) func(c cell) outcome {
	return onRequest(func(c cell) outcome {
		switch {
		case !c.isChecker():
			return denied
		case c.underReview():
			return success
		}
		return badState
	})
}

// transitionRule: a status change only exists from some statuses (invalid_state for anyone
// otherwise); where it exists, only the right user makes it.
func transitionRule(from []airlock.Status, mayAct func(c cell) bool, success outcome) func(c cell) outcome {
	return onRequest(func(c cell) outcome {
		switch {
		case !slices.Contains(from, c.status):
			return badState
		case !mayAct(c):
			return denied
		}
		return success
	})
}

var (
	allStatuses = []airlock.Status{
		airlock.StatusPending, airlock.StatusSubmitted, airlock.StatusPartiallyReviewed, airlock.StatusReviewed,
		airlock.StatusReturned, airlock.StatusApproved, airlock.StatusRejected, airlock.StatusReleased, airlock.StatusWithdrawn,
	}
	noStatus = []airlock.Status{""}
)

// fixture is one request to run calls against, with what the calls need to name.
type fixture struct {
	id        string
	ws        string
	file      string // an output CSV on the request
	commentID string // the author's public comment written while PENDING
	n         int    // a counter for unique names
}

// matrixRoute is one row of the matrix: a route pattern (as registered), possibly with a
// variant of its query, and the rule for every cell.
type matrixRoute struct {
	pattern  string
	variant  string
	statuses []airlock.Status
	mutates  bool
	path     func(f *fixture) string
	body     func(f *fixture) any
	// fresh: the call needs a client of its own (login and logout change the session).
	fresh bool
	rule  func(c cell) outcome
}

func (m matrixRoute) name() string {
	if m.variant != "" {
		return m.pattern + " [" + m.variant + "]"
	}
	return m.pattern
}

func (m matrixRoute) method() string { return strings.SplitN(m.pattern, " ", 2)[0] }

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

func reqPath(suffix string) func(*fixture) string {
	return func(f *fixture) string { return "/api/v1/requests/" + f.id + suffix }
}

func matrixRoutes() []matrixRoute {
	wsPath := "/api/v1/workspaces/" + testenv.Workspace
	viewer := onRequest(always(ok200))
	checkersOnly := loggedIn(func(c cell) outcome {
		if c.who == checker || c.who == checkerAuthor {
			return ok200
		}
		return denied
	})
	// "All workspaces": the users who may view any workspace without a role.
	viewAnyWorkspace := loggedIn(func(c cell) outcome {
		if c.who == checker || c.who == checkerAuthor || c.who == readonly {
			return ok200
		}
		return denied
	})
	return []matrixRoute{
		// Authentication and operations.
		{pattern: "POST /api/v1/auth/login", statuses: noStatus, fresh: true, path: fixed("/api/v1/auth/login"), rule: always(ok200)},
		{pattern: "POST /api/v1/auth/logout", statuses: noStatus, fresh: true, path: fixed("/api/v1/auth/logout"), rule: loggedIn(always(ok204))},
		{pattern: "GET /api/v1/auth/me", statuses: noStatus, path: fixed("/api/v1/auth/me"), rule: loggedIn(always(ok200))},
		{pattern: "GET /api/v1/config", statuses: noStatus, path: fixed("/api/v1/config"), rule: always(ok200)},
		{pattern: "GET /api/v1/events", statuses: noStatus, path: fixed("/api/v1/events"), rule: loggedIn(always(invalidCall))},
		{pattern: "GET /healthz", statuses: noStatus, path: fixed("/healthz"), rule: always(ok200)},
		{pattern: "GET /metrics", statuses: noStatus, path: fixed("/metrics"), rule: always(ok200)},

		// Workspaces.
		{pattern: "GET /api/v1/workspaces", statuses: noStatus, path: fixed("/api/v1/workspaces"), rule: loggedIn(always(ok200))},
		{pattern: "GET /api/v1/all-workspaces", statuses: noStatus, path: fixed("/api/v1/all-workspaces?q=work"), rule: viewAnyWorkspace},
		{pattern: "GET /api/v1/workspaces/{ws}", statuses: noStatus, path: fixed(wsPath), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/tree", statuses: noStatus, path: fixed(wsPath + "/tree"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/tree/{path...}", statuses: noStatus, path: fixed(wsPath + "/tree/output"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/files/{path...}", statuses: noStatus, path: fixed(wsPath + "/files/output/ws.csv"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/content/{path...}", statuses: noStatus, path: fixed(wsPath + "/content/output/ws.csv"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/table/{path...}", statuses: noStatus, path: fixed(wsPath + "/table/output/ws.csv"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/summary/{path...}", statuses: noStatus, path: fixed(wsPath + "/summary/output/ws.csv"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/log/{path...}", statuses: noStatus, path: fixed(wsPath + "/log/output/ws.csv"), rule: viewer},
		{pattern: "GET /api/v1/workspaces/{ws}/acro/{path...}", statuses: noStatus, path: fixed(wsPath + "/acro/output/ws.csv"), rule: viewer},

		// Request lists and creation.
		{pattern: "GET /api/v1/requests", statuses: noStatus, path: fixed("/api/v1/requests"), rule: loggedIn(always(ok200))},
		{pattern: "GET /api/v1/requests", variant: "workspace", statuses: noStatus, path: fixed("/api/v1/requests?workspace=" + testenv.Workspace), rule: onRequest(always(ok200))},
		{pattern: "GET /api/v1/requests", variant: "scope=review", statuses: noStatus, path: fixed("/api/v1/requests?scope=review"), rule: checkersOnly},
		{pattern: "POST /api/v1/requests", statuses: noStatus, mutates: true, path: fixed("/api/v1/requests"),
			body: func(*fixture) any { return map[string]string{"workspace": testenv.Workspace} },
			rule: onRequest(func(c cell) outcome {
				if c.hasRole() {
					return okAny
				}
				return denied
			})},

		// One request.
		{pattern: "GET /api/v1/requests/{id}", statuses: allStatuses, path: reqPath(""), rule: viewer},
		{pattern: "GET /api/v1/requests/{id}/activity", statuses: allStatuses, path: reqPath("/activity"), rule: viewer},
		{pattern: "GET /api/v1/requests/{id}/content/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/content/" + f.file)(f) }, rule: viewer},
		{pattern: "GET /api/v1/requests/{id}/content/{path...}", variant: "download", statuses: allStatuses,
			path: func(f *fixture) string { return reqPath("/content/"+f.file)(f) + "?download=1" },
			// docs/decisions.md §6: output checkers who are not the author, once submitted.
			rule: onRequest(func(c cell) outcome {
				switch {
				case !c.isChecker():
					return denied
				case c.status == airlock.StatusPending, c.status == airlock.StatusWithdrawn: // withdrawn unsubmitted
					return badState
				}
				return ok200
			})},
		{pattern: "GET /api/v1/requests/{id}/table/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/table/" + f.file)(f) }, rule: viewer},
		{pattern: "GET /api/v1/requests/{id}/summary/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/summary/" + f.file)(f) }, rule: viewer},
		{pattern: "GET /api/v1/requests/{id}/log/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/log/" + f.file)(f) }, rule: viewer},
		// The fixtures' files were never updated after a review: whoever may view the file
		// is told there is nothing to compare (a file that was is in changes_test.go).
		{pattern: "GET /api/v1/requests/{id}/changes/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/changes/" + f.file)(f) }, rule: onRequest(always(badState))},
		{pattern: "GET /api/v1/requests/{id}/acro/{path...}", statuses: allStatuses, path: func(f *fixture) string { return reqPath("/acro/" + f.file)(f) }, rule: viewer},

		{pattern: "POST /api/v1/requests/{id}/files", statuses: allStatuses, mutates: true, path: reqPath("/files"),
			body: func(f *fixture) any {
				return map[string]any{"group": "more", "files": []map[string]string{{"path": fmt.Sprintf("output/extra-%d.csv", f.n), "fileType": "OUTPUT"}}}
			},
			rule: authorEdit(ok201)},
		// Nothing was changed on disk: the author's update is refused for the state of the file.
		{pattern: "POST /api/v1/requests/{id}/files/update", statuses: allStatuses, mutates: true, path: reqPath("/files/update"),
			body: func(f *fixture) any { return map[string]any{"paths": []string{f.file}} }, rule: authorEdit(badState)},
		{pattern: "POST /api/v1/requests/{id}/files/withdraw", statuses: allStatuses, mutates: true, path: reqPath("/files/withdraw"),
			body: func(f *fixture) any { return map[string]any{"paths": []string{f.file}} }, rule: authorEdit(ok200)},
		{pattern: "POST /api/v1/requests/{id}/files/properties", statuses: allStatuses, mutates: true, path: reqPath("/files/properties"),
			body: func(f *fixture) any { return map[string]any{"paths": []string{f.file}, "group": "moved"} }, rule: authorEdit(ok200)},
		{pattern: "PATCH /api/v1/requests/{id}/groups/{group}", statuses: allStatuses, mutates: true, path: reqPath("/groups/" + testenv.DefaultGroup),
			body: func(*fixture) any { return map[string]string{"context": "new context", "controls": "new controls"} }, rule: authorEdit(ok200)},
		{pattern: "POST /api/v1/requests/{id}/groups/{group}/comments", statuses: allStatuses, mutates: true, path: reqPath("/groups/" + testenv.DefaultGroup + "/comments"),
			body: func(*fixture) any { return map[string]string{"text": "a comment"} }, rule: onRequest(commentRule)},
		{pattern: "DELETE /api/v1/requests/{id}/comments/{commentId}", statuses: allStatuses, mutates: true,
			path: func(f *fixture) string { return reqPath("/comments/" + f.commentID)(f) }, rule: ownCommentRule(ok200)},
		{pattern: "POST /api/v1/requests/{id}/comments/{commentId}/publish", statuses: allStatuses, mutates: true,
			path: func(f *fixture) string { return reqPath("/comments/" + f.commentID + "/publish")(f) },
			rule: ownCommentRule(badState)}, // it is public already
		{pattern: "POST /api/v1/requests/{id}/votes", statuses: allStatuses, mutates: true, path: reqPath("/votes"),
			body: func(f *fixture) any { return map[string]any{"paths": []string{f.file}, "vote": "APPROVED"} }, rule: reviewerRule(ok200)},
		{pattern: "POST /api/v1/requests/{id}/submit", statuses: allStatuses, mutates: true, path: reqPath("/submit"), rule: authorEdit(ok200)},
		{pattern: "POST /api/v1/requests/{id}/withdraw", statuses: allStatuses, mutates: true, path: reqPath("/withdraw"),
			rule: transitionRule([]airlock.Status{airlock.StatusPending, airlock.StatusReturned}, cell.isAuthor, ok200)},
		// The checker has voted on nothing: their review cannot be submitted yet.
		{pattern: "POST /api/v1/requests/{id}/review", statuses: allStatuses, mutates: true, path: reqPath("/review"), rule: reviewerRule(badState)},
		{pattern: "POST /api/v1/requests/{id}/return", statuses: allStatuses, mutates: true, path: reqPath("/return"), rule: reviewerRule(ok200)},
		{pattern: "POST /api/v1/requests/{id}/reject", statuses: allStatuses, mutates: true, path: reqPath("/reject"),
			rule: transitionRule([]airlock.Status{airlock.StatusReviewed}, cell.isChecker, ok200)},
		// From REVIEWED with every file approved; again from APPROVED (a retry,
		// docs/decisions.md §4).
		{pattern: "POST /api/v1/requests/{id}/release", statuses: allStatuses, mutates: true, path: reqPath("/release"),
			rule: transitionRule([]airlock.Status{airlock.StatusReviewed, airlock.StatusApproved}, cell.isChecker, ok200)},

		// Audit.
		{pattern: "GET /api/v1/audit", statuses: noStatus, path: fixed("/api/v1/audit"), rule: checkersOnly},
	}
}

// matrix holds the environment, one logged-in client per user and the current fixtures.
type matrix struct {
	t        *testing.T
	h        *harness
	clients  map[who]*client
	fixtures map[string]*fixture // by author username and status
	counter  int
	built    int
}

func (m *matrix) user(name string) airlock.User {
	for _, u := range apiUsers {
		if u.Username == name {
			return u
		}
	}
	m.t.Fatalf("no user %s", name)
	return airlock.User{}
}

// closeActive force-closes the author's active requests in the workspace, so a new one
// can be made (one current request per author and workspace).
func (m *matrix) closeActive(authorName string) {
	env := m.h.env
	for _, r := range env.Requests(m.t, airlock.RequestFilter{Workspace: testenv.Workspace, Author: authorName}) {
		if r.Status.IsActive() {
			require.NoError(m.t, env.Svc.ForceClose(testenv.Ctx(), airlock.SystemUser(), r.ID, airlock.StatusWithdrawn, "matrix"))
		}
	}
}

// build makes a request of authorName at status through the real service: an output CSV
// and a supporting file, context and controls, a public comment by the author while
// PENDING, then the real transitions (reviews by checker1 and checker2, who approve).
func (m *matrix) build(authorName string, status airlock.Status) *fixture {
	t, env, ctx := m.t, m.h.env, testenv.Ctx()
	m.closeActive(authorName)
	m.counter++
	m.built++
	au := m.user(authorName)
	// Each author has files of their own: one author's fixtures never touch the other's.
	dir := "output/" + authorName
	f := &fixture{ws: testenv.Workspace, file: dir + "/file.csv"}
	v, _, err := env.Svc.GetOrCreateRequest(ctx, au, f.ws)
	require.NoError(t, err)
	f.id = v.Request.ID
	// Unique content: never "already released" from an earlier fixture.
	env.WriteFile(t, f.ws, f.file, fmt.Sprintf("region,count\nNorth,%d\n", 100+m.counter*5))
	env.WriteFile(t, f.ws, dir+"/notes.txt", fmt.Sprintf("notes %d\n", m.counter))
	_, err = env.Svc.AddFiles(ctx, au, f.id, testenv.DefaultGroup, []service.FileSpec{{Path: f.file, FileType: airlock.FileTypeOutput}, {Path: dir + "/notes.txt", FileType: airlock.FileTypeSupporting}})
	require.NoError(t, err)
	_, err = env.Svc.EditGroup(ctx, au, f.id, testenv.DefaultGroup, "context", "controls")
	require.NoError(t, err)
	c, err := env.Svc.AddComment(ctx, au, f.id, testenv.DefaultGroup, "the author's note", airlock.VisibilityPublic)
	require.NoError(t, err)
	f.commentID = c.ID
	switch status {
	case airlock.StatusPending:
	case airlock.StatusWithdrawn:
		_, err = env.Svc.WithdrawRequest(ctx, au, f.id)
		require.NoError(t, err)
	default:
		_, err = env.Svc.Submit(ctx, au, f.id)
		require.NoError(t, err)
		if status != airlock.StatusSubmitted {
			testenv.Review(t, env, testenv.Checker1(), f.id, nil)
		}
		if status != airlock.StatusSubmitted && status != airlock.StatusPartiallyReviewed {
			testenv.Review(t, env, testenv.Checker2(), f.id, nil)
		}
		switch status {
		case airlock.StatusReturned:
			testenv.ReturnRequest(t, env, testenv.Checker1(), f.id)
		case airlock.StatusRejected:
			_, err = env.Svc.Reject(ctx, testenv.Checker1(), f.id)
		case airlock.StatusApproved, airlock.StatusReleased:
			_, err = env.Svc.Release(ctx, testenv.Checker1(), f.id)
			if status == airlock.StatusReleased {
				testenv.UploadAll(t, env, f.id)
			}
		}
		require.NoError(t, err)
	}
	require.Equal(t, status, env.Request(t, f.id).Status)
	return f
}

// fixtureFor returns the current fixture the caller acts on: the checker-author's own
// request for them, else the researcher's.
func (m *matrix) fixtureFor(c cell) *fixture {
	authorName := "researcher"
	if c.who == checkerAuthor {
		authorName = "checker-researcher"
	}
	if c.status == "" {
		return &fixture{}
	}
	key := authorName + "/" + string(c.status)
	f := m.fixtures[key]
	if f == nil {
		f = m.build(authorName, c.status)
		m.fixtures[key] = f
	}
	m.counter++
	f.n = m.counter
	if w := "output/extra-" + fmt.Sprint(f.n) + ".csv"; true {
		m.h.env.WriteFile(m.t, f.ws, w, "a,b\n1,2\n")
	}
	return f
}

// spoil drops a fixture after a call changed it.
func (m *matrix) spoil(c cell) {
	for key := range m.fixtures {
		if strings.HasSuffix(key, "/"+string(c.status)) {
			delete(m.fixtures, key)
		}
	}
}

func (m *matrix) clientFor(w who, fresh bool) *client {
	if w == anon {
		return m.h.client(m.t)
	}
	if fresh {
		return m.h.login(m.t, usernameOf[w])
	}
	return m.clients[w]
}

func TestAuthorisationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the full matrix builds a few hundred requests")
	}
	h := newAPI(t)
	h.env.WriteFile(t, testenv.Workspace, "output/ws.csv", "region,count\nNorth,100\n")
	m := &matrix{t: t, h: h, clients: map[who]*client{}, fixtures: map[string]*fixture{}}
	for _, w := range everyone {
		if w != anon {
			m.clients[w] = h.login(t, usernameOf[w])
		}
	}
	routes := matrixRoutes()

	t.Run("every registered route is in the matrix", func(t *testing.T) {
		covered := map[string]bool{}
		for _, r := range routes {
			covered[r.pattern] = true
		}
		for _, p := range h.server.Routes() {
			assert.True(t, covered[p], "route %s has no row in the authorisation matrix", p)
		}
		for p := range covered {
			assert.Contains(t, h.server.Routes(), p, "the matrix names a route the server does not register")
		}
	})

	// Status by status (one active request per author at a time), route by route, user by user.
	cells := 0
	for _, st := range append(noStatus, allStatuses...) {
		for _, rt := range routes {
			if !slices.Contains(rt.statuses, st) {
				continue
			}
			for _, w := range everyone {
				c := cell{who: w, status: st}
				want := rt.rule(c)
				name := fmt.Sprintf("%s/%s/%s", rt.name(), orNone(st), w)
				f := m.fixtureFor(c)
				var before *airlock.ReleaseRequest
				var auditBefore int
				if rt.mutates && f.id != "" {
					before = h.env.Request(t, f.id)
					auditBefore = len(h.env.RequestAudit(t, f.id))
				}
				cl := m.clientFor(w, rt.fresh)
				var body any
				if rt.body != nil {
					body = rt.body(f)
				}
				if rt.pattern == "POST /api/v1/auth/login" {
					u := usernameOf[w]
					if u == "" {
						u = "researcher"
					}
					body = map[string]string{"username": u, "token": u + "-token"}
				}
				resp := cl.do(rt.method(), rt.path(f), body, nil)
				cells++
				switch want.status {
				case okAny.status:
					if !assert.Contains(t, []int{200, 201}, resp.status, "%s: %s", name, resp.body) {
						continue
					}
				default:
					if !assert.Equal(t, want.status, resp.status, "%s: %s", name, resp.body) {
						continue
					}
					assert.Equal(t, want.code, resp.errorCode(), "%s: %s", name, resp.body)
				}
				if rt.mutates && resp.status < 300 {
					m.spoil(c)
				}
				if before != nil && resp.status >= 400 {
					assert.True(t, reflect.DeepEqual(before, h.env.Request(t, f.id)), "%s: a refused call changed the request", name)
					assert.Equal(t, auditBefore, len(h.env.RequestAudit(t, f.id)), "%s: a refused call wrote audit events", name)
				}
			}
		}
	}
	t.Logf("authorisation matrix: %d routes/variants, %d cells, %d requests built", len(routes), cells, m.built)
}

func orNone(s airlock.Status) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

var _ = http.StatusOK
