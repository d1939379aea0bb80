package airlock

import (
	"errors"
	"testing"
	"time"
)

func TestCheckCanAttemptUpload(t *testing.T) {
	now := time.Now()
	r := &ReleaseRequest{ID: "r1", Status: StatusApproved, Groups: []*FileGroup{
		{Name: "g", Files: []*RequestFile{
			{RelPath: "a.csv", Group: "g", FileType: FileTypeOutput, ReleasedAt: &now},
			{RelPath: "b.csv", Group: "g", FileType: FileTypeOutput, ReleasedAt: &now, Uploaded: true, UploadedAt: &now},
			{RelPath: "c.csv", Group: "g", FileType: FileTypeOutput},
		}},
	}}
	if f, err := CheckCanAttemptUpload(r, "a.csv"); err != nil || f.RelPath != "a.csv" {
		t.Fatalf("a released file not yet uploaded: %v %v", f, err)
	}
	for path, why := range map[string]string{
		"b.csv": "File b.csv has already been uploaded",
		"c.csv": "File c.csv has not been released",
	} {
		_, err := CheckCanAttemptUpload(r, path)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidState || e.Message != why {
			t.Errorf("%s: got %v, want %q (%s)", path, err, why, CodeInvalidState)
		}
	}
	if _, err := CheckCanAttemptUpload(r, "nope.csv"); ErrorCode(err) != CodeNotFound {
		t.Errorf("unknown file: %v", err)
	}
}
