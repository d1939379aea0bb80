package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/service"
)

// viewBodies keeps the JSON answer of GET /requests/{id} per request and viewer: what
// contract.FromRequestView made of one view for one user, so that the same user asking again
// about an unchanged request gets the same bytes without the visibility rules, decisions,
// actions and encoding being worked out again.
//
// An answer is one user's (views are per user: blinding), so it is kept under the request
// and the username, and used only for the same user record (roles and grants compared), the
// same aggregate (the service hands out one shared, read-only aggregate per state of a
// request: a change in the database is a new one) and the same workspace status of its
// files. The contract's answer depends on nothing else (the policy is the server's).
type viewBodies struct {
	mu sync.Mutex
	m  map[viewKey]*viewBody
}

type viewKey struct{ request, user string }

type viewBody struct {
	request *airlock.ReleaseRequest
	viewer  airlock.User
	status  map[string]airlock.WorkspaceFileStatus
	size    map[string]int64
	body    []byte
}

// maxViewBodies bounds the answers kept; past it they are dropped and made again.
const maxViewBodies = 4096

// body returns the JSON answer for v, from the cache when v is what it was made from.
func (c *viewBodies) body(v service.RequestView) ([]byte, error) {
	k := viewKey{v.Request.ID, v.Viewer.Username}
	c.mu.Lock()
	e := c.m[k]
	c.mu.Unlock()
	if e != nil && e.request == v.Request && maps.Equal(e.status, v.WorkspaceStatus) &&
		maps.Equal(e.size, v.WorkspaceSize) && reflect.DeepEqual(e.viewer, v.Viewer) {
		return e.body, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(contract.FromRequestView(v)); err != nil {
		return nil, err
	}
	e = &viewBody{request: v.Request, viewer: v.Viewer, status: v.WorkspaceStatus, size: v.WorkspaceSize, body: buf.Bytes()}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxViewBodies {
		c.m = map[viewKey]*viewBody{}
	}
	c.m[k] = e
	c.mu.Unlock()
	return e.body, nil
}

// writeRequestBody answers the request view v (GET /requests/{id}) through the cache.
func (s *Server) writeRequestBody(w http.ResponseWriter, r *http.Request, v service.RequestView, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := s.views.body(v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
