package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// regularSite is a data folder with real workspace folders: weekly-study holds outputs of
// two job-runner jobs, its manifest written as job-runner writes it (indented JSON, a
// float timestamp, the user who ran the job), and a users file with alice (a role on
// weekly-study) and two output checkers.
type regularSite struct {
	data, config string
}

func newRegularSite(t *testing.T, config string) regularSite {
	t.Helper()
	root := t.TempDir()
	data := filepath.Join(root, "data")
	ws := filepath.Join(data, "workspaces", "weekly-study")
	files := map[string]string{
		"output/weekly/counts.csv":  "week,count\n1,10\n2,15\n",
		"output/weekly/notes.txt":   "counts rounded to 5\n",
		"output/monthly/totals.csv": "month,total\n1,100\n",
	}
	outputs := map[string]any{}
	ts := float64(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC).Unix())
	for p, content := range files {
		full := filepath.Join(ws, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
		sum := sha256.Sum256([]byte(content))
		user, action, at := "alice", "weekly_counts", ts
		if strings.HasPrefix(p, "output/monthly/") {
			user, action, at = "bob", "monthly_totals", ts-86400 // older: alice's output is the latest
		}
		outputs[p] = map[string]any{
			"level": "moderately_sensitive", "job_id": "job-" + action, "job_request": "jr-1", "action": action,
			"user": user, "repo": "https://github.com/opensafely/weekly-study", "commit": "4f1c2e3d4b5a69788796a5b4c3d2e1f001122334",
			"size": len(content), "timestamp": at + 0.25, "content_hash": hex.EncodeToString(sum[:]),
			"excluded": false, "message": nil, "row_count": nil, "col_count": nil,
		}
	}
	manifest, err := json.MarshalIndent(map[string]any{"workspace": "weekly-study", "repo": nil, "outputs": outputs}, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(ws, "metadata"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ws, "metadata", "manifest.json"), manifest, 0o644))

	grant := map[string]any{"weekly-study": map[string]any{
		"project_details": map[string]any{"name": "Weekly surveillance", "ongoing": true, "orgs": []string{"Org A"}}, "archived": false,
	}}
	user := func(name string, checker bool, ws map[string]any) map[string]any {
		return map[string]any{"token": name + "-token", "details": map[string]any{
			"username": name, "fullname": name, "output_checker": checker, "readonly_access": false,
			"workspaces": ws, "copiloted_workspaces": map[string]any{},
		}}
	}
	users, err := json.Marshal(map[string]any{
		"alice": user("alice", false, grant), "olivia": user("olivia", true, map[string]any{}), "oscar": user("oscar", true, map[string]any{}),
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(data, "users.json"), users, 0o600))
	cfg := filepath.Join(root, "regular_release_requests.json")
	require.NoError(t, os.WriteFile(cfg, []byte(config), 0o644))
	return regularSite{data: data, config: cfg}
}

const weeklyConfig = `[{"username": null, "workspace_name": "weekly-study", "dirs": ["output/weekly"],
  "context": "Weekly counts of admissions", "controls": "Counts rounded to 5",
  "supporting_files": ["output/weekly/notes.txt"], "submit": true}]`

// call sends a JSON request with the session's cookie and CSRF token.
func call(t *testing.T, method, url string, s session, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Cookie", s.cookie)
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// One `airlock regular run` on real folders makes and submits alice's request (the
// manifest's user of the latest output); two checkers review and release it through the
// API; it ends RELEASED with its files in the release folder, and every step of the run
// is audited as automated, the checkers' steps are not.
func TestRegularRequestsEndToEnd(t *testing.T) {
	site := newRegularSite(t, weeklyConfig)
	flags := []string{"--data-dir", site.data, "--regular-requests", site.config}

	out, _, err := runCmd(t, append([]string{"regular", "check"}, flags...)...)
	require.NoError(t, err)
	assert.Equal(t, "weekly-study (manifest user): Config OK\n", out)

	out, _, err = runCmd(t, append([]string{"regular", "run", "--log-format", "text"}, flags...)...)
	require.NoError(t, err, out)
	require.Regexp(t, `^weekly-study \(manifest user\): Success \(request (\S+) by alice, 2 files added\)\n$`, out)
	id := strings.Fields(out)[5]

	// A second run leaves the submitted request alone.
	out, _, err = runCmd(t, append([]string{"regular", "run"}, flags...)...)
	require.NoError(t, err)
	assert.Contains(t, out, "Already submitted (request "+id+" by alice, 0 files added)")

	srv := startServe(t, "--data-dir", site.data)
	var req struct {
		Status  string   `json:"status"`
		Author  string   `json:"author"`
		Project string   `json:"project"`
		Orgs    []string `json:"orgs"`
		Groups  []struct {
			Name, Context, Controls string
			Files                   []struct{ Path, FileType string }
		} `json:"groups"`
	}
	olivia := login(t, srv.url, "olivia", "olivia-token")
	code, body := get(t, srv.url+"/api/v1/requests/"+id, olivia)
	require.Equal(t, 200, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	assert.Equal(t, "SUBMITTED", req.Status)
	assert.Equal(t, "alice", req.Author)
	assert.Equal(t, "Weekly surveillance", req.Project)
	assert.Equal(t, []string{"Org A"}, req.Orgs)
	require.Len(t, req.Groups, 1)
	assert.Equal(t, "output-weekly", req.Groups[0].Name)
	assert.Equal(t, "Weekly counts of admissions", req.Groups[0].Context)
	assert.Len(t, req.Groups[0].Files, 2)

	for _, checker := range []string{"olivia", "oscar"} {
		s := login(t, srv.url, checker, checker+"-token")
		code, body := call(t, "POST", srv.url+"/api/v1/requests/"+id+"/votes", s, `{"paths": ["output/weekly/counts.csv"], "vote": "APPROVED"}`)
		require.Equal(t, 200, code, body)
		code, body = call(t, "POST", srv.url+"/api/v1/requests/"+id+"/review", s, ``)
		require.Equal(t, 200, code, body)
	}
	events := dialEvents(t, srv.url, olivia)
	defer events.Close()
	code, body = call(t, "POST", srv.url+"/api/v1/requests/"+id+"/release", olivia, ``)
	require.Equal(t, 200, code, body)

	// The uploader delivers the released file to the release folder, then the request is
	// RELEASED: its live event says so.
	_ = events.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var ev struct{ Type, RequestID, Status string }
		require.NoError(t, events.ReadJSON(&ev), "waiting for the request to be released")
		if ev.Type == "request.changed" && ev.RequestID == id && ev.Status == "RELEASED" {
			break
		}
	}
	_, body = get(t, srv.url+"/api/v1/requests/"+id, olivia)
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	require.Equal(t, "RELEASED", req.Status)
	released, err := os.ReadFile(filepath.Join(site.data, "released", "weekly-study", id, "output", "weekly", "counts.csv"))
	require.NoError(t, err)
	assert.Equal(t, "week,count\n1,10\n2,15\n", string(released))
	require.NoError(t, srv.stop(t))

	out, _, err = runCmd(t, "audit", "--data-dir", site.data, "--request", id)
	require.NoError(t, err)
	automated := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		typ, isAuto := fields[1], strings.Contains(line, "automated_action=true")
		switch {
		case strings.Contains(line, "user=alice"):
			assert.True(t, isAuto, "alice's steps are the automation's: %s", line)
			automated[typ]++
		default:
			assert.False(t, isAuto, "the checkers' steps are their own: %s", line)
		}
	}
	assert.Equal(t, map[string]int{
		"REQUEST_CREATE": 1, "REQUEST_FILE_ADD": 2, "REQUEST_EDIT": 1, "REQUEST_SUBMIT": 1,
	}, automated)
	assert.Contains(t, out, "REQUEST_RELEASE")
}

// dialEvents opens the live-events socket of session s and reads its hello.
func dialEvents(t *testing.T, base string, s session) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/events",
		http.Header{"Cookie": {s.cookie}})
	require.NoError(t, err)
	_ = resp.Body.Close()
	var hello struct{ Type string }
	require.NoError(t, ws.ReadJSON(&hello))
	require.Equal(t, "hello", hello.Type)
	return ws
}

// A configuration that is not valid stops the commands at start-up with one line listing
// every problem.
func TestRegularRequestsBadConfig(t *testing.T) {
	site := newRegularSite(t, `[{"username": "alice", "workspace_name": "weekly-study", "dirs": ["../x"], "submit": true, "colour": 1}]`)
	for _, cmd := range [][]string{{"regular", "run"}, {"regular", "check"}, {"serve", "--listen", "127.0.0.1:0"}} {
		_, _, err := runCmd(t, append(cmd, "--data-dir", site.data, "--regular-requests", site.config)...)
		require.Error(t, err, cmd)
		msg := err.Error()
		assert.Contains(t, msg, "--regular-requests "+site.config+": entry 1 (weekly-study): ", cmd)
		for _, want := range []string{`unknown key "colour"`, `folder "../x"`, `"submit" needs a non-empty "context" and "controls"`} {
			assert.Contains(t, msg, want, cmd)
		}
	}
	_, _, err := runCmd(t, "regular", "run", "--data-dir", site.data, "--regular-requests", filepath.Join(site.data, "missing.json"))
	assert.ErrorContains(t, err, "missing.json: no such file or directory")
	_, _, err = runCmd(t, "regular", "run", "--data-dir", site.data)
	assert.ErrorContains(t, err, "--regular-requests (or AIRLOCK_REGULAR_REQUESTS) names no file")
	_, _, err = runCmd(t, "serve", "--data-dir", site.data, "--regular-interval", "1h")
	assert.ErrorContains(t, err, "--regular-interval needs --regular-requests")
	_, _, err = runCmd(t, "serve", "--data-dir", site.data, "--regular-interval", "daily")
	assert.ErrorContains(t, err, `--regular-interval "daily" is not a duration`)
}

// serve with --regular-interval runs the regular requests on its schedule.
func TestServeRunsRegularRequests(t *testing.T) {
	site := newRegularSite(t, weeklyConfig)
	srv := startServe(t, "--data-dir", site.data, "--regular-requests", site.config, "--regular-interval", "50ms")
	olivia := login(t, srv.url, "olivia", "olivia-token")
	var list struct {
		Requests []struct{ ID, Author, Status string } `json:"requests"`
	}
	// the condition: the review queue holds the scheduled run's request (the limit only
	// bounds a broken schedule; a slow machine waits longer, never fails)
	require.Eventually(t, func() bool {
		_, body := get(t, srv.url+"/api/v1/requests?scope=review", olivia)
		return json.Unmarshal([]byte(body), &list) == nil && len(list.Requests) > 0
	}, 3*time.Minute, 50*time.Millisecond, "waiting for the scheduled run:\n%s", srv.logs)
	require.Len(t, list.Requests, 1, "the schedule made one request")
	assert.Equal(t, "alice", list.Requests[0].Author)
	assert.Equal(t, "SUBMITTED", list.Requests[0].Status)
}
