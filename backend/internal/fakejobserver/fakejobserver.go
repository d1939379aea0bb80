// Package fakejobserver is a strict stand-in for job-server's side of the release,
// notification and login protocol (docs/reference/domain.md §7.1, §7.3, §7.5, §8), served
// on a real listener. It is a peer, not one of our parts: it checks every header and body
// it receives, answers as job-server does (status codes, bodies and headers as job-server's
// own views produce them), keeps what was uploaded, and can be switched to fail, hang or
// deny. Every protocol violation it sees is recorded and fails the test at cleanup.
//
// Like job-server it knows its users and workspaces: a test registers them (AddUser,
// AddWorkspace). As job-server does, it answers
//   - 403 (never 401) to a missing or wrong backend token, and to a release call whose
//     OS-User is not a user allowed to release;
//   - 500 to an event naming an unknown user, author or workspace, and to a repeated
//     create-release for an existing release with other files (ReleaseFilesMismatch);
//   - create-release with the Airlock request id as the release id, accepting an empty
//     file list and refusing files over SizeLimit (400);
//   - an upload with an empty 201 carrying File-Id and Location;
//   - authenticate/authorise with the user's document, 403 for a user who may not log in,
//     404 (authorise) for a user job-server does not know.
//
// Events ignore OS-User, as job-server does.
package fakejobserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Endpoint names one of the calls.
type Endpoint string

const (
	CreateRelease Endpoint = "create-release"
	Upload        Endpoint = "upload"
	Events        Endpoint = "events"
	Authenticate  Endpoint = "authenticate"
	Authorise     Endpoint = "authorise"
)

// DefaultSizeLimit is job-server's default RELEASE_FILE_SIZE_LIMIT: 16 MiB.
const DefaultSizeLimit = 16 << 20

// File is a file of a release as job-server knows it.
type File struct {
	Name   string
	Size   int64
	SHA256 string
	Date   time.Time
	// Content is set once uploaded; Stored counts the times it was stored (must stay 1).
	Content  []byte
	Uploaded bool
	Stored   int
	// Refused counts upload calls answered "already been uploaded".
	Refused int
	// UploadedBy is the OS-User of the storing call.
	UploadedBy string
	// ID is the file id job-server answered in File-Id once stored.
	ID string
}

// Release is one release created through the API.
type Release struct {
	ID        string
	Workspace string
	AirlockID string
	CreatedBy string
	Files     map[string]*File
	// Order is the file names in the order listed when it was created.
	Order []string
	// Calls counts create-release calls answered with this release.
	Calls int
	// Mismatches counts repeated create-release calls refused because they listed other
	// files (job-server's ReleaseFilesMismatch, a 500).
	Mismatches int
}

// user is a user job-server knows.
type user struct {
	doc map[string]any
	// revoked: job-server knows the user but no longer lets them log in or release
	// (no backend membership).
	revoked bool
	// tokens are single-use login tokens issued for the user.
	tokens map[string]bool
}

// Event is one notification received.
type Event struct {
	OSUser string
	Body   map[string]any
	// Raw is the body exactly as received.
	Raw string
	// At is when the stand-in handled it (for latency figures).
	At time.Time
}

type fault struct {
	failN      int
	failStatus int
	deny       bool
	hang       bool
	hangAfter  bool // hang after handling the call (an upload stored, an event handled): the answer is lost
	eventsSt   string
}

// Server is the fake job-server.
type Server struct {
	// URL is the API endpoint to configure, e.g. http://127.0.0.1:1234/api/v2.
	URL   string
	Token string
	// SizeLimit is job-server's RELEASE_FILE_SIZE_LIMIT (default DefaultSizeLimit); set it
	// before the first call.
	SizeLimit int64

	srv *httptest.Server

	mu         sync.Mutex
	releases   map[string]*Release // by release id
	byAirlock  map[string]string   // airlock id -> release id
	events     []Event
	violations []string
	faults     map[Endpoint]*fault
	calls      map[Endpoint]int
	nextFile   int
	users      map[string]*user // by username
	emails     map[string]string
	workspaces map[string]bool
	failPaths  map[string]int // upload of this file name answers with this status
	hangRel    chan struct{}
	hanging    chan Endpoint
}

// New starts a fake job-server on a real loopback listener, accepting token; it is closed,
// and checked for protocol violations, when the test ends.
func New(t testing.TB, token string) *Server {
	s := &Server{
		Token:      token,
		SizeLimit:  DefaultSizeLimit,
		releases:   map[string]*Release{},
		byAirlock:  map[string]string{},
		users:      map[string]*user{},
		emails:     map[string]string{},
		workspaces: map[string]bool{},
		faults: map[Endpoint]*fault{CreateRelease: {}, Upload: {}, Events: {},
			Authenticate: {}, Authorise: {}},
		calls:     map[Endpoint]int{},
		failPaths: map[string]int{},
		hangRel:   make(chan struct{}),
		hanging:   make(chan Endpoint, 64),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v2/releases/workspace/{workspace}", s.handleCreateRelease)
	mux.HandleFunc("/api/v2/releases/release/{id}", s.handleUpload)
	mux.HandleFunc("/api/v2/airlock/events/", s.handleEvent)
	mux.HandleFunc("/api/v2/releases/authenticate", s.handleAuthenticate)
	mux.HandleFunc("/api/v2/releases/authorise", s.handleAuthorise)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.violation("unexpected call %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/v2"
	t.Cleanup(func() {
		s.Unhang()
		s.srv.CloseClientConnections()
		s.srv.Close()
		for _, v := range s.Violations() {
			t.Errorf("fake job-server: protocol violation: %s", v)
		}
	})
	return s
}

// AddWorkspace registers workspaces job-server knows.
func (s *Server) AddWorkspace(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.workspaces[n] = true
	}
}

// AddUser registers (or replaces) a user who may log in and release through this backend,
// with the document authenticate and authorise answer (its "username" is set to username;
// an "email" string also lets the user log in by email). Its fields are job-server's
// level-4 user fields: fullname, workspaces, copiloted_workspaces, output_checker,
// readonly_access.
func (s *Server) AddUser(username string, doc map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := map[string]any{"fullname": nil, "workspaces": map[string]any{}, "copiloted_workspaces": map[string]any{},
		"output_checker": false, "readonly_access": false}
	for k, v := range doc {
		if k != "email" {
			d[k] = v
		}
	}
	d["username"] = username
	u := &user{doc: d, tokens: map[string]bool{}}
	if old := s.users[username]; old != nil {
		u.tokens = old.tokens
	}
	s.users[username] = u
	if e, ok := doc["email"].(string); ok && e != "" {
		s.emails[e] = username
	}
}

// RevokeUser keeps the user known but takes their access away (job-server's "does not have
// access to any backends"): logins and authorise answer 403, release calls as them 403.
func (s *Server) RevokeUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[username]; u != nil {
		u.revoked = true
	}
}

// RemoveUser forgets a user: authorise answers 404, events naming them 500.
func (s *Server) RemoveUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, username)
	for e, n := range s.emails {
		if n == username {
			delete(s.emails, e)
		}
	}
}

// IssueLoginToken gives a known user a single-use login token for authenticate.
func (s *Server) IssueLoginToken(username, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[username]; u != nil {
		u.tokens[token] = true
	}
}

// Fail answers the next n calls to e with status (e.g. 500), then recovers.
func (s *Server) Fail(e Endpoint, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[e].failN, s.faults[e].failStatus = n, status
}

// FailPath answers every upload of file name with status (0 switches it off).
func (s *Server) FailPath(name string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.failPaths, name)
		return
	}
	s.failPaths[name] = status
}

// Deny answers every call to e with 403 until switched off.
func (s *Server) Deny(e Endpoint, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[e].deny = on
}

// Hang makes calls to e never answer (until Unhang or the client gives up). With
// afterStore, the call is handled first (a release created, an upload stored, an event
// handled) and only its answer is lost.
func (s *Server) Hang(e Endpoint, afterStore bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[e].hang, s.faults[e].hangAfter = true, afterStore
}

// Unhang stops hanging and releases every hanging call.
func (s *Server) Unhang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		f.hang, f.hangAfter = false, false
	}
	close(s.hangRel)
	s.hangRel = make(chan struct{})
}

// Hanging receives the endpoint of every call that starts hanging.
func (s *Server) Hanging() <-chan Endpoint { return s.hanging }

// EventsStatus makes notifications answer 201 with {"status": status} ("ok" by default).
func (s *Server) EventsStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[Events].eventsSt = status
}

// Calls counts the calls received at e (including failed ones).
func (s *Server) Calls(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[e]
}

// Releases returns a copy of every release, keyed by release id.
func (s *Server) Releases() map[string]Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Release{}
	for id, r := range s.releases {
		c := *r
		c.Files = map[string]*File{}
		for n, f := range r.Files {
			fc := *f
			fc.Content = bytes.Clone(f.Content)
			c.Files[n] = &fc
		}
		c.Order = append([]string(nil), r.Order...)
		out[id] = c
	}
	return out
}

// ReleaseFor returns the release created for an Airlock request id.
func (s *Server) ReleaseFor(airlockID string) (Release, bool) {
	s.mu.Lock()
	id, ok := s.byAirlock[airlockID]
	s.mu.Unlock()
	if !ok {
		return Release{}, false
	}
	r, ok := s.Releases()[id]
	return r, ok
}

// Events returns the notifications received, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// EventTypes returns the event_type of every notification received, oldest first.
func (s *Server) EventTypes() []string {
	var out []string
	for _, e := range s.Events() {
		t, _ := e.Body["event_type"].(string)
		out = append(out, t)
	}
	return out
}

// Violations returns the protocol violations seen so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// ResetViolations forgets the violations seen so far (for a test that provokes one).
func (s *Server) ResetViolations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = nil
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// writeJSON answers as DRF's JSONRenderer does: compact, non-ASCII and <>& unescaped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// bad answers 400 and records a violation: our client must never send this.
func (s *Server) bad(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.violation("%s", msg)
	writeJSON(w, http.StatusBadRequest, map[string]string{"detail": msg})
}

// Django's answer to an unhandled exception (DEBUG off).
const serverError = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"

// crash answers as job-server does when its view raises: 500 with Django's HTML page.
func crash(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, serverError)
}

// forbidden is DRF's answer to NotAuthenticated or PermissionDenied on job-server's views:
// they have no WWW-Authenticate scheme, so DRF turns 401 into 403.
func forbidden(w http.ResponseWriter, detail string) {
	writeJSON(w, http.StatusForbidden, map[string]string{"detail": detail})
}

// common checks method and headers shared by every call, counts the call and applies the
// faults. It reports whether the handler should go on. osUser says whether the call must
// carry OS-User (release calls; events and logins ignore it, as job-server does).
func (s *Server) common(w http.ResponseWriter, r *http.Request, e Endpoint, contentType string, osUser bool) bool {
	s.mu.Lock()
	s.calls[e]++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		s.bad(w, "%s: method %s, want POST", e, r.Method)
		return false
	}
	switch got := r.Header.Get("Authorization"); {
	case got == "":
		s.violation("%s: no Authorization header", e)
		forbidden(w, "Authorization header is missing")
		return false
	case got != s.Token:
		s.violation("%s: Authorization %q, want the bare token", e, got)
		forbidden(w, "Invalid token")
		return false
	}
	if osUser && r.Header.Get("OS-User") == "" {
		s.violation("%s: no OS-User header", e)
		forbidden(w, "Authentication credentials were not provided.")
		return false
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		s.bad(w, "%s: Accept %q, want application/json", e, got)
		return false
	}
	if got := r.Header.Get("Content-Type"); got != contentType {
		s.bad(w, "%s: Content-Type %q, want %q", e, got, contentType)
		return false
	}
	s.mu.Lock()
	f := s.faults[e]
	deny, hang, hangAfter := f.deny, f.hang, f.hangAfter
	fail := 0
	if f.failN > 0 {
		f.failN--
		fail = f.failStatus
	}
	rel := s.hangRel
	s.mu.Unlock()
	switch {
	case fail != 0:
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, fail, map[string]string{"detail": "Something went wrong (fake failure)."})
		return false
	case deny:
		_, _ = io.Copy(io.Discard, r.Body)
		forbidden(w, "You do not have permission to perform this action.")
		return false
	case hang && !hangAfter:
		s.hang(r, e, rel)
		return false
	}
	return true
}

// releaser checks the OS-User of a release call as job-server's validate_upload_access
// does: a known user with access to this backend, else 403.
func (s *Server) releaser(w http.ResponseWriter, r *http.Request) bool {
	name := strings.TrimSpace(r.Header.Get("OS-User"))
	s.mu.Lock()
	u := s.users[name]
	s.mu.Unlock()
	if u == nil || u.revoked {
		forbidden(w, "Authentication credentials were not provided.")
		return false
	}
	return true
}

// hangAfterHandling reports whether calls to e lose their answer after being handled, and
// if so hangs until released.
func (s *Server) hangAfterHandling(r *http.Request, e Endpoint) bool {
	s.mu.Lock()
	f := s.faults[e]
	on := f.hang && f.hangAfter
	rel := s.hangRel
	s.mu.Unlock()
	if on {
		s.hang(r, e, rel)
	}
	return on
}

func (s *Server) hang(r *http.Request, e Endpoint, rel chan struct{}) {
	select {
	case s.hanging <- e:
	default:
	}
	select {
	case <-rel:
	case <-r.Context().Done():
	}
}

var (
	hexSHA  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	isoDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)
)

type wireMeta struct {
	Tool      string `json:"tool"`
	AirlockID string `json:"airlock_id"`
}

type wireFile struct {
	Name     string          `json:"name"`
	URL      string          `json:"url"`
	Size     int64           `json:"size"`
	SHA256   string          `json:"sha256"`
	Date     string          `json:"date"`
	Metadata wireMeta        `json:"metadata"`
	Review   json.RawMessage `json:"review"`
}

type wireRelease struct {
	Files    []wireFile      `json:"files"`
	Metadata wireMeta        `json:"metadata"`
	Review   json.RawMessage `json:"review"`
}

// canonical re-encodes v compactly with the documented key order.
func canonical(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *Server) handleCreateRelease(w http.ResponseWriter, r *http.Request) {
	if !s.common(w, r, CreateRelease, "application/json", true) {
		return
	}
	ws := r.PathValue("workspace")
	s.mu.Lock()
	knownWS := s.workspaces[ws]
	s.mu.Unlock()
	if !knownWS {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No Workspace matches the given query."})
		return
	}
	if !s.releaser(w, r) {
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.bad(w, "create-release: read body: %v", err)
		return
	}
	var body wireRelease
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.bad(w, "create-release: body is not the documented shape: %v", err)
		return
	}
	// Exact shape: compact, keys in the documented order, nothing missing or extra.
	if got := canonical(body); got != string(raw) {
		s.bad(w, "create-release: body is not compact JSON in the documented key order:\n got %s\nwant %s", raw, got)
		return
	}
	if string(body.Review) != "null" {
		s.bad(w, "create-release: review %s, want null", body.Review)
		return
	}
	if body.Metadata.Tool != "airlock" || body.Metadata.AirlockID == "" {
		s.bad(w, "create-release: metadata %+v", body.Metadata)
		return
	}
	// An empty file list is valid to job-server (its serializer allows it).
	files := map[string]*File{}
	var order []string
	tooBig := false
	sizeErrs := make([]map[string][]string, len(body.Files))
	for i, f := range body.Files {
		sizeErrs[i] = map[string][]string{}
		switch {
		case f.Name == "" || f.Name != f.URL || strings.Contains(f.Name, `\`) || strings.HasPrefix(f.Name, "/"):
			s.bad(w, "create-release: file name %q / url %q", f.Name, f.URL)
			return
		case f.Size < 0 || !hexSHA.MatchString(f.SHA256):
			s.bad(w, "create-release: file %s size %d sha256 %q", f.Name, f.Size, f.SHA256)
			return
		case !isoDate.MatchString(f.Date):
			s.bad(w, "create-release: file %s date %q is not ISO-8601 UTC", f.Name, f.Date)
			return
		case f.Metadata != body.Metadata || string(f.Review) != "null":
			s.bad(w, "create-release: file %s metadata %+v review %s", f.Name, f.Metadata, f.Review)
			return
		case files[f.Name] != nil:
			s.bad(w, "create-release: file %s listed twice", f.Name)
			return
		}
		if f.Size > s.SizeLimit {
			// job-server's FileSerializer.validate, wording (and its doubled unit) included.
			tooBig = true
			sizeErrs[i]["size"] = []string{fmt.Sprintf("File size should be <16Mb. %s is %sMb", f.Name, toMB(f.Size))}
		}
		d, _ := time.Parse("2006-01-02T15:04:05.999999-07:00", f.Date)
		files[f.Name] = &File{Name: f.Name, Size: f.Size, SHA256: f.SHA256, Date: d}
		order = append(order, f.Name)
	}
	if tooBig {
		writeJSON(w, http.StatusBadRequest, map[string]any{"files": sizeErrs})
		return
	}
	// job-server creates the release with the Airlock request id as its id; a repeated call
	// for an existing release must list the same files (compared by content hash), else
	// its ReleaseFilesMismatch goes unhandled: a 500.
	id := body.Metadata.AirlockID
	s.mu.Lock()
	rel := s.releases[id]
	if rel != nil {
		if rel.Workspace != ws || !sameHashes(rel.Files, files) {
			rel.Mismatches++
			s.mu.Unlock()
			crash(w)
			return
		}
	} else {
		rel = &Release{ID: id, Workspace: ws, AirlockID: id, CreatedBy: r.Header.Get("OS-User"),
			Files: files, Order: order}
		s.releases[id] = rel
		s.byAirlock[id] = id
	}
	rel.Calls++
	s.mu.Unlock()
	if s.hangAfterHandling(r, CreateRelease) {
		return
	}
	w.Header().Set("Release-Id", id)
	writeJSON(w, http.StatusCreated, map[string]string{"release_id": id, "release_url": s.srv.URL + "/releases/" + id})
}

// sameHashes compares two releases' files as job-server does: the sets of their sha256s.
func sameHashes(a, b map[string]*File) bool {
	set := func(m map[string]*File) map[string]bool {
		out := map[string]bool{}
		for _, f := range m {
			out[f.SHA256] = true
		}
		return out
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for h := range sa {
		if !sb[h] {
			return false
		}
	}
	return true
}

// toMB is job-server's to_mb without its unit: the size in MiB to two decimals, written
// as Python writes a float ("17.0", "16.5").
func toMB(n int64) string {
	v := float64(n) / (1 << 20)
	t := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	if !strings.Contains(t, ".") {
		t += ".0"
	}
	return t
}

var dispositionRe = regexp.MustCompile(`^attachment; filename="([^"]+)"$`)

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if !s.common(w, r, Upload, "application/octet-stream", true) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	rel := s.releases[id]
	s.mu.Unlock()
	if rel == nil {
		s.violation("upload: unknown release %q", id)
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No Release matches the given query."})
		return
	}
	if !s.releaser(w, r) {
		return
	}
	if r.ContentLength > s.SizeLimit {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, http.StatusBadRequest, []string{fmt.Sprintf("File is too large, it must be below %sMb", toMB(s.SizeLimit))})
		return
	}
	m := dispositionRe.FindStringSubmatch(r.Header.Get("Content-Disposition"))
	if m == nil {
		s.bad(w, "upload: Content-Disposition %q", r.Header.Get("Content-Disposition"))
		return
	}
	name := m[1]
	s.mu.Lock()
	pathStatus := s.failPaths[name]
	s.mu.Unlock()
	if pathStatus != 0 {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, pathStatus, map[string]string{"detail": fmt.Sprintf("Cannot store '%s' (fake failure).", name)})
		return
	}
	h := sha256.New()
	var content bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &content), r.Body)
	if err != nil {
		// The client went away mid-body (timeout or shutdown): nothing is stored.
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	f := rel.Files[name]
	s.mu.Unlock()
	switch {
	case f == nil:
		s.bad(w, "upload: %s is not in release %s", name, id)
		return
	case n != f.Size || sum != f.SHA256:
		s.bad(w, "upload: %s: got %d bytes sha256 %s, release lists %d bytes sha256 %s", name, n, sum, f.Size, f.SHA256)
		return
	}
	s.mu.Lock()
	if f.Uploaded {
		f.Refused++
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"detail": fmt.Sprintf("This version of '%s' has already been uploaded from backend 'test'", name)})
		return
	}
	s.nextFile++
	f.Uploaded, f.Content, f.UploadedBy = true, content.Bytes(), r.Header.Get("OS-User")
	f.ID = fmt.Sprintf("file-%04d", s.nextFile)
	f.Stored++
	s.mu.Unlock()
	if s.hangAfterHandling(r, Upload) {
		return
	}
	// job-server answers an empty 201 naming the stored file.
	w.Header().Set("File-Id", f.ID)
	w.Header().Set("Location", s.URL+"/releases/file/"+f.ID)
	w.WriteHeader(http.StatusCreated)
}

var eventTypes = map[string]bool{
	"request_submitted": true, "request_resubmitted": true, "request_partially_reviewed": true,
	"request_reviewed": true, "request_approved": true, "request_rejected": true,
	"request_returned": true, "request_released": true, "request_withdrawn": true,
}

func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/airlock/events/" {
		s.bad(w, "events: path %s", r.URL.Path)
		return
	}
	if !s.common(w, r, Events, "application/json", false) {
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		s.bad(w, "events: body is not JSON: %v", err)
		return
	}
	for _, k := range []string{"event_type", "workspace", "request", "request_author", "user", "updates"} {
		if _, ok := body[k]; !ok {
			s.bad(w, "events: no %q in %s", k, raw)
			return
		}
	}
	_, hasOrg := body["org"]
	_, hasRepo := body["repo"]
	if len(body) != 6+map[bool]int{true: 1}[hasOrg]+map[bool]int{true: 1}[hasRepo] || hasOrg != hasRepo {
		s.bad(w, "events: unexpected keys in %s", raw)
		return
	}
	et, _ := body["event_type"].(string)
	if !eventTypes[et] {
		s.violation("events: unknown event_type %v", body["event_type"])
		writeJSON(w, http.StatusCreated, map[string]string{"status": "error",
			"message": fmt.Sprintf("Unknown event type '%s'", strings.ToUpper(et))})
		return
	}
	if u := body["updates"]; u != nil {
		list, ok := u.([]any)
		if !ok || len(list) == 0 {
			s.bad(w, "events: updates %v", u)
			return
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok || m["update"] == nil {
				s.bad(w, "events: update %v has no update", e)
				return
			}
			for k := range m {
				if k != "update" && k != "user" && k != "group" {
					s.bad(w, "events: update key %q", k)
					return
				}
			}
		}
	}
	// job-server looks up the author, the user and the workspace before doing anything;
	// an unknown one raises DoesNotExist, unhandled: a 500, nothing done.
	author, _ := body["request_author"].(string)
	actor, _ := body["user"].(string)
	ws, _ := body["workspace"].(string)
	s.mu.Lock()
	known := s.users[author] != nil && s.users[actor] != nil && s.workspaces[ws]
	s.mu.Unlock()
	if !known {
		crash(w)
		return
	}
	s.mu.Lock()
	s.events = append(s.events, Event{OSUser: r.Header.Get("OS-User"), Body: body, Raw: string(raw), At: time.Now()})
	st := s.faults[Events].eventsSt
	s.mu.Unlock()
	if s.hangAfterHandling(r, Events) {
		return
	}
	if st == "" || st == "ok" {
		writeJSON(w, http.StatusCreated, map[string]string{"status": "ok"})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"status": st, "message": "fake job-server could not handle it"})
}

// loginBody reads the JSON body of authenticate or authorise, which must hold exactly keys.
func (s *Server) loginBody(w http.ResponseWriter, r *http.Request, e Endpoint, keys ...string) (map[string]string, bool) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.bad(w, "%s: body is not a JSON object of strings: %v", e, err)
		return nil, false
	}
	if len(body) != len(keys) {
		s.bad(w, "%s: body has keys %v, want %v", e, body, keys)
		return nil, false
	}
	for _, k := range keys {
		if strings.TrimSpace(body[k]) == "" {
			writeJSON(w, http.StatusBadRequest, map[string][]string{k: {"This field may not be blank."}})
			return nil, false
		}
	}
	return body, true
}

func (s *Server) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	if !s.common(w, r, Authenticate, "application/json", false) {
		return
	}
	body, ok := s.loginBody(w, r, Authenticate, "user", "token")
	if !ok {
		return
	}
	s.mu.Lock()
	name := body["user"]
	if n, ok := s.emails[name]; ok {
		name = n
	}
	u := s.users[name]
	var doc []byte
	var detail string
	switch {
	case u == nil:
		detail = "User matching query does not exist."
	case u.revoked:
		detail = fmt.Sprintf("User %s does not have access to any backends", name)
	case !u.tokens[body["token"]]:
		detail = fmt.Sprintf("Token for %s was invalid", name)
	default:
		delete(u.tokens, body["token"])
		doc, _ = json.Marshal(u.doc)
	}
	s.mu.Unlock()
	if doc == nil {
		forbidden(w, detail)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}

func (s *Server) handleAuthorise(w http.ResponseWriter, r *http.Request) {
	if !s.common(w, r, Authorise, "application/json", false) {
		return
	}
	body, ok := s.loginBody(w, r, Authorise, "user")
	if !ok {
		return
	}
	s.mu.Lock()
	u := s.users[body["user"]]
	var doc []byte
	if u != nil && !u.revoked {
		doc, _ = json.Marshal(u.doc)
	}
	s.mu.Unlock()
	switch {
	case u == nil:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No User matches the given query."})
	case doc == nil:
		forbidden(w, fmt.Sprintf("User %s does not have access to any backends", body["user"]))
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}
}
