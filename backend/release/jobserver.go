package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// JobServerConfig configures the job-server API client.
type JobServerConfig struct {
	// Endpoint is the API root, e.g. https://jobs.example.org/api/v2 (a trailing slash is
	// dropped).
	Endpoint string
	// Token is the backend token, sent bare in the Authorization header.
	Token string
	// Timeout bounds each JSON call and the wait for any response (default 30s).
	Timeout time.Duration
	// MinUploadRate (bytes per second, default 1 MiB/s) sets an upload's deadline:
	// Timeout plus the file's size at this rate, so a hanging server never blocks forever.
	MinUploadRate int64
	// HTTPClient overrides the client (its Timeout should be zero: deadlines come from the
	// context).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// JobServer talks to job-server's release API (docs/reference/domain.md §7.1, §7.3). It is
// a Target and implements service.Releaser.
type JobServer struct {
	endpoint string
	token    string
	timeout  time.Duration
	minRate  int64
	client   *http.Client
	log      *slog.Logger
}

// NewJobServer returns a client for the API at cfg.Endpoint.
func NewJobServer(cfg JobServerConfig) *JobServer {
	js := &JobServer{
		endpoint: strings.TrimRight(cfg.Endpoint, "/"),
		token:    cfg.Token,
		timeout:  cfg.Timeout,
		minRate:  cfg.MinUploadRate,
		client:   cfg.HTTPClient,
		log:      cfg.Logger,
	}
	if js.timeout <= 0 {
		js.timeout = 30 * time.Second
	}
	if js.minRate <= 0 {
		js.minRate = 1 << 20
	}
	if js.log == nil {
		js.log = slog.Default()
	}
	if js.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: js.timeout, KeepAlive: 30 * time.Second}).DialContext
		tr.TLSHandshakeTimeout = js.timeout
		tr.ResponseHeaderTimeout = js.timeout
		js.client = &http.Client{Transport: tr}
	}
	return js
}

// Name implements Target.
func (js *JobServer) Name() string { return "job-server" }

// Endpoint is the API root in use.
func (js *JobServer) Endpoint() string { return js.endpoint }

// The create-release body (§7.1): compact JSON, keys in this order.
type releaseBody struct {
	Files    []releaseFileBody `json:"files"`
	Metadata releaseMetadata   `json:"metadata"`
	Review   *struct{}         `json:"review"`
}

type releaseFileBody struct {
	Name     string          `json:"name"`
	URL      string          `json:"url"`
	Size     int64           `json:"size"`
	SHA256   string          `json:"sha256"`
	Date     string          `json:"date"`
	Metadata releaseMetadata `json:"metadata"`
	Review   *struct{}       `json:"review"`
}

type releaseMetadata struct {
	Tool      string `json:"tool"`
	AirlockID string `json:"airlock_id"`
}

// isoDate formats t like Python's datetime.isoformat() of an aware UTC time:
// 2024-05-01T12:00:00+00:00, with microseconds only when they are not zero.
func isoDate(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05") + "+00:00"
}

// CreateReleaseBody returns the exact body of the create-release call for files of r.
func CreateReleaseBody(r *airlock.ReleaseRequest, files []airlock.ReleaseFile) ([]byte, error) {
	meta := releaseMetadata{Tool: "airlock", AirlockID: r.ID}
	body := releaseBody{Files: make([]releaseFileBody, 0, len(files)), Metadata: meta}
	for _, f := range files {
		name := strings.ReplaceAll(f.Path, `\`, "/")
		body.Files = append(body.Files, releaseFileBody{
			Name: name, URL: name, Size: f.Size, SHA256: f.SHA256, Date: isoDate(f.Date), Metadata: meta,
		})
	}
	return jsonBody(body)
}

// jsonBody is v as the JSON body of a call to job-server: "<", ">" and "&" as they are (not
// escaped for HTML), no newline at the end.
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// CreateRelease implements service.Releaser: POST {api}/releases/workspace/{workspace}
// with the request's output files, as the releasing checker. It returns the Release-Id
// job-server answers with. A 403 is a permission_denied error, any other failure an
// unavailable error; both carry job-server's answer as their (logged) cause.
func (js *JobServer) CreateRelease(ctx context.Context, actor airlock.User, r *airlock.ReleaseRequest, files []airlock.ReleaseFile) (string, error) {
	body, err := CreateReleaseBody(r, files)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, js.timeout)
	defer cancel()
	u := js.endpoint + "/releases/workspace/" + url.PathEscape(r.Workspace)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	js.setHeaders(req, actor.Username)
	req.Header.Set("Content-Type", "application/json")
	resp, err := js.client.Do(req)
	if err != nil {
		js.log.Error("create release failed", "workspace", r.Workspace, "request", r.ID, "err", err)
		return "", airlock.WrapError(airlock.CodeUnavailable, err, "Error releasing files; please contact tech-support.")
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		cause := fmt.Errorf("job-server answered %s: %s", resp.Status, bytes.TrimSpace(answer))
		js.log.Error("create release failed", "workspace", r.Workspace, "request", r.ID, "status", resp.StatusCode, "body", string(answer))
		if resp.StatusCode == http.StatusForbidden {
			return "", airlock.WrapError(airlock.CodePermissionDenied, cause, "Error releasing files: Permission denied")
		}
		return "", airlock.WrapError(airlock.CodeUnavailable, cause, "Error releasing files; please contact tech-support.")
	}
	id := resp.Header.Get("Release-Id")
	if id == "" {
		var v struct {
			ReleaseID string `json:"release_id"`
		}
		if json.Unmarshal(answer, &v) == nil {
			id = v.ReleaseID
		}
	}
	if id == "" {
		cause := errors.New("job-server answered 201 without a Release-Id")
		return "", airlock.WrapError(airlock.CodeUnavailable, cause, "Error releasing files; please contact tech-support.")
	}
	js.log.Info("release created", "workspace", r.Workspace, "request", r.ID, "release_id", id, "files", len(files))
	return id, nil
}

// Upload implements Target: POST {api}/releases/release/{release id} with the raw bytes of
// the stored copy, as the user who released the file. 201 is success, and so is job-server
// saying this version has already been uploaded; anything else is an error carrying
// job-server's detail.
func (js *JobServer) Upload(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile, open OpenFunc) error {
	releaseID := r.ReleaseID
	if releaseID == "" {
		// Releases created before the id was stored: job-server keys them by the request id.
		releaseID = r.ID
	}
	src, err := open()
	if err != nil {
		return fmt.Errorf("release: open stored copy of %s: %w", f.RelPath, err)
	}
	defer src.Close()
	deadline := js.timeout + time.Duration(float64(f.Size)/float64(js.minRate)*float64(time.Second))
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	u := js.endpoint + "/releases/release/" + url.PathEscape(releaseID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, io.NopCloser(src))
	if err != nil {
		return err
	}
	req.ContentLength = f.Size
	js.setHeaders(req, f.ReleasedBy)
	req.Header.Set("Content-Disposition", `attachment; filename="`+f.RelPath+`"`)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := js.client.Do(req)
	if err != nil {
		return airlock.WrapError(airlock.CodeUnavailable, err, "Could not reach job-server to upload %s.", f.RelPath)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusCreated {
		return nil
	}
	detail := jsonDetail(answer)
	if strings.Contains(detail, fmt.Sprintf("This version of '%s' has already been uploaded", f.RelPath)) {
		js.log.Info("File already uploaded", "workspace", r.Workspace, "request", r.ID, "path", f.RelPath)
		return nil
	}
	if detail == "" {
		detail = strings.TrimSpace(string(answer))
	}
	code := airlock.CodeUnavailable
	if resp.StatusCode == http.StatusForbidden {
		code = airlock.CodePermissionDenied
	}
	return airlock.Errorf(code, "job-server refused the upload of %s (%s): %s", f.RelPath, resp.Status, detail)
}

func (js *JobServer) setHeaders(req *http.Request, user string) {
	req.Header.Set("Authorization", js.token)
	req.Header.Set("OS-User", user)
	req.Header.Set("Accept", "application/json")
}

// jsonDetail returns the "detail" field of a JSON error answer, or "".
func jsonDetail(body []byte) string {
	var v struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Detail) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Detail, &s) == nil {
		return s
	}
	return string(v.Detail)
}
