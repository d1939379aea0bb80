package airlock

import (
	"path"
	"slices"
	"strings"
)

// Policy holds the settings that rules depend on (docs/decisions.md §8, §9).
type Policy struct {
	// RequiredReviews is how many submitted reviews make a request REVIEWED, and how many
	// approvals from submitted reviewers approve a file. At least 1.
	RequiredReviews int
	// AllowedExtensions are the file suffixes (with the dot) that may be added to a request,
	// matched case-insensitively.
	AllowedExtensions []string
	// MaxFileSize is the largest file, in bytes, that may be added to a request or taken
	// into it as an update (docs/decisions.md §8); 0 (or less) is no limit, as the
	// reference (§2.7).
	MaxFileSize int64
	// MaxFileSizeReason, when set, says where the limit comes from; the refusal adds it
	// (e.g. "job-server accepts released files of at most 16 MiB").
	MaxFileSizeReason string
}

// DefaultAllowedExtensions is the reference allow-list (§2.7).
var DefaultAllowedExtensions = []string{
	".csv", ".jpg", ".jpeg", ".png", ".svg", ".svgz", ".html", ".txt", ".log", ".json", ".md",
}

// DefaultPolicy is the reference behaviour: two reviews, the reference allow-list.
func DefaultPolicy() Policy {
	return Policy{RequiredReviews: 2, AllowedExtensions: slices.Clone(DefaultAllowedExtensions)}
}

// Reviews is RequiredReviews, never less than 1.
func (p Policy) Reviews() int {
	if p.RequiredReviews < 1 {
		return 1
	}
	return p.RequiredReviews
}

// IsAllowedFileType reports whether path may be added to a request: its base name does not
// start with "." and its last suffix is on the allow-list, compared case-insensitively
// (docs/decisions.md §8).
func IsAllowedFileType(p string, pol Policy) bool {
	base := path.Base(p)
	if base == "" || base == "." || base == "/" || strings.HasPrefix(base, ".") {
		return false
	}
	ext := strings.ToLower(path.Ext(base))
	if ext == "" {
		return false
	}
	for _, a := range pol.AllowedExtensions {
		if strings.ToLower(a) == ext {
			return true
		}
	}
	return false
}

// FileExt is the last suffix of p as written (".CSV"), or "" when there is none.
func FileExt(p string) string { return path.Ext(path.Base(p)) }
