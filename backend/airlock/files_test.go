package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// §2.7 and docs/decisions.md §8: allowed file types, case-insensitive, configurable.
func TestIsAllowedFileType_Decision8(t *testing.T) {
	p := DefaultPolicy()
	for _, ok := range []string{"a.csv", "out/x.CSV", "d/e.Jpeg", "x.svgz", "m.md", "l.log", "t.TXT", "a.b.json"} {
		assert.True(t, IsAllowedFileType(ok, p), ok)
	}
	for _, bad := range []string{"a.foo", "out/.hidden.csv", "a.pdf", "a.tsv", "csv", "dir/", "a.csv.zip", ""} {
		assert.False(t, IsAllowedFileType(bad, p), bad)
	}
	custom := Policy{AllowedExtensions: []string{".PDF"}}
	assert.True(t, IsAllowedFileType("x.pdf", custom))
	assert.False(t, IsAllowedFileType("x.csv", custom))
	assert.Equal(t, ".CSV", FileExt("out/x.CSV"))
}

// Behaviours 10, 12, 13, 14, 15: workspace file status for the viewing user (§2.6).
func TestFileStatusFor_Behaviour10to15(t *testing.T) {
	alice := researcher("alice")
	none := map[string]bool{}
	// 10: INVALID → UNRELEASED → UNRELEASED (not on request) → UNDER_REVIEW → UPDATED
	assert.Equal(t, WorkspaceInvalid, FileStatusFor(alice, "out/a.csv", "hash-a", false, none, nil))
	assert.Equal(t, WorkspaceUnreleased, FileStatusFor(alice, "out/a.csv", "hash-a", true, none, nil))
	r := newReq(StatusPending)
	assert.Equal(t, WorkspaceUnreleased, FileStatusFor(alice, "out/other.csv", "h", true, none, r))
	assert.Equal(t, WorkspaceUnderReview, FileStatusFor(alice, "out/a.csv", "hash-a", true, none, r))
	assert.Equal(t, WorkspaceUpdated, FileStatusFor(alice, "out/a.csv", "hash-changed", true, none, r))
	// 12: released by content hash, any path; the supporting file stays UNRELEASED
	released := map[string]bool{"hash-a": true}
	assert.Equal(t, WorkspaceReleased, FileStatusFor(alice, "out/a.csv", "hash-a", true, released, nil))
	assert.Equal(t, WorkspaceReleased, FileStatusFor(alice, "elsewhere/copy.csv", "hash-a", true, released, nil))
	assert.Equal(t, WorkspaceUnreleased, FileStatusFor(alice, "out/notes.txt", "hash-n", true, released, nil))
	// 13: a file on another user's request is UNRELEASED to the viewer
	assert.Equal(t, WorkspaceUnreleased, FileStatusFor(researcher("carol"), "out/a.csv", "hash-a", true, none, r))
	// 14: withdrawn from a RETURNED request
	ret := newReq(StatusReturned)
	ret.File("out/a.csv").FileType = FileTypeWithdrawn
	assert.Equal(t, WorkspaceWithdrawn, FileStatusFor(alice, "out/a.csv", "hash-a", true, none, ret))
	// 15: ... and once its manifest entry is gone, INVALID
	assert.Equal(t, WorkspaceInvalid, FileStatusFor(alice, "out/a.csv", "hash-a", false, none, ret))
}

// Behaviours 28, 31, 32 and §4.4.2: add-file policy, in order.
func TestCheckCanAddFile_Policy(t *testing.T) {
	p := DefaultPolicy()
	alice := researcher("alice")
	r := newReq(StatusPending)
	cases := []struct {
		name    string
		path    string
		st      WorkspaceFileStatus
		ft      FileType
		code    Code
		message string
	}{
		{"28: bad type", "path/file.foo", WorkspaceUnreleased, FileTypeOutput, CodeInvalid, "Cannot add file of type .foo to request"},
		{"upper-case type is fine", "out/B.CSV", WorkspaceUnreleased, FileTypeOutput, "", ""},
		{"supporting", "out/b.txt", WorkspaceUnreleased, FileTypeSupporting, "", ""},
		{"cannot add as withdrawn", "out/b.txt", WorkspaceUnreleased, FileTypeWithdrawn, CodeInvalid, "Cannot add a file as WITHDRAWN"},
		{"under review", "out/b.csv", WorkspaceUnderReview, FileTypeOutput, CodeInvalidState, "This file is already on a request that is being reviewed"},
		{"updated", "out/b.csv", WorkspaceUpdated, FileTypeOutput, CodeInvalidState, "This file is already on your request and has changed since it was added: update it instead"},
		{"invalid", "out/b.csv", WorkspaceInvalid, FileTypeOutput, CodeInvalidState, "This file is no longer a valid output of the workspace"},
		{"31: released as output", "out/b.csv", WorkspaceReleased, FileTypeOutput, CodeInvalid, "Released files cannot be added as output files"},
		{"31: released as supporting", "out/b.csv", WorkspaceReleased, FileTypeSupporting, "", ""},
		{"32: already on request", "out/a.csv", WorkspaceUnreleased, FileTypeSupporting, CodeConflict, "Output file has already been added to request (in file group 'g1')"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCanAddFile(alice, r, c.path, c.st, c.ft, p)
			assert.Equal(t, err == nil, CanAddFile(alice, r, c.path, c.st, c.ft, p))
			if c.code == "" {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, c.code, ErrorCode(err))
			assert.Equal(t, c.message, ErrorMessage(err))
		})
	}
	t.Run("supporting duplicate names its type", func(t *testing.T) {
		err := CheckCanAddFile(alice, r, "out/notes.txt", WorkspaceUnreleased, FileTypeOutput, p)
		assert.Equal(t, "Supporting file has already been added to request (in file group 'g1')", ErrorMessage(err))
	})
	t.Run("14: re-adding a withdrawn file", func(t *testing.T) {
		ret := newReq(StatusReturned)
		ret.File("out/a.csv").FileType = FileTypeWithdrawn
		assert.NoError(t, CheckCanAddFile(alice, ret, "out/a.csv", WorkspaceWithdrawn, FileTypeOutput, p))
	})
}

// Behaviour 35 and §4.4.3: update.
func TestCheckCanUpdateFile_Behaviour35(t *testing.T) {
	p := DefaultPolicy()
	alice := researcher("alice")
	r := newReq(StatusReturned)
	r.addFile("g1", "out/x.foo", FileTypeSupporting)
	assert.EqualError(t, CheckCanUpdateFile(alice, r, "out/x.foo", WorkspaceUpdated, p), "invalid: Cannot update file of type .foo in request")
	assert.EqualError(t, CheckCanUpdateFile(alice, r, "out/a.csv", WorkspaceInvalid, p),
		"invalid_state: File is no longer a valid output file in the workspace; it can be withdrawn but not modified")
	assert.EqualError(t, CheckCanUpdateFile(alice, r, "out/a.csv", WorkspaceUnderReview, p),
		"invalid_state: This file has not changed in the workspace since it was added to the request")
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanUpdateFile(alice, r, "out/missing.csv", WorkspaceUpdated, p)))
	assert.NoError(t, CheckCanUpdateFile(alice, r, "out/a.csv", WorkspaceUpdated, p))
	r.Status = StatusSubmitted
	assert.Equal(t, CodeInvalidState, ErrorCode(CheckCanUpdateFile(alice, r, "out/a.csv", WorkspaceUpdated, p)), "36: only PENDING/RETURNED")
}

// Behaviours 37, 38, 42, 43, 44, 45 and §4.4.5: change group or type.
func TestCheckCanChangeFileProperties(t *testing.T) {
	alice := researcher("alice")
	r := newReq(StatusReturned)
	r.addFile("g1", "out/w.csv", FileTypeWithdrawn)
	change := func(path string, st WorkspaceFileStatus, group string, ft FileType) error {
		return CheckCanChangeFileProperties(alice, r, path, st, group, ft)
	}
	assert.NoError(t, change("out/a.csv", WorkspaceUnderReview, "g2", ""), "37: new group")
	assert.NoError(t, change("out/a.csv", WorkspaceUnderReview, "", FileTypeSupporting), "37: new type")
	assert.EqualError(t, change("out/a.csv", WorkspaceUnderReview, "g1", FileTypeOutput), "invalid: No changes to make", "42: no-op")
	assert.EqualError(t, change("out/notes.txt", WorkspaceReleased, "", FileTypeOutput),
		"invalid: Released files cannot be added as output files", "38")
	assert.NoError(t, change("out/notes.txt", WorkspaceReleased, "g2", ""), "44: released supporting file may change group")
	assert.NoError(t, change("out/a.csv", WorkspaceInvalid, "g2", ""), "44: no longer in the manifest")
	assert.NoError(t, change("out/a.csv", WorkspaceUpdated, "g2", ""), "45: content-updated file can move")
	assert.EqualError(t, change("out/w.csv", WorkspaceWithdrawn, "g2", ""),
		"invalid_state: Cannot change file group or type for a withdrawn file", "43")
	assert.Equal(t, CodeInvalid, ErrorCode(change("out/a.csv", WorkspaceUnderReview, "", FileTypeWithdrawn)))
	assert.Equal(t, CodeNotFound, ErrorCode(change("out/nope.csv", WorkspaceUnderReview, "g2", "")))
	r.Status = StatusSubmitted
	err := change("out/a.csv", WorkspaceUnderReview, "g2", "")
	assert.EqualError(t, err, "invalid_state: This request is being reviewed: it can be changed again only if the output checkers return it", "43")
	err = CheckCanChangeFileProperties(researcher("carol"), newReq(StatusPending), "out/a.csv", WorkspaceUnderReview, "g2", "")
	assert.Equal(t, CodePermissionDenied, ErrorCode(err))
}

// Behaviours 39, 40, 41 and §4.4.6: withdraw a file.
func TestCheckCanWithdrawFile_Behaviour41(t *testing.T) {
	alice := researcher("alice")
	r := newReq(StatusReturned)
	assert.NoError(t, CheckCanWithdrawFile(alice, r, "out/a.csv"))
	assert.False(t, WithdrawDeletes(r), "40: RETURNED keeps the file as WITHDRAWN")
	assert.True(t, WithdrawDeletes(newReq(StatusPending)), "39: PENDING removes it")
	for _, st := range []Status{StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusApproved,
		StatusRejected, StatusWithdrawn, StatusReleased} {
		r.Status = st
		err := CheckCanWithdrawFile(alice, r, "out/a.csv")
		assert.Equal(t, CodeInvalidState, ErrorCode(err), st)
		assert.Equal(t, ErrorMessage(CheckCanEdit(alice, r)), ErrorMessage(err), "the reason says why the request cannot change: %s", st)
	}
	r.Status = StatusReturned
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanWithdrawFile(researcher("carol"), r, "out/a.csv")), "non-author")
	r.File("out/a.csv").FileType = FileTypeWithdrawn
	assert.EqualError(t, CheckCanWithdrawFile(alice, r, "out/a.csv"), "invalid_state: File has already been withdrawn from request")
	// unknown path is not_found, checked before permissions
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanWithdrawFile(researcher("carol"), r, "bad/path.csv")))
}

func TestCheckCanEditGroup(t *testing.T) {
	alice := researcher("alice")
	r := newReq(StatusPending)
	assert.NoError(t, CheckCanEditGroup(alice, r, "g1"))
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanEditGroup(alice, r, "nope")))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanEditGroup(researcher("carol"), r, "g1")))
}

// TestIndexedFindsWhatFileFinds: File on an Indexed copy answers as File on the request, for
// every file, the first of duplicate relpaths, and unknown paths; the original keeps
// scanning, so files added to it later are found.
func TestIndexedFindsWhatFileFinds(t *testing.T) {
	a := &RequestFile{RelPath: "out/a.csv", Group: "g1"}
	b := &RequestFile{RelPath: "out/b.csv", Group: "g1", FileType: FileTypeWithdrawn}
	dup := &RequestFile{RelPath: "out/a.csv", Group: "g2"}
	c := &RequestFile{RelPath: "out/c.csv", Group: "g2"}
	r := &ReleaseRequest{ID: "r", Groups: []*FileGroup{
		{Name: "g1", Files: []*RequestFile{a, b}},
		{Name: "g2", Files: []*RequestFile{dup, c}},
	}}
	ix := r.Indexed()
	for _, p := range []string{"out/a.csv", "out/b.csv", "out/c.csv", "out/none.csv", ""} {
		if ix.File(p) != r.File(p) {
			t.Errorf("File(%q): indexed %v, scanned %v", p, ix.File(p), r.File(p))
		}
	}
	if ix.File("out/a.csv") != a {
		t.Errorf("duplicate relpath: want the first group's file")
	}
	if ix.ID != r.ID || len(ix.Groups) != 2 {
		t.Errorf("copy differs: %+v", ix)
	}
	d := &RequestFile{RelPath: "out/d.csv", Group: "g2"}
	r.Groups[1].Files = append(r.Groups[1].Files, d)
	if r.File("out/d.csv") != d {
		t.Errorf("the original must not use an index")
	}
}
