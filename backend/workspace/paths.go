package workspace

import (
	"strings"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// validName reports whether ws is a usable workspace folder name: one path segment
// (fsutil.CheckName), not hidden.
func validName(ws string) bool { return fsutil.CheckName(ws) == nil && !strings.HasPrefix(ws, ".") }

// validRel reports whether p is a clean workspace-relative POSIX path (fsutil.CheckRelPath:
// relative, clean, no "." or ".." segment, no backslash or control character).
func validRel(p string) bool { return fsutil.CheckRelPath(p) == nil }

// hidden reports whether any segment of the relative path p starts with a dot.
func hidden(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func errNoWorkspace(ws string) error {
	return airlock.Errorf(airlock.CodeNotFound, "Workspace '%s' was not found.", ws)
}

func errBadPath(p string) error {
	return airlock.Errorf(airlock.CodeNotFound, "Path '%s' is not a valid file or directory path in this workspace.", p)
}
