package airlock

import (
	"fmt"
	"strconv"
)

// The size limit on files of a request (docs/decisions.md §8: the size limits are
// configuration; the reference has none, §2.7). It is checked against the size the
// workspace reports before anything is copied (docs/decisions.md §7).

// CheckFileSize: a workspace file of size bytes is within p's size limit (always, when
// p.MaxFileSize is 0). The refusal is CodeTooLarge, naming the file, its size and the limit,
// and where the limit comes from when p says so (p.MaxFileSizeReason).
func CheckFileSize(relpath string, size int64, p Policy) error {
	if p.MaxFileSize <= 0 || size <= p.MaxFileSize {
		return nil
	}
	got, limit := sizeOverLimit(size, p.MaxFileSize)
	if p.MaxFileSizeReason != "" {
		return Errorf(CodeTooLarge, "File %s is %s, larger than the limit of %s for files on a request (%s)",
			relpath, got, limit, p.MaxFileSizeReason)
	}
	return Errorf(CodeTooLarge, "File %s is %s, larger than the limit of %s for files on a request", relpath, got, limit)
}

// CanAddFileOfSize: see CheckCanAddFileOfSize.
func CanAddFileOfSize(u User, r *ReleaseRequest, relpath string, size int64, st WorkspaceFileStatus, ft FileType, p Policy) bool {
	return CheckCanAddFileOfSize(u, r, relpath, size, st, ft, p) == nil
}

// CheckCanAddFileOfSize is CheckCanAddFile for a workspace file of size bytes: once
// everything else allows adding it, it must also be within the size limit (CheckFileSize),
// so that a refusal about the request or the file's state comes first.
func CheckCanAddFileOfSize(u User, r *ReleaseRequest, relpath string, size int64, st WorkspaceFileStatus, ft FileType, p Policy) error {
	if err := CheckCanAddFile(u, r, relpath, st, ft, p); err != nil {
		return err
	}
	return CheckFileSize(relpath, size, p)
}

// CanUpdateFileOfSize: see CheckCanUpdateFileOfSize.
func CanUpdateFileOfSize(u User, r *ReleaseRequest, relpath string, size int64, st WorkspaceFileStatus, p Policy) bool {
	return CheckCanUpdateFileOfSize(u, r, relpath, size, st, p) == nil
}

// CheckCanUpdateFileOfSize is CheckCanUpdateFile for a workspace file whose current content
// is size bytes: once everything else allows the update, the new content must be within
// the size limit (CheckFileSize).
func CheckCanUpdateFileOfSize(u User, r *ReleaseRequest, relpath string, size int64, st WorkspaceFileStatus, p Policy) error {
	if err := CheckCanUpdateFile(u, r, relpath, st, p); err != nil {
		return err
	}
	return CheckFileSize(relpath, size, p)
}

type sizeUnit struct {
	bytes int64
	name  string
}

var (
	binaryUnits  = []sizeUnit{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}}
	decimalUnits = []sizeUnit{{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}}
)

// FormatSize writes n bytes for people, in the largest unit not above n: a whole number of
// binary units (KiB, MiB, GiB, TiB) or else of decimal units (kB, MB, GB, TB) when n is one
// ("16 MiB", "1 GB"), otherwise binary units to one decimal ("1.5 KiB", "16.0 MiB"); below
// any unit in bytes ("1 byte", "1,023 bytes").
func FormatSize(n int64) string {
	s, _ := formatSize(n)
	return s
}

// formatSize is FormatSize and the units it chose.
func formatSize(n int64) (string, []sizeUnit) {
	if n >= 1000 {
		if q := roundIn(n, binaryUnits); !(q.exact && q.unit != "") {
			if s, exact := formatIn(n, decimalUnits); exact {
				return s, decimalUnits
			}
		}
	}
	s, _ := formatIn(n, binaryUnits)
	return s, binaryUnits
}

// formatIn writes n in the largest of units not above it, rounded to one decimal, and
// reports whether that is exact; below the smallest unit it is in bytes (exact).
func formatIn(n int64, units []sizeUnit) (string, bool) {
	q := roundIn(n, units)
	switch {
	case q.unit == "":
		return bytesText(n), true
	case q.exact:
		return fmt.Sprintf("%d %s", q.whole, q.unit), true
	}
	return fmt.Sprintf("%d.%d %s", q.whole, q.tenths, q.unit), false
}

// rounded is a size in a unit, to one decimal.
type rounded struct {
	whole, tenths int64
	unit          string // "" below the smallest unit
	exact         bool
}

// roundIn is n in the largest of units not above it, to the nearest tenth.
func roundIn(n int64, units []sizeUnit) rounded {
	for _, u := range units {
		if n < u.bytes {
			continue
		}
		q := rounded{whole: n / u.bytes, unit: u.name}
		rem := n % u.bytes
		q.exact = rem == 0
		q.tenths = (rem*10 + u.bytes/2) / u.bytes // rem < 2^40: no overflow
		if q.tenths == 10 {
			q.whole, q.tenths = q.whole+1, 0
		}
		return q
	}
	return rounded{whole: n, exact: true}
}

func bytesText(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return groupDigits(n) + " bytes"
}

// groupDigits writes n with thousands separators (16,777,217).
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// sizeOverLimit writes a size above limit and the limit so that the difference shows: the
// size in the limit's kind of units (decimal for "1 GB", binary for "16 MiB"), and both in
// bytes when rounding would make them look the same ("16.0 MiB" over "16 MiB").
func sizeOverLimit(size, limit int64) (string, string) {
	lim, units := formatSize(limit)
	a, b := roundIn(size, units), roundIn(limit, units)
	if a.unit == b.unit && a.whole == b.whole && a.tenths == b.tenths {
		return bytesText(size), bytesText(limit)
	}
	got, _ := formatIn(size, units)
	return got, lim
}
