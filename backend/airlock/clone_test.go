package airlock

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullRequest has every field of the aggregate set, pointers and maps included.
func fullRequest() *ReleaseRequest {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	n := func(v int) *int { return &v }
	tp := func(t time.Time) *time.Time { return &t }
	f := &RequestFile{
		RelPath: "output/a.csv", Group: "g", FileType: FileTypeOutput, FileID: "sha", Size: 10,
		Timestamp: at, JobID: "j", Commit: "c", Repo: "r", RowCount: n(3), ColCount: n(2),
		ReviewedFileID: "older", Warnings: &WarningCounts{Info: 1, Warn: 2, Block: 3},
		Reviews: map[string]*FileReview{"carol": {Reviewer: "carol", Status: VoteApproved, ReviewTurn: 1,
			CreatedAt: at, UpdatedAt: at, Acknowledgement: "seen"}},
		ReleasedAt: tp(at), ReleasedBy: "carol", Uploaded: true, UploadedAt: tp(at),
		UploadAttempts: 1, UploadAttemptedAt: tp(at), UploadError: "e",
	}
	return &ReleaseRequest{
		ID: "r1", Workspace: "ws", Project: "p", Organisations: []string{"o"}, Author: "alice",
		Status: StatusReviewed, CreatedAt: at, LastSubmittedAt: tp(at),
		SubmittedReviews: map[string]time.Time{"carol": at}, ReviewTurn: 2, TurnReviewers: []string{"dave"},
		Groups: []*FileGroup{{Name: "g", Context: "x", Controls: "y", CreatedAt: at, UpdatedAt: at,
			Files:    []*RequestFile{f},
			Comments: []*Comment{{ID: "1", Author: "carol", Text: "t", Visibility: VisibilityPrivate, ReviewTurn: 1, CreatedAt: at}}}},
		ReleaseID: "rel",
	}
}

// sharedMemory reports the first pointer, map or slice that a and b share, walking both.
func sharedMemory(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return sharedMemory(a.Elem(), b.Elem(), path)
	case reflect.Map:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if p := sharedMemory(a.MapIndex(k), b.MapIndex(k), path+"["+k.String()+"]"); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.IsNil() || a.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := sharedMemory(a.Index(i), b.Index(i), path); p != "" {
				return p
			}
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return ""
		}
		for i := range a.NumField() {
			if p := sharedMemory(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// TestCloneIsDeep: a clone equals its original and shares no memory with it, so changing
// one never changes the other (a field added to the aggregate later and not cloned fails
// here once fullRequest sets it).
func TestCloneIsDeep(t *testing.T) {
	r := fullRequest()
	c := r.Clone()
	require.Equal(t, r, c)
	assert.Empty(t, sharedMemory(reflect.ValueOf(r), reflect.ValueOf(c), "ReleaseRequest"))

	// Every field of every type is set in the fixture.
	for _, v := range []any{*r, *r.Groups[0], *r.Groups[0].Files[0], *r.Groups[0].Comments[0], *r.Groups[0].Files[0].Reviews["carol"]} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			if rv.Type().Field(i).IsExported() {
				assert.False(t, rv.Field(i).IsZero(), "%s.%s is not set in the fixture", rv.Type().Name(), rv.Type().Field(i).Name)
			}
		}
	}

	// A clone of an indexed copy is not indexed, and changes to it stay in it.
	ic := r.Indexed().Clone()
	assert.Nil(t, ic.fileIndex)
	ic.Groups[0].Files[0].Reviews["carol"].Status = VoteChangesRequested
	ic.SubmittedReviews["erin"] = time.Time{}
	assert.Equal(t, VoteApproved, r.Groups[0].Files[0].Reviews["carol"].Status)
	assert.Len(t, r.SubmittedReviews, 1)
}
