package app

import (
	"context"
	"io"
	"path"
	"path/filepath"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/service"
)

// Local is the in-process backend: the same service, authenticator and hub that the
// window's handler (the API of `airlock serve`) runs on. Each call resolves the session
// first, as the API does for each request.
type Local struct {
	Service *service.Airlock
	Auth    *auth.Authenticator
	Hub     *live.Hub
	// WorkspaceDir is the root folder of the workspaces (one folder each).
	WorkspaceDir string
}

// Mode is "embedded".
func (l *Local) Mode() string { return "embedded" }

// loginAddr is the client address of the window's logins (for the authenticator's rate
// limits: the window is one client).
const loginAddr = "desktop"

// Login starts a session, as POST /auth/login does.
func (l *Local) Login(ctx context.Context, username, token string) (string, contract.SessionOutput, error) {
	s, err := l.Auth.Login(ctx, username, token, loginAddr)
	if err != nil {
		return "", contract.SessionOutput{}, err
	}
	return s.ID, contract.SessionOutput{User: contract.FromUser(s.User), CSRFToken: s.CSRFToken}, nil
}

func (l *Local) user(ctx context.Context, sessionID string) (airlock.User, error) {
	s, err := l.Auth.Authenticate(ctx, sessionID)
	return s.User, err
}

// Subscribe registers sink with the hub for the session user's events.
func (l *Local) Subscribe(ctx context.Context, sessionID string, sink live.Sink) (func(), error) {
	u, err := l.user(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return l.Hub.Subscribe(u, sink), nil
}

// ListRequests lists the requests the session's user may view.
func (l *Local) ListRequests(ctx context.Context, sessionID, workspace string) ([]contract.RequestSummary, error) {
	u, err := l.user(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	reqs, err := l.Service.ListRequests(ctx, u, service.RequestQuery{Workspace: workspace})
	if err != nil {
		return nil, err
	}
	return contract.FromRequestSummaries(reqs).Requests, nil
}

// OpenDownload opens a request file for download (the service checks and audits it).
func (l *Local) OpenDownload(ctx context.Context, sessionID, requestID, relpath string) (io.ReadCloser, error) {
	u, err := l.user(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	rc, _, err := l.Service.OpenRequestFile(ctx, u, requestID, relpath, true)
	return rc, err
}

// WorkspaceFolder returns the folder of a workspace file the user may view. The service
// resolves the path safely (anything outside the workspace is not_found).
func (l *Local) WorkspaceFolder(ctx context.Context, sessionID, workspace, relpath string) (string, error) {
	u, err := l.user(ctx, sessionID)
	if err != nil {
		return "", err
	}
	d, err := l.Service.GetWorkspaceFile(ctx, u, workspace, relpath)
	if err != nil {
		return "", err
	}
	dir := path.Dir(d.File.Path)
	return filepath.Join(l.WorkspaceDir, workspace, filepath.FromSlash(dir)), nil
}

// Logout ends a session.
func (l *Local) Logout(ctx context.Context, sessionID string) {
	key := auth.HashSecret(sessionID)
	_ = l.Auth.Logout(ctx, key)
	l.Hub.CloseSession(key)
}
