package testenv

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// FileDef describes one file of a factory-made request.
type FileDef struct {
	Path    string
	Content string
	Group   string
	Type    airlock.FileType
	// Votes are what Checker1 and Checker2 vote when the factory reviews the request.
	Votes [2]airlock.Vote
}

// FileOption changes a FileDef.
type FileOption func(*FileDef)

// DefaultGroup is the group factory files go to unless told otherwise.
const DefaultGroup = "group"

// File describes an OUTPUT file at path in DefaultGroup, with content derived from the path,
// that both factory reviewers approve.
func File(path string, opts ...FileOption) FileDef {
	f := FileDef{
		Path: path, Content: fmt.Sprintf("content of %s\n", path), Group: DefaultGroup,
		Type: airlock.FileTypeOutput, Votes: [2]airlock.Vote{airlock.VoteApproved, airlock.VoteApproved},
	}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// Supporting makes the file a SUPPORTING file.
func Supporting() FileOption { return func(f *FileDef) { f.Type = airlock.FileTypeSupporting } }

// InGroup puts the file in group g.
func InGroup(g string) FileOption { return func(f *FileDef) { f.Group = g } }

// Content sets the file's content.
func Content(c string) FileOption { return func(f *FileDef) { f.Content = c } }

// Votes sets the votes of Checker1 and Checker2.
func Votes(v1, v2 airlock.Vote) FileOption {
	return func(f *FileDef) { f.Votes = [2]airlock.Vote{v1, v2} }
}

// Approved: both reviewers approve (the default).
func Approved() FileOption { return Votes(airlock.VoteApproved, airlock.VoteApproved) }

// ChangesRequested: both reviewers request changes.
func ChangesRequested() FileOption {
	return Votes(airlock.VoteChangesRequested, airlock.VoteChangesRequested)
}

// Conflicted: Checker1 approves, Checker2 requests changes.
func Conflicted() FileOption { return Votes(airlock.VoteApproved, airlock.VoteChangesRequested) }

// WorkspaceOf is the workspace a factory request of author goes to: Workspace when author
// holds a role there, else the first workspace author holds a role on.
func WorkspaceOf(author airlock.User) string {
	if _, ok := author.Workspaces[Workspace]; ok {
		return Workspace
	}
	names := make([]string, 0, len(author.Workspaces))
	for ws := range author.Workspaces {
		names = append(names, ws)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return Workspace
	}
	return names[0]
}

// CreateRequestAtStatus makes a request of author with files (one default output file when
// none are given) and walks it through the real state machine to status: files written to
// the workspace and added, groups given context and controls, submitted, reviewed by
// Checker1 and Checker2 with the files' votes (commenting where they request changes),
// returned (with the public comments that needs), rejected, released by Checker1 and
// uploaded. It returns the persisted request.
func CreateRequestAtStatus(t testing.TB, env *Env, author airlock.User, status airlock.Status, files ...FileDef) *airlock.ReleaseRequest {
	t.Helper()
	if len(files) == 0 {
		files = []FileDef{File("output/file.csv")}
	}
	ws := WorkspaceOf(author)
	view, _, err := env.Svc.GetOrCreateRequest(Ctx(), author, ws)
	require.NoError(t, err)
	id := view.Request.ID
	AddFiles(t, env, author, id, files...)
	var groups []string
	for _, f := range files {
		if !slices.Contains(groups, f.Group) {
			groups = append(groups, f.Group)
		}
	}
	for _, g := range groups {
		_, err := env.Svc.EditGroup(Ctx(), author, id, g, "Context of "+g, "Controls of "+g)
		require.NoError(t, err)
	}

	switch status {
	case airlock.StatusPending:
		return env.Request(t, id)
	case airlock.StatusWithdrawn:
		_, err := env.Svc.WithdrawRequest(Ctx(), author, id)
		require.NoError(t, err)
		return env.Request(t, id)
	}
	_, err = env.Svc.Submit(Ctx(), author, id)
	require.NoError(t, err)
	if status == airlock.StatusSubmitted {
		return env.Request(t, id)
	}
	Review(t, env, Checker1(), id, voteOf(files, 0))
	if status == airlock.StatusPartiallyReviewed {
		return env.Request(t, id)
	}
	Review(t, env, Checker2(), id, voteOf(files, 1))
	switch status {
	case airlock.StatusReviewed:
	case airlock.StatusReturned:
		ReturnRequest(t, env, Checker1(), id)
	case airlock.StatusRejected:
		_, err := env.Svc.Reject(Ctx(), Checker1(), id)
		require.NoError(t, err)
	case airlock.StatusApproved, airlock.StatusReleased:
		_, err := env.Svc.Release(Ctx(), Checker1(), id)
		require.NoError(t, err)
		if status == airlock.StatusReleased {
			UploadAll(t, env, id)
		}
	default:
		t.Fatalf("testenv: cannot make a request in status %s", status)
	}
	r := env.Request(t, id)
	require.Equal(t, status, r.Status)
	return r
}

// AddFiles writes files into the workspace of request id and adds them, one call per group
// and file type.
func AddFiles(t testing.TB, env *Env, author airlock.User, id string, files ...FileDef) {
	t.Helper()
	r := env.Request(t, id)
	type key struct {
		group string
		ft    airlock.FileType
	}
	var order []key
	specs := map[key][]service.FileSpec{}
	for _, f := range files {
		env.WriteFile(t, r.Workspace, f.Path, f.Content)
		k := key{f.Group, f.Type}
		if _, ok := specs[k]; !ok {
			order = append(order, k)
		}
		specs[k] = append(specs[k], service.FileSpec{Path: f.Path, FileType: f.Type})
	}
	for _, k := range order {
		_, err := env.Svc.AddFiles(Ctx(), author, id, k.group, specs[k])
		require.NoError(t, err)
	}
}

func voteOf(files []FileDef, i int) map[string]airlock.Vote {
	out := map[string]airlock.Vote{}
	for _, f := range files {
		if f.Type == airlock.FileTypeOutput {
			out[f.Path] = f.Votes[i]
		}
	}
	return out
}

// Review has checker vote on the output files of request id (votes by path; files not in
// votes are approved), comment on every group where they request changes, and submit the
// review.
func Review(t testing.TB, env *Env, checker airlock.User, id string, votes map[string]airlock.Vote) {
	t.Helper()
	Vote(t, env, checker, id, votes)
	r := env.Request(t, id)
	for _, g := range airlock.GroupsMissingReviewerComment(r, checker.Username) {
		_, err := env.Svc.AddComment(Ctx(), checker, id, g, checker.Username+" asks for changes in "+g, "")
		require.NoError(t, err)
	}
	_, err := env.Svc.SubmitReview(Ctx(), checker, id)
	require.NoError(t, err)
}

// Vote has checker vote on every output file of request id (votes by path; others approved).
func Vote(t testing.TB, env *Env, checker airlock.User, id string, votes map[string]airlock.Vote) {
	t.Helper()
	r := env.Request(t, id)
	for _, f := range r.OutputFiles() {
		v, ok := votes[f.RelPath]
		if !ok {
			v = airlock.VoteApproved
		}
		_, err := env.Svc.Vote(Ctx(), checker, id, []string{f.RelPath}, string(v))
		require.NoError(t, err)
	}
}

// ReturnRequest has checker write the public comments returning needs, then return request id.
func ReturnRequest(t testing.TB, env *Env, checker airlock.User, id string) {
	t.Helper()
	r := env.Request(t, id)
	for _, g := range airlock.GroupsMissingPublicComment(r, env.Svc.Policy()) {
		_, err := env.Svc.AddComment(Ctx(), checker, id, g, "Please fix "+g, airlock.VisibilityPublic)
		require.NoError(t, err)
	}
	_, err := env.Svc.Return(Ctx(), checker, id)
	require.NoError(t, err)
}

// UploadAll uploads every released, not yet uploaded file of request id the way the
// uploader does: count the attempt, then mark it uploaded.
func UploadAll(t testing.TB, env *Env, id string) {
	t.Helper()
	r := env.Request(t, id)
	for _, f := range r.AllFiles() {
		if f.ReleasedAt == nil || f.Uploaded {
			continue
		}
		require.NoError(t, env.Svc.RecordUploadAttempt(Ctx(), id, f.RelPath, nil))
		require.NoError(t, env.Svc.MarkUploaded(Ctx(), id, f.RelPath))
	}
}
