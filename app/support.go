package app

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/wailsapp/wails/v2/pkg/logger"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
)

// WailsLogger sends Wails's own log lines to slog.
type WailsLogger struct{ Log *slog.Logger }

var _ logger.Logger = WailsLogger{}

func (l WailsLogger) Print(m string)   { l.Log.Info(m, "from", "wails") }
func (l WailsLogger) Trace(m string)   { l.Log.Debug(m, "from", "wails") }
func (l WailsLogger) Debug(m string)   { l.Log.Debug(m, "from", "wails") }
func (l WailsLogger) Info(m string)    { l.Log.Debug(m, "from", "wails") }
func (l WailsLogger) Warning(m string) { l.Log.Warn(m, "from", "wails") }
func (l WailsLogger) Error(m string)   { l.Log.Error(m, "from", "wails") }
func (l WailsLogger) Fatal(m string)   { l.Log.Error(m, "from", "wails") }

// ErrorPage is the window's handler when the backend could not start: the window says
// why (a desktop app started from a menu has no terminal to print to).
func ErrorPage(err error) http.Handler {
	body := fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Airlock</title>
<style>body{font:16px system-ui,sans-serif;margin:3em;color:#1d3557}code{background:#eef;padding:0 .2em}</style></head>
<body><h1>Airlock could not start</h1><p id="startup-error">%s</p>
<p>Start it with <code>airlock desktop --data-dir FOLDER</code> (see <code>airlock desktop -h</code>),
or attach it to your organisation's server with <code>airlock desktop --server URL</code>.</p></body></html>`,
		html.EscapeString(err.Error()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = fmt.Fprint(w, body)
	})
}

// DefaultDataDir is where the desktop keeps its data when no --data-dir is given: the
// user's own application data folder (a desktop app is often started from a folder it
// cannot write, such as Program Files).
func DefaultDataDir() string {
	if goruntime.GOOS == "windows" {
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "Airlock")
		}
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "airlock")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "airlock")
	}
	return "airlock-data"
}

// Unavailable is the backend of a window whose backend could not start: every call fails.
type Unavailable struct{}

var errUnavailable = airlock.Errorf(airlock.CodeUnavailable, "Airlock could not start its backend")

func (Unavailable) Mode() string { return "unavailable" }
func (Unavailable) Login(context.Context, string, string) (string, contract.SessionOutput, error) {
	return "", contract.SessionOutput{}, errUnavailable
}
func (Unavailable) Logout(context.Context, string) {}
func (Unavailable) Subscribe(context.Context, string, live.Sink) (func(), error) {
	return nil, errUnavailable
}
func (Unavailable) ListRequests(context.Context, string, string) ([]contract.RequestSummary, error) {
	return nil, errUnavailable
}
func (Unavailable) OpenDownload(context.Context, string, string, string) (io.ReadCloser, error) {
	return nil, errUnavailable
}
func (Unavailable) WorkspaceFolder(context.Context, string, string, string) (string, error) {
	return "", errUnavailable
}
