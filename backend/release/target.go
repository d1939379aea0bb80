// Package release delivers released files: the outbox folder (the embedded default) or
// job-server's release API, the retrying Uploader that drives either, and the Notifier that
// tells job-server of every status change.
//
// job-server's side of the protocol is docs/reference/domain.md §7 (a bare "§N" in this
// package cites that document, and "behaviour N" is its §12.N).
package release

import (
	"context"
	"io"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// OpenFunc opens the request's stored copy of a file (never the workspace file). Each call
// returns a fresh reader positioned at the start.
type OpenFunc func() (io.ReadCloser, error)

// Target is where released files go. Both targets are idempotent: creating a release that
// exists, or delivering a file that is already there, succeeds.
type Target interface {
	// Name names the target in logs and metrics ("outbox", "job-server").
	Name() string
	// CreateRelease prepares the destination of a request's release before anything changes
	// state (it implements service.Releaser). It returns the id the target knows the release
	// by, which the service stores on the request ("" when the target has no such id).
	CreateRelease(ctx context.Context, actor airlock.User, r *airlock.ReleaseRequest, files []airlock.ReleaseFile) (string, error)
	// Upload delivers the stored copy of one released file of r.
	Upload(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile, open OpenFunc) error
}

// ReleasedFiles returns the files of r the uploader delivers: the released files (only
// output files are ever released), in request order.
func ReleasedFiles(r *airlock.ReleaseRequest) []*airlock.RequestFile {
	var out []*airlock.RequestFile
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.ReleasedAt != nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// cleanName checks that s is usable as one path segment (a workspace name or request id):
// fsutil.CheckName.
func cleanName(kind, s string) error {
	if fsutil.CheckName(s) != nil {
		return airlock.Errorf(airlock.CodeInvalid, "Unsafe %s name %q for a release folder.", kind, s)
	}
	return nil
}
