package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/internal/fsutil"
)

// Desktop holds the methods bound into the window (window.go.app.Desktop.* in JavaScript).
// Each acts as the window's logged-in user and makes one backend call; errors reject the
// promise with the API's {"error": {"code", "message"}} JSON, as the frontend parses
// (frontend/src/api/errors.ts parseRejection).
type Desktop struct {
	w *Window
}

// NewDesktop returns the bound methods of a window.
func NewDesktop(w *Window) *Desktop { return &Desktop{w: w} }

// Login logs the window in with a username and token: the web UI's login in the window
// (the window keeps the session; the web view keeps no cookie). It resolves with the
// answer of POST /auth/login (docs/api.md), and rejects as that route would.
func (d *Desktop) Login(username, token string) (contract.SessionOutput, error) {
	out, err := d.w.Login(context.Background(), username, token)
	if err != nil {
		return contract.SessionOutput{}, rejection(err)
	}
	return out, nil
}

// Logout ends the window's session: the web UI's logout in the window.
func (d *Desktop) Logout() error {
	d.w.Logout(context.Background())
	return nil
}

// Showing is told what the window's page shows whenever that changes (the web UI's
// frontend/src/api/shell.ts): the window's title follows it, and a page showing nobody
// logged in ends the window's session.
func (d *Desktop) Showing(view contract.DesktopView) error {
	d.w.Showing(context.Background(), view)
	return nil
}

// SaveRequestFile asks where to save a request's file and saves it there: the checker's
// download (audited as REQUEST_FILE_DOWNLOAD; only output checkers who are not the author
// may). It returns where the file was saved, or "" when the user cancelled.
func (d *Desktop) SaveRequestFile(requestID, path string) (string, error) {
	s, err := d.w.current()
	if err != nil {
		return "", rejection(err)
	}
	rt, err := d.w.runtime()
	if err != nil {
		return "", rejection(err)
	}
	dest, err := rt.SaveFileDialog("Save "+cleanName(path), cleanName(path))
	if err != nil || dest == "" {
		return "", rejection(err)
	}
	ctx := context.Background()
	src, err := d.w.backend.OpenDownload(ctx, s.id, requestID, path)
	if err != nil {
		return "", rejection(err)
	}
	defer src.Close()
	if err := saveFile(dest, src); err != nil {
		return "", rejection(airlock.WrapError(airlock.CodeInvalid, err, "The file could not be saved to %s", dest))
	}
	return dest, nil
}

// OpenContainingFolder shows the folder that holds a workspace file in the OS file
// manager (only when the desktop runs its own backend: otherwise the folders are on the
// server).
func (d *Desktop) OpenContainingFolder(workspace, path string) error {
	s, err := d.w.current()
	if err != nil {
		return rejection(err)
	}
	rt, err := d.w.runtime()
	if err != nil {
		return rejection(err)
	}
	dir, err := d.w.backend.WorkspaceFolder(context.Background(), s.id, workspace, path)
	if err != nil {
		return rejection(err)
	}
	if err := rt.OpenFolder(dir); err != nil {
		return rejection(airlock.WrapError(airlock.CodeUnavailable, err, "The folder could not be opened"))
	}
	return nil
}

// saveFile copies src to dest atomically (fsutil.WriteFileAt), so dest is never half
// written.
func saveFile(dest string, src io.Reader) error {
	return fsutil.WriteFileAt(dest, "."+filepath.Base(dest)+".part-", 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// rejection is the error a bound method returns: the API's error body as its text.
func rejection(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errNoRuntime) {
		err = airlock.WrapError(airlock.CodeUnavailable, err, "The desktop window is not ready yet")
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{
		"code": string(airlock.ErrorCode(err)), "message": airlock.ErrorMessage(err),
	}})
	return fmt.Errorf("%s", body)
}
