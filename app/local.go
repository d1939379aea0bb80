package app

import (
	"context"
	"io"
	"path"
	"path/filepath"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/service"
)

// Local is the in-process backend: the same service, authenticator and hub that the
// window's handler (the API of `airlock serve`) runs on.
type Local struct {
	Service *service.Airlock
	Auth    *auth.Authenticator
	Hub     *live.Hub
	// WorkspaceDir is the root folder of the workspaces (one folder each).
	WorkspaceDir string
}

// Mode is "embedded".
func (l *Local) Mode() string { return "embedded" }

// Authenticate resolves a session cookie value.
func (l *Local) Authenticate(ctx context.Context, sessionID string) (airlock.User, error) {
	s, err := l.Auth.Authenticate(ctx, sessionID)
	return s.User, err
}

// Subscribe registers sink with the hub for user's events.
func (l *Local) Subscribe(user airlock.User, _ string, sink live.Sink) func() {
	return l.Hub.Subscribe(user, sink)
}

// ListRequests lists the requests user may view.
func (l *Local) ListRequests(ctx context.Context, user airlock.User, _, workspace string) ([]service.RequestSummary, error) {
	return l.Service.ListRequests(ctx, user, service.RequestQuery{Workspace: workspace})
}

// OpenDownload opens a request file for download (the service checks and audits it).
func (l *Local) OpenDownload(ctx context.Context, user airlock.User, _, requestID, relpath string) (io.ReadCloser, error) {
	rc, _, err := l.Service.OpenRequestFile(ctx, user, requestID, relpath, true)
	return rc, err
}

// WorkspaceFolder returns the folder of a workspace file the user may view. The service
// resolves the path safely (anything outside the workspace is not_found).
func (l *Local) WorkspaceFolder(ctx context.Context, user airlock.User, workspace, relpath string) (string, error) {
	d, err := l.Service.GetWorkspaceFile(ctx, user, workspace, relpath)
	if err != nil {
		return "", err
	}
	dir := path.Dir(d.File.Path)
	return filepath.Join(l.WorkspaceDir, workspace, filepath.FromSlash(dir)), nil
}

// Logout ends a session (when the window closes).
func (l *Local) Logout(ctx context.Context, sessionID string) {
	key := auth.HashSecret(sessionID)
	_ = l.Auth.Logout(ctx, key)
	l.Hub.CloseSession(key)
}
