package service_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/workspace"
)

func TestParseCodeURLTemplate(t *testing.T) {
	for _, ok := range []string{"", "https://{repo}/blob/{commit}/{path}", "http://code.tre/view?repo={repo}&at={commit}"} {
		_, err := service.ParseCodeURLTemplate(ok)
		assert.NoError(t, err, ok)
	}
	for bad, want := range map[string]string{
		"https://{repo}/tree/{branch}":      "unknown placeholder {branch}",
		"https://code.tre/{commit}":         "must contain {repo}",
		"https://code.tre/{repo}":           "must contain {commit}",
		"javascript:{repo}{commit}":         "not an absolute http or https URL",
		"/relative/{repo}/{commit}":         "not an absolute http or https URL",
		"ftp://code.tre/{repo}/{commit}":    "not an absolute http or https URL",
		"https://{repo}/blob/{commit}/{{x}": "unknown placeholder {x}",
	} {
		_, err := service.ParseCodeURLTemplate(bad)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), want, bad)
		}
	}
}

func TestCodeURLTemplate_Link(t *testing.T) {
	tpl, err := service.ParseCodeURLTemplate("https://{repo}/blob/{commit}/{path}")
	require.NoError(t, err)
	const sha = "0123456789abcdef0123456789abcdef01234567"
	assert.Equal(t, "https://github.com/opensafely/study/blob/"+sha+"/project.yaml",
		tpl.Link("https://github.com/opensafely/study", sha, "project.yaml"))
	assert.Equal(t, "https://github.com/opensafely/study/blob/"+sha+"/project.yaml",
		tpl.Link("https://github.com/opensafely/study.git/", sha, "project.yaml"), "a clone URL's .git and slash are dropped")
	assert.Equal(t, "https://github.com/org/my%20study/blob/"+sha+"/a%3Fb/c.yaml",
		tpl.Link("https://github.com/org/my study", sha, "a?b/c.yaml"), "each segment is escaped")
	for name, c := range map[string][2]string{
		"commit not hexadecimal":  {"https://github.com/o/s", "main"},
		"commit too short":        {"https://github.com/o/s", "abc"},
		"repo not a URL":          {"git@github.com:o/s.git", sha},
		"repo with a script":      {"javascript:alert(1)", sha},
		"repo with credentials":   {"https://user:secret@github.com/o/s", sha},
		"repo missing":            {"", sha},
		"commit with a separator": {"https://github.com/o/s", sha + "/../x"},
	} {
		assert.Empty(t, tpl.Link(c[0], c[1], "project.yaml"), name)
	}
	assert.Empty(t, service.CodeURLTemplate{}.Link("https://github.com/o/s", sha, "project.yaml"), "no template, no link")
}

func TestGetWorkspaceFile_ProducedBy(t *testing.T) {
	tpl, err := service.ParseCodeURLTemplate("https://code.tre/{repo}/{commit}/{path}")
	require.NoError(t, err)
	env := testenv.NewEnv(t, testenv.WithCodeURL(tpl))
	env.WriteFiles(t, testenv.Workspace, map[string]string{"output/a.csv": "n\n5\n"})
	o, _ := env.Output(testenv.Workspace, "output/a.csv")
	o.Action, o.JobID, o.JobRequest, o.User = "make_table", "job-a1", "jr-9", "alice"
	o.Repo, o.Commit = "https://github.com/opensafely/study", "abcdef0123456789abcdef0123456789abcdef01"
	env.SetOutput(t, testenv.Workspace, "output/a.csv", o)

	d, err := env.Svc.GetWorkspaceFile(testenv.Ctx(), testenv.Checker1(), testenv.Workspace, "output/a.csv")
	require.NoError(t, err)
	require.NotNil(t, d.ProducedBy)
	assert.Equal(t, service.Provenance{
		Action: "make_table", JobID: "job-a1", JobRequest: "jr-9", User: "alice",
		Repo: "https://github.com/opensafely/study", Commit: "abcdef0123456789abcdef0123456789abcdef01",
		CodeURL: "https://code.tre/github.com/opensafely/study/abcdef0123456789abcdef0123456789abcdef01/project.yaml",
	}, *d.ProducedBy)

	// A file the manifest does not list has no provenance (a job log in metadata/).
	env.WriteRaw(t, testenv.Workspace, "metadata/make_table.log", "ran\n")
	d, err = env.Svc.GetWorkspaceFile(testenv.Ctx(), testenv.Checker1(), testenv.Workspace, "metadata/make_table.log")
	require.NoError(t, err)
	assert.Nil(t, d.ProducedBy)
}

func TestGetWorkspaceFile_ProducedByNullInPlainFolders(t *testing.T) {
	env := testenv.NewEnv(t)
	dir := filepath.Join(env.Root, "plain", "output")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.csv"), []byte("n\n1\n"), 0o644))
	_, err := os.Stat(filepath.Join(env.Root, "plain", workspace.ManifestPath))
	require.ErrorIs(t, err, os.ErrNotExist, "a workspace without a manifest")
	d, err := env.Svc.GetWorkspaceFile(testenv.Ctx(), testenv.Readonly(), "plain", "output/t.csv")
	require.NoError(t, err)
	assert.Nil(t, d.ProducedBy)
}
