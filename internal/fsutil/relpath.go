package fsutil

import (
	"path"
	"strings"
)

// CheckRelPath is the one rule for a relative path Airlock reads from or writes below a
// folder it was given (a workspace, a release folder): a POSIX path, relative, in clean
// form, that stays below its folder. It refuses, with the reason:
//   - the empty path;
//   - an absolute path (a leading "/");
//   - a backslash anywhere (a separator on Windows);
//   - a control character anywhere (NUL included);
//   - a path not in clean form (doubled or trailing slashes, "." or ".." segments);
//   - a "." or ".." segment (the clean forms ".", ".." and "../…").
//
// The error's text is the reason alone ("absolute"); callers say what the path was for.
func CheckRelPath(p string) error {
	switch {
	case p == "":
		return errReason("empty")
	case strings.HasPrefix(p, "/"):
		return errReason("absolute")
	case strings.ContainsRune(p, '\\'):
		return errReason("contains a backslash")
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return errReason("contains a control character")
	case path.Clean(p) != p:
		return errReason("not in clean form")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return errReason("contains a relative segment")
		}
	}
	return nil
}

// errReason is CheckRelPath's error: the reason as its text.
type errReason string

func (e errReason) Error() string { return string(e) }

// CheckName is CheckRelPath for one path segment (a workspace name, a request id): it
// also refuses a slash.
func CheckName(s string) error {
	if strings.ContainsRune(s, '/') {
		return errReason("contains a slash")
	}
	return CheckRelPath(s)
}
