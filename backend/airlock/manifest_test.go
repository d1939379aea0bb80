package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// §4.4.2 and §2.3: in a workspace with a job-runner manifest only its (non-excluded)
// outputs can be added or updated, as OUTPUT or SUPPORTING; plain folders are not concerned.
func TestCheckCanAddWorkspaceFile_Manifest(t *testing.T) {
	p := DefaultPolicy()
	small := DefaultPolicy()
	small.MaxFileSize = 10
	alice := researcher("alice")
	r := newReq(StatusPending)
	cases := []struct {
		name    string
		f       WorkspaceFile
		message string // "" when it may be added
	}{
		{"a manifest output", WorkspaceFile{Path: "out/b.csv", Manifest: ManifestOutput}, ""},
		{"a plain folder's file", WorkspaceFile{Path: "out/b.csv", Manifest: ManifestNone}, ""},
		{"a plain folder's log", WorkspaceFile{Path: "metadata/job.log", Manifest: ManifestNone}, ""},
		{"a job log", WorkspaceFile{Path: "metadata/job.log", Manifest: ManifestUnlisted},
			"No entry for metadata/job.log in the workspace's manifest.json: job logs and other metadata files are not outputs and cannot be added to a request"},
		{"the manifest itself", WorkspaceFile{Path: "metadata/manifest.json", Manifest: ManifestUnlisted},
			"No entry for metadata/manifest.json in the workspace's manifest.json: job logs and other metadata files are not outputs and cannot be added to a request"},
		{"an exclusion notice", WorkspaceFile{Path: "out/big.csv.txt", Manifest: ManifestExcludedNotice},
			"No entry for out/big.csv.txt in the workspace's manifest.json: it is job-runner's notice that the output out/big.csv was excluded, not an output, and cannot be added to a request"},
		{"a stray file", WorkspaceFile{Path: "out/stray.csv", Manifest: ManifestUnlisted},
			"No entry for out/stray.csv in the workspace's manifest.json: only outputs the manifest lists can be added to a request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, ft := range []FileType{FileTypeOutput, FileTypeSupporting} {
				err := CheckCanAddWorkspaceFile(alice, r, c.f, WorkspaceUnreleased, ft, p)
				assert.Equal(t, err == nil, CanAddWorkspaceFile(alice, r, c.f, WorkspaceUnreleased, ft, p))
				assert.Equal(t, err == nil, CheckListedInManifest(c.f) == nil)
				if c.message == "" {
					assert.NoError(t, err, ft)
					continue
				}
				assert.Equal(t, CodeInvalid, ErrorCode(err), ft)
				assert.Equal(t, c.message, ErrorMessage(err), ft)
			}
		})
	}

	t.Run("the request's own refusals come first", func(t *testing.T) {
		log := WorkspaceFile{Path: "metadata/job.log", Manifest: ManifestUnlisted}
		err := CheckCanAddWorkspaceFile(researcher("carol"), r, log, WorkspaceUnreleased, FileTypeOutput, p)
		assert.Equal(t, CodePermissionDenied, ErrorCode(err), "carol is not the author")
		err = CheckCanAddWorkspaceFile(alice, newReq(StatusSubmitted), log, WorkspaceUnreleased, FileTypeOutput, p)
		assert.Equal(t, CodeInvalidState, ErrorCode(err))
	})
	t.Run("then the listing, before the status and the size", func(t *testing.T) {
		notice := WorkspaceFile{Path: "out/big.csv.txt", Manifest: ManifestExcludedNotice, Size: 1 << 40}
		err := CheckCanAddWorkspaceFile(alice, r, notice, WorkspaceReleased, FileTypeOutput, small)
		assert.Contains(t, ErrorMessage(err), "job-runner's notice")
		out := WorkspaceFile{Path: "out/b.csv", Manifest: ManifestOutput, Size: 11}
		err = CheckCanAddWorkspaceFile(alice, r, out, WorkspaceUnreleased, FileTypeOutput, small)
		assert.Equal(t, CodeTooLarge, ErrorCode(err))
		err = CheckCanAddWorkspaceFile(alice, r, out, WorkspaceReleased, FileTypeOutput, p)
		assert.Equal(t, "Released files cannot be added as output files", ErrorMessage(err))
	})
	t.Run("update takes new content only from a listed output", func(t *testing.T) {
		// out/a.csv is on r; its path now holds something the manifest does not list.
		for _, m := range []ManifestListing{ManifestUnlisted, ManifestExcludedNotice} {
			f := WorkspaceFile{Path: "out/a.csv", Manifest: m}
			err := CheckCanUpdateWorkspaceFile(alice, r, f, WorkspaceUpdated, p)
			assert.Equal(t, CodeInvalid, ErrorCode(err), m)
			assert.False(t, CanUpdateWorkspaceFile(alice, r, f, WorkspaceUpdated, p))
		}
		f := WorkspaceFile{Path: "out/a.csv", Manifest: ManifestOutput}
		assert.NoError(t, CheckCanUpdateWorkspaceFile(alice, r, f, WorkspaceUpdated, p))
		assert.Equal(t, CodeTooLarge, ErrorCode(CheckCanUpdateWorkspaceFile(alice, r, WorkspaceFile{Path: "out/a.csv", Size: 11}, WorkspaceUpdated, small)))
	})
}
