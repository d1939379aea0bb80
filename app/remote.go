package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
)

// Remote is a running `airlock serve` that the window is attached to (airlock desktop
// --server URL). The window's asset server proxies every request to it; live events come
// from the server's WebSocket, which the desktop process opens with the window's session
// (the web view cannot open a WebSocket from wails://).
type Remote struct {
	base   *url.URL
	client *http.Client
	log    *slog.Logger
	// Backoff is the first delay before reconnecting the live events (doubling to 15 s).
	Backoff time.Duration
}

// NewRemote returns the backend of a server at serverURL (http or https).
func NewRemote(serverURL string, client *http.Client, log *slog.Logger) (*Remote, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, airlock.Errorf(airlock.CodeInvalid, "--server must be the http(s) URL of an Airlock server, not %q", serverURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return &Remote{base: u, client: client, log: log, Backoff: 500 * time.Millisecond}, nil
}

// Mode is "attached".
func (r *Remote) Mode() string { return "attached" }

// Host is the server's host (shown in the window title).
func (r *Remote) Host() string { return r.base.Host }

// Proxy is the window's handler when attached: every request goes to the server.
func (r *Remote) Proxy() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(r.base)
			pr.Out.Host = r.base.Host
			pr.Out.Header.Del("Origin") // wails://wails is not the server's origin
		},
		Transport: r.client.Transport,
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			r.log.Warn("desktop: the server did not answer", "path", req.URL.Path, "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, `{"error":{"code":"unavailable","message":%q}}`,
				"The Airlock server at "+r.base.Host+" cannot be reached. Check your connection and try again.")
		},
	}
}

// do sends an API request with the window's session (and a JSON body when body is not
// nil); an answer of 300 or more becomes the server's coded error.
func (r *Remote) do(ctx context.Context, method, p, sessionID string, header http.Header, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base.String()+p, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if sessionID != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: sessionID})
	}
	res, err := r.client.Do(req)
	if err != nil {
		return nil, airlock.WrapError(airlock.CodeUnavailable, err, "The Airlock server at %s cannot be reached", r.base.Host)
	}
	if res.StatusCode >= 300 {
		defer res.Body.Close()
		return nil, remoteError(res)
	}
	return res, nil
}

// decode reads a JSON answer into out and closes it.
func decode(res *http.Response, out any) error {
	defer res.Body.Close()
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(out); err != nil {
		return airlock.WrapError(airlock.CodeUnavailable, err, "The Airlock server sent an answer that could not be read")
	}
	return nil
}

func (r *Remote) getJSON(ctx context.Context, p, sessionID string, out any) error {
	res, err := r.do(ctx, http.MethodGet, p, sessionID, http.Header{"Accept": {"application/json"}}, nil)
	if err != nil {
		return err
	}
	return decode(res, out)
}

// remoteError turns the server's error body into a coded error.
func remoteError(res *http.Response) error {
	var body contract.ErrorBody
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" && body.Error.Message != "" {
		return airlock.Errorf(body.Error.Code, "%s", body.Error.Message)
	}
	return airlock.Errorf(airlock.CodeUnavailable, "The Airlock server answered %s", res.Status)
}

// Login logs in on the server (POST /auth/login) and keeps the session cookie it sets.
func (r *Remote) Login(ctx context.Context, username, token string) (string, contract.SessionOutput, error) {
	var out contract.SessionOutput
	res, err := r.do(ctx, http.MethodPost, "/api/v1/auth/login", "", http.Header{"Accept": {"application/json"}},
		contract.LoginInput{Username: username, Token: token})
	if err != nil {
		return "", out, err
	}
	id := ""
	for _, c := range res.Cookies() {
		if c.Name == auth.CookieName && c.Value != "" {
			id = c.Value
		}
	}
	if err := decode(res, &out); err != nil {
		return "", out, err
	}
	if id == "" {
		return "", out, airlock.Errorf(airlock.CodeUnavailable, "The Airlock server at %s logged you in without a session", r.base.Host)
	}
	return id, out, nil
}

// ListRequests lists the requests the session's user may view.
func (r *Remote) ListRequests(ctx context.Context, sessionID, workspace string) ([]contract.RequestSummary, error) {
	p := "/api/v1/requests"
	if workspace != "" {
		p += "?workspace=" + url.QueryEscape(workspace)
	}
	var out contract.RequestList
	err := r.getJSON(ctx, p, sessionID, &out)
	return out.Requests, err
}

// OpenDownload downloads a request file (the server checks and audits it).
func (r *Remote) OpenDownload(ctx context.Context, sessionID, requestID, relpath string) (io.ReadCloser, error) {
	p := "/api/v1/requests/" + url.PathEscape(requestID) + "/content/" + escapePath(relpath) + "?download=1"
	res, err := r.do(ctx, http.MethodGet, p, sessionID, nil, nil)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// WorkspaceFolder is not available: the workspace folders are on the server.
func (r *Remote) WorkspaceFolder(context.Context, string, string, string) (string, error) {
	return "", airlock.Errorf(airlock.CodeInvalid, "The workspace folders are on the server (%s), not on this computer", r.base.Host)
}

// Logout ends the session on the server.
func (r *Remote) Logout(ctx context.Context, sessionID string) {
	var me contract.SessionOutput
	if err := r.getJSON(ctx, "/api/v1/auth/me", sessionID, &me); err != nil {
		return
	}
	res, err := r.do(ctx, http.MethodPost, "/api/v1/auth/logout", sessionID, http.Header{"X-Csrf-Token": {me.CSRFToken}}, nil)
	if err == nil {
		res.Body.Close()
	}
}

// Subscribe opens the server's live-event WebSocket with the session and delivers its
// events to sink, reconnecting with back-off until unsubscribed or the session ends.
func (r *Remote) Subscribe(_ context.Context, sessionID string, sink live.Sink) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.follow(ctx, sessionID, sink)
	}()
	return func() {
		cancel()
		wg.Wait()
	}, nil
}

func (r *Remote) follow(ctx context.Context, sessionID string, sink live.Sink) {
	ws := *r.base
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[r.base.Scheme]
	ws.Path = "/api/v1/events"
	header := http.Header{"Cookie": {(&http.Cookie{Name: auth.CookieName, Value: sessionID}).String()}}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	delay := r.Backoff
	connected := false
	for ctx.Err() == nil {
		conn, res, err := dialer.DialContext(ctx, ws.String(), header)
		if res != nil && res.StatusCode == http.StatusUnauthorized {
			r.log.Info("desktop: live events stopped: the session has ended")
			return
		}
		if err == nil {
			if connected {
				// Events may have been missed while disconnected: a hello makes the
				// window refetch.
				sink.Deliver(airlock.Event{Type: airlock.EventHello})
			}
			connected = true
			delay = r.Backoff
			if ended := r.read(ctx, conn, sink); ended {
				return
			}
		} else {
			r.log.Info("desktop: live events: cannot connect", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 15*time.Second)
	}
}

// read delivers the events of one connection; true when the session ended (logout).
func (r *Remote) read(ctx context.Context, conn *websocket.Conn, sink live.Sink) bool {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()
	conn.SetReadLimit(1 << 20)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			return errors.As(err, &ce) && ce.Code == live.CloseSessionEnded
		}
		var ev airlock.Event
		if json.Unmarshal(data, &ev) != nil || ev.Type == airlock.EventHello {
			continue
		}
		sink.Deliver(ev)
	}
}

// escapePath percent-encodes each segment of a workspace-relative path.
func escapePath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
