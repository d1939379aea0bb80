package workspace

import (
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// validName reports whether ws is a usable workspace folder name: one path segment, not
// hidden, no separators or NUL.
func validName(ws string) bool {
	if ws == "" || strings.HasPrefix(ws, ".") {
		return false
	}
	return !strings.ContainsAny(ws, "/\\\x00")
}

// validRel reports whether p is a clean workspace-relative POSIX path: not empty, not
// absolute, no backslash or NUL, no empty, "." or ".." segments.
func validRel(p string) bool {
	if p == "" || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

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
