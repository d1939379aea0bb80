package fsutil

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var relPathCases = []struct {
	p, why string // why is "" for a safe path
}{
	{"a.csv", ""},
	{"out/a.csv", ""},
	{"out/sub/a b.csv", ""},
	{"..a/b", ""},
	{"a/..b", ""},
	{".hidden/a", ""},
	{"é/ü.csv", ""},
	{"", "empty"},
	{"/etc/passwd", "absolute"},
	{"/", "absolute"},
	{`out\a.csv`, "contains a backslash"},
	{`..\..\x`, "contains a backslash"},
	{"a\x00b", "contains a control character"},
	{"a\nb", "contains a control character"},
	{"a\x7fb", "contains a control character"},
	{"a//b", "not in clean form"},
	{"a/", "not in clean form"},
	{"./a", "not in clean form"},
	{"a/./b", "not in clean form"},
	{"a/../b", "not in clean form"},
	{"a/..", "not in clean form"},
	{".", "contains a relative segment"},
	{"..", "contains a relative segment"},
	{"../a", "contains a relative segment"},
	{"../../etc/passwd", "contains a relative segment"},
}

func TestCheckName(t *testing.T) {
	for _, c := range relPathCases {
		err := CheckName(c.p)
		switch {
		case strings.Contains(c.p, "/"):
			assert.EqualError(t, err, "contains a slash", "%q", c.p)
		case c.why == "":
			assert.NoError(t, err, "%q", c.p)
		default:
			assert.EqualError(t, err, c.why, "%q", c.p)
		}
	}
}

func TestCheckRelPath(t *testing.T) {
	for _, c := range relPathCases {
		err := CheckRelPath(c.p)
		if c.why == "" {
			assert.NoError(t, err, "%q", c.p)
			continue
		}
		if assert.Error(t, err, "%q", c.p) {
			assert.Equal(t, c.why, err.Error(), "%q", c.p)
		}
	}
}

// FuzzCheckRelPath: a path the rule accepts stays below its folder, is its own clean form
// and holds no separator but "/" and no control character; one it refuses says why.
func FuzzCheckRelPath(f *testing.F) {
	for _, c := range relPathCases {
		f.Add(c.p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := CheckRelPath(p)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q refused without a reason", p)
			}
			return
		}
		if !filepath.IsLocal(p) || path.Clean(p) != p || path.IsAbs(p) {
			t.Fatalf("%q accepted but not a clean local path", p)
		}
		if j := path.Join("root", p); !strings.HasPrefix(j, "root/") {
			t.Fatalf("%q accepted but joins to %q", p, j)
		}
		if strings.ContainsAny(p, "\\\x00") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("%q accepted with a backslash or control character", p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q accepted with segment %q", p, seg)
			}
		}
	})
}
