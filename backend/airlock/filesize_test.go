package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:                   "0 bytes",
		1:                   "1 byte",
		900:                 "900 bytes",
		1000:                "1 kB", // exact in decimal, not in binary
		1023:                "1,023 bytes",
		1024:                "1 KiB",
		1536:                "1.5 KiB",
		16 << 20:            "16 MiB",
		16<<20 + 1:          "16.0 MiB",
		20_000_000:          "20 MB",
		21_495_808:          "20.5 MiB",
		1 << 30:             "1 GiB",
		1_000_000_000:       "1 GB",
		1<<30 - 1:           "1024.0 MiB",
		1_024_000:           "1000 KiB", // exact in both: binary first
		3 << 40:             "3 TiB",
		5_000_000_000_000:   "5 TB",
		9223372036854775807: "8388608.0 TiB",
	} {
		assert.Equal(t, want, FormatSize(n), "%d", n)
	}
}

// docs/decisions.md §8: the size limit is configuration; 0 is none (the reference).
func TestCheckFileSize(t *testing.T) {
	cases := []struct {
		name  string
		limit int64
		size  int64
		want  string // "" when allowed
	}{
		{"no limit: anything", 0, 1 << 50, ""},
		{"negative limit is none", -1, 1 << 40, ""},
		{"empty file", 16 << 20, 0, ""},
		{"exactly the limit", 16 << 20, 16 << 20, ""},
		{"one byte over", 16 << 20, 16<<20 + 1,
			"File out/big.csv is 16,777,217 bytes, larger than the limit of 16,777,216 bytes for files on a request"},
		{"well over, binary limit", 16 << 20, 21_495_808,
			"File out/big.csv is 20.5 MiB, larger than the limit of 16 MiB for files on a request"},
		{"over a decimal limit, in decimal units", 1_000_000_000, 1_200_000_000,
			"File out/big.csv is 1.2 GB, larger than the limit of 1 GB for files on a request"},
		{"much larger: a bigger unit", 1 << 20, 3 << 30,
			"File out/big.csv is 3 GiB, larger than the limit of 1 MiB for files on a request"},
		{"a limit in bytes", 500, 501,
			"File out/big.csv is 501 bytes, larger than the limit of 500 bytes for files on a request"},
		{"rounded alike: bytes", 1_234_567, 1_250_000,
			"File out/big.csv is 1,250,000 bytes, larger than the limit of 1,234,567 bytes for files on a request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckFileSize("out/big.csv", c.size, Policy{MaxFileSize: c.limit})
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, CodeTooLarge, ErrorCode(err))
			assert.Equal(t, c.want, ErrorMessage(err))
		})
	}
}

// Adding and updating a file over the limit is refused with CodeTooLarge, after every other
// reason (who may edit, the file's type and state come first).
func TestCheckCanAddAndUpdateFileOfSize(t *testing.T) {
	p := DefaultPolicy()
	p.MaxFileSize = 1 << 20
	alice := researcher("alice")
	const big, small = 2 << 20, 1 << 20
	cases := []struct {
		name   string
		update bool
		u      User
		r      *ReleaseRequest
		path   string
		size   int64
		st     WorkspaceFileStatus
		code   Code
	}{
		{"add: within the limit", false, alice, newReq(StatusPending), "out/b.csv", small, WorkspaceUnreleased, ""},
		{"add: over the limit", false, alice, newReq(StatusPending), "out/b.csv", big, WorkspaceUnreleased, CodeTooLarge},
		{"add: not the author first", false, researcher("bob"), newReq(StatusPending), "out/b.csv", big, WorkspaceUnreleased, CodePermissionDenied},
		{"add: not editable first", false, alice, newReq(StatusSubmitted), "out/b.csv", big, WorkspaceUnreleased, CodeInvalidState},
		{"add: bad type first", false, alice, newReq(StatusPending), "out/b.foo", big, WorkspaceUnreleased, CodeInvalid},
		{"add: already on the request first", false, alice, newReq(StatusPending), "out/a.csv", big, WorkspaceUnreleased, CodeConflict},
		{"update: within the limit", true, alice, newReq(StatusPending), "out/a.csv", small, WorkspaceUpdated, ""},
		{"update: over the limit", true, alice, newReq(StatusPending), "out/a.csv", big, WorkspaceUpdated, CodeTooLarge},
		{"update: not updated first", true, alice, newReq(StatusPending), "out/a.csv", big, WorkspaceUnderReview, CodeInvalidState},
		{"update: not on the request first", true, alice, newReq(StatusPending), "out/b.csv", big, WorkspaceUpdated, CodeNotFound},
		{"update: not editable first", true, alice, newReq(StatusSubmitted), "out/a.csv", big, WorkspaceUpdated, CodeInvalidState},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			var can bool
			if c.update {
				err = CheckCanUpdateFileOfSize(c.u, c.r, c.path, c.size, c.st, p)
				can = CanUpdateFileOfSize(c.u, c.r, c.path, c.size, c.st, p)
			} else {
				err = CheckCanAddFileOfSize(c.u, c.r, c.path, c.size, c.st, FileTypeOutput, p)
				can = CanAddFileOfSize(c.u, c.r, c.path, c.size, c.st, FileTypeOutput, p)
			}
			assert.Equal(t, err == nil, can)
			assert.Equal(t, c.code, ErrorCode(err), "%v", err)
			if c.code == CodeTooLarge {
				assert.Equal(t, "File "+c.path+" is 2 MiB, larger than the limit of 1 MiB for files on a request", ErrorMessage(err))
			}
		})
	}
	t.Run("no limit by default", func(t *testing.T) {
		assert.NoError(t, CheckCanAddFileOfSize(alice, newReq(StatusPending), "out/b.csv", 1<<50, WorkspaceUnreleased, FileTypeOutput, DefaultPolicy()))
		assert.Zero(t, DefaultPolicy().MaxFileSize)
	})
}
