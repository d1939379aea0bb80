package service_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// Helpers shared by the benchmarks. Requests are built by walking the real state machine
// through the service (bulk calls where the service has them), never by inserting rows.

// benchMust stops the benchmark on err.
func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// benchPaths returns n workspace paths dir/<prefix>-NNNNN.csv.
func benchPaths(dir, prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("%s/%s-%05d.csv", dir, prefix, from+i)
	}
	return out
}

// specsOf makes output file specs of paths.
func specsOf(paths []string) []service.FileSpec {
	out := make([]service.FileSpec, len(paths))
	for i, p := range paths {
		out[i] = service.FileSpec{Path: p, FileType: airlock.FileTypeOutput}
	}
	return out
}

// benchCurrentRequest returns the id of the researcher's current request, created if needed.
func benchCurrentRequest(b *testing.B, env *testenv.Env) string {
	b.Helper()
	v, _, err := env.Svc.GetOrCreateRequest(testenv.Ctx(), testenv.Researcher(), testenv.Workspace)
	benchMust(b, err)
	return v.Request.ID
}

// benchApprovedRequest adds the workspace files at paths (already written) to a new request
// of the researcher in groups of groupSize files, submits it, has Checker1 and Checker2
// approve every file and submit their reviews, and has Checker1 release it: the request is
// APPROVED with every file released and none uploaded.
func benchApprovedRequest(b *testing.B, env *testenv.Env, paths []string, groupSize int) string {
	b.Helper()
	ctx, author := testenv.Ctx(), testenv.Researcher()
	id := benchCurrentRequest(b, env)
	benchAddInGroups(b, env, id, paths, groupSize)
	_, err := env.Svc.Submit(ctx, author, id)
	benchMust(b, err)
	for _, c := range []airlock.User{testenv.Checker1(), testenv.Checker2()} {
		_, err = env.Svc.Vote(ctx, c, id, paths, string(airlock.VoteApproved))
		benchMust(b, err)
		_, err = env.Svc.SubmitReview(ctx, c, id)
		benchMust(b, err)
	}
	_, err = env.Svc.Release(ctx, testenv.Checker1(), id)
	benchMust(b, err)
	return id
}

// benchAddInGroups adds paths to request id in groups "group-N" of groupSize files, each
// group given context and controls.
func benchAddInGroups(b *testing.B, env *testenv.Env, id string, paths []string, groupSize int) {
	b.Helper()
	ctx, author := testenv.Ctx(), testenv.Researcher()
	for g := 0; g*groupSize < len(paths); g++ {
		name := fmt.Sprintf("group-%d", g)
		part := paths[g*groupSize : min((g+1)*groupSize, len(paths))]
		_, err := env.Svc.AddFiles(ctx, author, id, name, specsOf(part))
		benchMust(b, err)
		_, err = env.Svc.EditGroup(ctx, author, id, name, "Context of "+name, "Controls of "+name)
		benchMust(b, err)
	}
}

// benchUploadAll records an attempt and a delivery for every file of approved request id,
// as the uploader does; the request ends RELEASED.
func benchUploadAll(b *testing.B, env *testenv.Env, id string, paths []string) {
	b.Helper()
	ctx := testenv.Ctx()
	for _, p := range paths {
		benchMust(b, env.Svc.RecordUploadAttempt(ctx, id, p, nil))
		benchMust(b, env.Svc.MarkUploaded(ctx, id, p))
	}
}

// runCmd runs a command and returns how long it took.
func runCmd(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", name, err, out)
	}
	return time.Since(start)
}

// haveCommands skips the benchmark when a baseline command is missing.
func haveCommands(b *testing.B, names ...string) {
	b.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			b.Skipf("%s not found: no baseline", n)
		}
	}
}

// removeAll removes a folder the benchmark wrote.
func removeAll(b *testing.B, p string) {
	b.Helper()
	if err := os.RemoveAll(p); err != nil {
		b.Fatal(err)
	}
}
