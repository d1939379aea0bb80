// Package fakejobserver is a strict stand-in for job-server's side of the release and
// notification protocol (docs/reference/domain.md §7.1, §7.3, §7.5), served on a real
// listener. It is a peer, not one of our parts: it checks every header and body it
// receives, answers as job-server does, keeps what was uploaded, and can be switched to
// fail, hang or deny. Every protocol violation it sees is recorded and fails the test at
// cleanup.
package fakejobserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Endpoint names one of the three calls.
type Endpoint string

const (
	CreateRelease Endpoint = "create-release"
	Upload        Endpoint = "upload"
	Events        Endpoint = "events"
)

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
}

// Release is one release created through the API.
type Release struct {
	ID        string
	Workspace string
	AirlockID string
	CreatedBy string
	Files     map[string]*File
	// Order is the file names in the order first listed.
	Order []string
	// Calls counts create-release calls answered with this release.
	Calls int
}

// Event is one notification received.
type Event struct {
	OSUser string
	Body   map[string]any
	// Raw is the body exactly as received.
	Raw string
}

type fault struct {
	failN      int
	failStatus int
	deny       bool
	hang       bool
	hangAfter  bool // hang after storing the upload (the answer is lost)
	eventsSt   string
}

// Server is the fake job-server.
type Server struct {
	// URL is the API endpoint to configure, e.g. http://127.0.0.1:1234/api/v2.
	URL   string
	Token string

	srv *httptest.Server

	mu         sync.Mutex
	releases   map[string]*Release // by release id
	byAirlock  map[string]string   // airlock id -> release id
	events     []Event
	violations []string
	faults     map[Endpoint]*fault
	calls      map[Endpoint]int
	nextID     int
	failPaths  map[string]int // upload of this file name answers with this status
	hangRel    chan struct{}
	hanging    chan Endpoint
}

// New starts a fake job-server on a real loopback listener, accepting token; it is closed,
// and checked for protocol violations, when the test ends.
func New(t testing.TB, token string) *Server {
	s := &Server{
		Token:     token,
		releases:  map[string]*Release{},
		byAirlock: map[string]string{},
		faults:    map[Endpoint]*fault{CreateRelease: {}, Upload: {}, Events: {}},
		calls:     map[Endpoint]int{},
		failPaths: map[string]int{},
		hangRel:   make(chan struct{}),
		hanging:   make(chan Endpoint, 64),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v2/releases/workspace/{workspace}", s.handleCreateRelease)
	mux.HandleFunc("/api/v2/releases/release/{id}", s.handleUpload)
	mux.HandleFunc("/api/v2/airlock/events/", s.handleEvent)
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
// afterStore, an upload is stored first and only its answer is lost.
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bad answers 400 and records a violation: our client must never send this.
func (s *Server) bad(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.violation("%s", msg)
	writeJSON(w, http.StatusBadRequest, map[string]string{"detail": msg})
}

// common checks method and headers shared by every call, counts the call and applies the
// faults. It reports whether the handler should go on.
func (s *Server) common(w http.ResponseWriter, r *http.Request, e Endpoint, contentType string) bool {
	s.mu.Lock()
	s.calls[e]++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		s.bad(w, "%s: method %s, want POST", e, r.Method)
		return false
	}
	if got := r.Header.Get("Authorization"); got != s.Token {
		s.violation("%s: Authorization %q, want the bare token", e, got)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid token."})
		return false
	}
	if r.Header.Get("OS-User") == "" {
		s.bad(w, "%s: no OS-User header", e)
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
		writeJSON(w, http.StatusForbidden, map[string]string{"detail": "You do not have permission to perform this action."})
		return false
	case hang && !hangAfter:
		s.hang(r, e, rel)
		return false
	}
	return true
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
	if !s.common(w, r, CreateRelease, "application/json") {
		return
	}
	ws := r.PathValue("workspace")
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
	if len(body.Files) == 0 {
		s.bad(w, "create-release: no files")
		return
	}
	files := map[string]*File{}
	var order []string
	for _, f := range body.Files {
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
		d, _ := time.Parse("2006-01-02T15:04:05.999999-07:00", f.Date)
		files[f.Name] = &File{Name: f.Name, Size: f.Size, SHA256: f.SHA256, Date: d}
		order = append(order, f.Name)
	}
	s.mu.Lock()
	id, ok := s.byAirlock[body.Metadata.AirlockID]
	if !ok {
		s.nextID++
		id = fmt.Sprintf("rel-%04d", s.nextID)
		s.byAirlock[body.Metadata.AirlockID] = id
		s.releases[id] = &Release{ID: id, Workspace: ws, AirlockID: body.Metadata.AirlockID,
			CreatedBy: r.Header.Get("OS-User"), Files: map[string]*File{}}
	}
	rel := s.releases[id]
	rel.Calls++
	for _, n := range order {
		if rel.Files[n] == nil || !rel.Files[n].Uploaded {
			rel.Files[n] = files[n]
		}
		if !contains(rel.Order, n) {
			rel.Order = append(rel.Order, n)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Release-Id", id)
	writeJSON(w, http.StatusCreated, map[string]string{"release_id": id, "release_url": s.URL + "/releases/" + id})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var dispositionRe = regexp.MustCompile(`^attachment; filename="([^"]+)"$`)

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if !s.common(w, r, Upload, "application/octet-stream") {
		return
	}
	id := r.PathValue("id")
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
	rel := s.releases[id]
	var f *File
	if rel != nil {
		f = rel.Files[name]
	}
	s.mu.Unlock()
	switch {
	case rel == nil:
		s.violation("upload: unknown release %q", id)
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
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
			"detail": fmt.Sprintf("This version of '%s' has already been uploaded", name)})
		return
	}
	f.Uploaded, f.Content, f.UploadedBy = true, content.Bytes(), r.Header.Get("OS-User")
	f.Stored++
	flt := s.faults[Upload]
	hangAfter := flt.hang && flt.hangAfter
	relCh := s.hangRel
	s.mu.Unlock()
	if hangAfter {
		s.hang(r, Upload, relCh)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"detail": "ok"}`))
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
	if !s.common(w, r, Events, "application/json") {
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
	if et, _ := body["event_type"].(string); !eventTypes[et] {
		s.bad(w, "events: unknown event_type %v", body["event_type"])
		return
	}
	if body["user"] != r.Header.Get("OS-User") {
		s.bad(w, "events: OS-User %q is not the body's user %v", r.Header.Get("OS-User"), body["user"])
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
	s.mu.Lock()
	s.events = append(s.events, Event{OSUser: r.Header.Get("OS-User"), Body: body, Raw: string(raw)})
	st := s.faults[Events].eventsSt
	s.mu.Unlock()
	if st == "" || st == "ok" {
		writeJSON(w, http.StatusCreated, map[string]string{"status": "ok"})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"status": st, "message": "fake job-server could not handle it"})
}
