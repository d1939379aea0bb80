package service_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

func TestParseRegularRequests(t *testing.T) {
	rrs, err := service.ParseRegularRequests([]byte(`[
		{"username": "researcher", "workspace_name": "workspace", "dirs": ["output/weekly", "output/monthly"],
		 "context": "c", "controls": "k", "supporting_files": ["output/weekly/notes.txt"], "submit": true},
		{"username": null, "workspace_name": "other", "dirs": ["output"]}]`))
	require.NoError(t, err)
	require.Len(t, rrs, 2)
	assert.Equal(t, "researcher", *rrs[0].Username)
	assert.Equal(t, []string{"output/weekly", "output/monthly"}, rrs[0].Dirs)
	assert.Equal(t, []string{"output/weekly/notes.txt"}, rrs[0].SupportingFiles)
	assert.True(t, rrs[0].Submit)
	assert.Nil(t, rrs[1].Username, "null: the manifest's user")
	assert.Equal(t, "other (manifest user)", rrs[1].Label())

	for input, want := range map[string][]string{
		`{}`:  {"not a JSON list of objects"},
		`[1]`: {"not a JSON list of objects"},
		`[{"workspace_name": "w", "dirs": ["o"]}]`:                                       {`entry 1 (w): "username" is required`},
		`[{"username": "u", "dirs": ["o"]}]`:                                             {`entry 1: "workspace_name" is required`},
		`[{"username": "u", "workspace_name": "w"}]`:                                     {`"dirs" is required`},
		`[{"username": "u", "workspace_name": "w", "dirs": "output"}]`:                   {`"dirs" must be a list of strings`},
		`[{"username": "u", "workspace_name": "w", "dirs": []}]`:                         {`"dirs" must name at least one folder`},
		`[{"username": 7, "workspace_name": "w", "dirs": ["o"]}]`:                        {`"username" must be string or null`},
		`[{"username": "u", "workspace_name": "../w", "dirs": ["o"]}]`:                   {`"../w" is not a workspace name`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["../etc", "/abs", "a//b"]}]`: {`folder "../etc"`, `folder "/abs"`, `folder "a//b"`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["o"], "supporting_files": ["a\u0001b", "x\\y"]}]`: {
			`supporting file "a\x01b"`, `supporting file "x\\y"`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["o"], "submit": "yes"}]`: {`"submit" must be true or false`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["o"], "context": null}]`: {`"context" must be a string`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["o"], "colour": "red"}]`: {`unknown key "colour"`},
		`[{"username": "u", "workspace_name": "w", "dirs": ["o"], "submit": true, "context": "c"}]`: {
			`"submit" needs a non-empty "context" and "controls"`},
		// every problem of every entry, in one message
		`[{"username": "u", "workspace_name": "a", "dirs": ["o"], "x": 1}, {"username": "u", "workspace_name": "b", "dirs": []}]`: {
			`entry 1 (a): unknown key "x"`, `entry 2 (b): "dirs" must name at least one folder`},
	} {
		_, err := service.ParseRegularRequests([]byte(input))
		if assert.Error(t, err, input) {
			for _, w := range want {
				assert.Contains(t, err.Error(), w, input)
			}
		}
	}
}

// lookupOf answers the users given, and not_found for anyone else.
func lookupOf(users ...airlock.User) service.UserLookup {
	return func(_ context.Context, name string) (airlock.User, error) {
		for _, u := range users {
			if u.Username == name {
				return u, nil
			}
		}
		return airlock.User{}, airlock.Errorf(airlock.CodeNotFound, "Unknown user %q", name)
	}
}

func TestRunRegularRequest(t *testing.T) {
	env := testenv.NewEnv(t)
	env.WriteFiles(t, testenv.Workspace, map[string]string{
		"output/weekly/counts.csv":      "n\n10\n",
		"output/weekly/deep/rates.csv":  "r\n15\n",
		"output/weekly/notes.txt":       "how the counts were made\n",
		"output/monthly/everything.csv": "n\n20\n",
	})
	username := "researcher"
	rr := service.RegularRequest{
		Username: &username, Workspace: testenv.Workspace, Dirs: []string{"output/weekly"},
		Context: "Weekly counts", Controls: "Rounded to 5", SupportingFiles: []string{"output/weekly/notes.txt"}, Submit: true,
	}
	lookup := lookupOf(testenv.Researcher())

	res, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookup)
	require.NoError(t, err)
	assert.True(t, res.Completed)
	assert.Equal(t, service.RegularSuccess, res.Message)
	assert.Equal(t, 3, res.Added)
	r := env.Request(t, res.RequestID)
	assert.Equal(t, airlock.StatusSubmitted, r.Status)
	assert.Equal(t, "researcher", r.Author)
	require.Len(t, r.Groups, 1)
	g := r.Groups[0]
	assert.Equal(t, "output-weekly", g.Name, "the folder, with - for /")
	assert.Equal(t, "Weekly counts", g.Context)
	assert.Equal(t, "Rounded to 5", g.Controls)
	types := map[string]airlock.FileType{}
	for _, f := range g.Files {
		types[f.RelPath] = f.FileType
	}
	assert.Equal(t, map[string]airlock.FileType{
		"output/weekly/counts.csv": airlock.FileTypeOutput, "output/weekly/deep/rates.csv": airlock.FileTypeOutput,
		"output/weekly/notes.txt": airlock.FileTypeSupporting,
	}, types, "files under the folder only, sub-folders included")

	evs := env.RequestAudit(t, r.ID)
	assert.Equal(t, []airlock.AuditType{
		airlock.AuditRequestCreate, airlock.AuditRequestFileAdd, airlock.AuditRequestFileAdd, airlock.AuditRequestFileAdd,
		airlock.AuditRequestEdit, airlock.AuditRequestSubmit,
	}, testenv.AuditTypes(evs))
	for _, ev := range evs {
		assert.Equal(t, "true", ev.Extra["automated_action"], ev.Type)
		assert.Equal(t, "researcher", ev.User, ev.Type)
	}

	t.Run("a request under review is left alone", func(t *testing.T) {
		mark := env.AuditMark(t, r.ID)
		res, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookup)
		require.NoError(t, err)
		assert.False(t, res.Completed)
		assert.Equal(t, service.RegularAlreadySubmitted, res.Message)
		assert.Equal(t, r.ID, res.RequestID)
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
	})

	t.Run("once released, a run says so and leaves an empty pending request", func(t *testing.T) {
		testenv.Review(t, env, testenv.Checker1(), r.ID, map[string]airlock.Vote{"output/weekly/counts.csv": airlock.VoteApproved, "output/weekly/deep/rates.csv": airlock.VoteApproved})
		testenv.Review(t, env, testenv.Checker2(), r.ID, map[string]airlock.Vote{"output/weekly/counts.csv": airlock.VoteApproved, "output/weekly/deep/rates.csv": airlock.VoteApproved})
		_, err := env.Svc.Release(testenv.Ctx(), testenv.Checker1(), r.ID)
		require.NoError(t, err)
		testenv.UploadAll(t, env, r.ID)
		require.Equal(t, airlock.StatusReleased, env.Request(t, r.ID).Status)

		only := rr
		only.SupportingFiles, only.Submit = nil, false
		only.Dirs = []string{"output/weekly/deep"}
		res, err := env.Svc.RunRegularRequest(testenv.Ctx(), only, lookup)
		require.NoError(t, err)
		assert.False(t, res.Completed)
		assert.Equal(t, service.RegularAlreadyReleased, res.Message)
		next := env.Request(t, res.RequestID)
		assert.Equal(t, airlock.StatusPending, next.Status)
		assert.Empty(t, next.AllFiles())

		// the next run reuses it
		only.Dirs = []string{"output/monthly"}
		res2, err := env.Svc.RunRegularRequest(testenv.Ctx(), only, lookup)
		require.NoError(t, err)
		assert.Equal(t, service.RegularSuccess, res2.Message)
		assert.Equal(t, res.RequestID, res2.RequestID)
		assert.Len(t, env.Request(t, res.RequestID).AllFiles(), 1)
	})
}

func TestRunRegularRequest_Failures(t *testing.T) {
	env := testenv.NewEnv(t)
	env.WriteFiles(t, testenv.Workspace, map[string]string{"output/a.csv": "n\n10\n"})
	env.WriteFiles(t, testenv.OtherWorkspace, map[string]string{"output/b.csv": "n\n10\n"})
	name := "researcher"
	base := service.RegularRequest{Username: &name, Workspace: testenv.Workspace, Dirs: []string{"output"}}
	lookup := lookupOf(testenv.Researcher())

	cases := map[string]struct {
		edit func(*service.RegularRequest)
		code airlock.Code
		msg  string
	}{
		"unknown workspace": {func(rr *service.RegularRequest) { rr.Workspace = "nope" }, airlock.CodeNotFound, "Workspace 'nope' was not found."},
		"unknown user":      {func(rr *service.RegularRequest) { other := "ghost"; rr.Username = &other }, airlock.CodeNotFound, `Unknown user "ghost"`},
		"not a folder":      {func(rr *service.RegularRequest) { rr.Dirs = []string{"output/missing"} }, airlock.CodeNotFound, "output/missing is not a folder of workspace workspace"},
		"no role":           {func(rr *service.RegularRequest) { rr.Workspace = testenv.OtherWorkspace }, airlock.CodeNotFound, "You do not have permission to view other-workspace or its requests"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rr := base
			c.edit(&rr)
			_, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookup)
			testenv.AssertCode(t, err, c.code)
			if c.msg != "" {
				assert.Equal(t, c.msg, airlock.ErrorMessage(err))
			}
		})
	}
	assert.Empty(t, env.Requests(t, airlock.RequestFilter{}), "no failed run leaves a request behind")

	t.Run("a file that cannot be added fails a submitting run, and is reported otherwise", func(t *testing.T) {
		env.WriteFiles(t, testenv.Workspace, map[string]string{"output/script.py": "print(1)\n"})
		rr := base
		rr.Context, rr.Controls, rr.Submit = "c", "k", true
		_, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookup)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Contains(t, airlock.ErrorMessage(err), "Could not add file output/script.py")

		rr.Submit = false
		res, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookup)
		require.NoError(t, err)
		assert.Equal(t, service.RegularSuccess, res.Message)
		assert.Equal(t, 1, res.Added)
		require.Len(t, res.Skipped, 1)
		assert.Contains(t, res.Skipped[0], "Could not add file output/script.py: ")
	})
}

func TestRunRegularRequest_ManifestUser(t *testing.T) {
	env := testenv.NewEnv(t)
	env.WriteFiles(t, testenv.Workspace, map[string]string{"output/old.csv": "n\n10\n"})
	env.Clock.Advance(3600e9)
	env.WriteFiles(t, testenv.Workspace, map[string]string{"output/new.csv": "n\n15\n"})
	o, _ := env.Output(testenv.Workspace, "output/new.csv")
	o.User = "collaborator" // the most recent output's user
	env.SetOutput(t, testenv.Workspace, "output/new.csv", o)
	rr := service.RegularRequest{Workspace: testenv.Workspace, Dirs: []string{"output"}}

	res, err := env.Svc.RunRegularRequest(testenv.Ctx(), rr, lookupOf(testenv.Researcher(), testenv.Collaborator()))
	require.NoError(t, err)
	assert.Equal(t, "collaborator", res.Author)
	assert.Equal(t, "collaborator", env.Request(t, res.RequestID).Author)

	env.WriteFiles(t, testenv.OtherWorkspace, map[string]string{"output/x.csv": "n\n5\n"})
	o, _ = env.Output(testenv.OtherWorkspace, "output/x.csv")
	o.User = ""
	env.SetOutput(t, testenv.OtherWorkspace, "output/x.csv", o)
	_, err = env.Svc.RunRegularRequest(testenv.Ctx(), service.RegularRequest{Workspace: testenv.OtherWorkspace, Dirs: []string{"output"}}, lookupOf(testenv.Outsider()))
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	assert.Equal(t, "No output user found in manifest file of workspace other-workspace", airlock.ErrorMessage(err))
}
