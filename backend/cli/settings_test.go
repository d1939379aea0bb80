package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/service"
)

// parseWith parses serve's settings from args and the environment env.
func parseWith(env map[string]string, args ...string) (Settings, error) {
	s, _, err := ParseSettings("serve", args, func(k string) string { return env[k] }, io.Discard)
	return s, err
}

func TestAllowedTypesSetting(t *testing.T) {
	s, err := parseWith(nil)
	require.NoError(t, err)
	assert.Equal(t, airlock.DefaultAllowedExtensions, s.AllowedTypes, "the reference list by default")

	s, err = parseWith(map[string]string{"AIRLOCK_ALLOWED_TYPES": "csv, PNG ,.Txt,.csv"})
	require.NoError(t, err)
	assert.Equal(t, []string{".csv", ".png", ".txt"}, s.AllowedTypes, "with or without dots, lower-cased, no repeats")

	s, err = parseWith(map[string]string{"AIRLOCK_ALLOWED_TYPES": "csv"}, "--allowed-types", ".pdf,.R,tar-gz,c++")
	require.NoError(t, err)
	assert.Equal(t, []string{".pdf", ".r", ".tar-gz", ".c++"}, s.AllowedTypes, "the flag wins")

	for _, bad := range []string{"", " ", ",", "csv,,png", "csv,", ".", "..csv", ".tar.gz", "c sv", "*.csv", "out/x.csv", "csv;png", "é"} {
		_, err := parseWith(nil, "--allowed-types", bad)
		if assert.Error(t, err, "%q", bad) {
			assert.Contains(t, err.Error(), "--allowed-types", "%q", bad)
			assert.NotContains(t, err.Error(), "\n")
		}
	}
	_, err = parseWith(map[string]string{"AIRLOCK_ALLOWED_TYPES": "csv,,png"})
	assert.ErrorContains(t, err, `"" is not a file type`)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "1048576": 1 << 20, "10B": 10, "10 b": 10,
		"16MiB": 16 << 20, "16 MiB": 16 << 20, "16mib": 16 << 20, "1GiB": 1 << 30, "2 TiB": 2 << 40, "4KiB": 4096,
		"1GB": 1_000_000_000, "1gb": 1_000_000_000, "500kB": 500_000, "500KB": 500_000, "3 MB": 3_000_000, "1TB": 1e12,
		"1.5GB": 1_500_000_000, "0.5MiB": 1 << 19, ".5KiB": 512, " 7 ": 7, "8388607TiB": 8388607 << 40,
	} {
		got, err := ParseSize(in)
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want, got, "%q", in)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "-1MiB", "16M", "16 megabytes", "1.2.3MB", ".", "1.5B", "0.1KiB",
		"1e6", "0x10", "8388608TiB", "99999999999999999999", "16 MiB extra", "1,000"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestMaxFileSizeSetting(t *testing.T) {
	s, err := parseWith(nil)
	require.NoError(t, err)
	assert.Zero(t, s.MaxFileSize, "no limit by default, as the reference")

	s, err = parseWith(map[string]string{"AIRLOCK_MAX_FILE_SIZE": "1GB"})
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000_000), s.MaxFileSize)

	s, err = parseWith(map[string]string{"AIRLOCK_MAX_FILE_SIZE": "1GB"}, "--max-file-size", "16MiB")
	require.NoError(t, err)
	assert.Equal(t, int64(16<<20), s.MaxFileSize, "the flag wins")

	s, err = parseWith(map[string]string{"AIRLOCK_MAX_FILE_SIZE": "1GB"}, "--max-file-size", "0")
	require.NoError(t, err)
	assert.Zero(t, s.MaxFileSize, "0 on the command line lifts the environment's limit")

	// With job-server, its 16 MiB limit on release files is the default; a setting wins.
	js := []string{"--api-endpoint", "https://jobs.example.org/api/v2", "--api-token", "t"}
	s, err = parseWith(nil, js...)
	require.NoError(t, err)
	assert.Equal(t, int64(16<<20), s.MaxFileSize)
	assert.True(t, s.MaxFileSizeFromJobServer)
	s, err = parseWith(map[string]string{"AIRLOCK_MAX_FILE_SIZE": "0"}, js...)
	require.NoError(t, err)
	assert.Zero(t, s.MaxFileSize, "an explicit 0 lifts it")
	assert.False(t, s.MaxFileSizeFromJobServer)
	s, err = parseWith(nil, append(js, "--max-file-size", "1MiB")...)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), s.MaxFileSize)
	assert.False(t, s.MaxFileSizeFromJobServer)

	for _, bad := range []string{"", "lots", "-5MiB", "16M"} {
		_, err := parseWith(nil, "--max-file-size", bad)
		if assert.Error(t, err, "%q", bad) {
			assert.Equal(t, `--max-file-size "`+bad+`" is not a size like 16MiB, 1GB or 0 (no limit)`, err.Error())
		}
	}
}

func TestOutputCheckingSettings(t *testing.T) {
	s, err := parseWith(nil)
	require.NoError(t, err)
	assert.Empty(t, s.OutputCheckingOrg)
	assert.Empty(t, s.OutputCheckingRepo)

	env := map[string]string{"AIRLOCK_OUTPUT_CHECKING_ORG": "opensafely", "AIRLOCK_OUTPUT_CHECKING_REPO": "output-checking"}
	s, err = parseWith(env)
	require.NoError(t, err)
	assert.Equal(t, "opensafely", s.OutputCheckingOrg)
	assert.Equal(t, "output-checking", s.OutputCheckingRepo)

	s, err = parseWith(env, "--output-checking-org", "ebmdatalab", "--output-checking-repo", "checks")
	require.NoError(t, err)
	assert.Equal(t, "ebmdatalab", s.OutputCheckingOrg, "flags win")
	assert.Equal(t, "checks", s.OutputCheckingRepo)

	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"org alone":              {nil, []string{"--output-checking-org", "opensafely"}, "--output-checking-org and --output-checking-repo must be set together"},
		"repo alone":             {nil, []string{"--output-checking-repo", "output-checking"}, "--output-checking-org and --output-checking-repo must be set together"},
		"org alone, environment": {map[string]string{"AIRLOCK_OUTPUT_CHECKING_ORG": "opensafely"}, nil, "must be set together"},
		"repo with its org":      {nil, []string{"--output-checking-org", "o", "--output-checking-repo", "o/r"}, `--output-checking-repo "o/r" must be a single name`},
		"org with a space":       {nil, []string{"--output-checking-org", "open safely", "--output-checking-repo", "r"}, `--output-checking-org "open safely" must be a single name`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseWith(tc.env, tc.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// The file settings reach the service's policy: a type off the list and a file over the
// limit are refused, with the reasons the domain gives.
func TestFileSettingsReachThePolicy(t *testing.T) {
	d := demoDir(t)
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, "--data-dir", d, "--allowed-types", "csv,png", "--max-file-size", "10B"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = core.Close() })
	pol := core.Service.Policy()
	assert.Equal(t, []string{".csv", ".png"}, pol.AllowedExtensions)
	assert.Equal(t, int64(10), pol.MaxFileSize)
	assert.Equal(t, 2, pol.RequiredReviews, "other settings keep their defaults")

	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	_, err = core.Service.AddFiles(ctx, alice, view.Request.ID, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	assert.Equal(t, airlock.CodeTooLarge, airlock.ErrorCode(err), "%v", err)
	assert.Regexp(t, `^File output/tables/admissions_by_age\.csv is .+, larger than the limit of 10 bytes for files on a request$`, airlock.ErrorMessage(err))

	d2 := demoDir(t)
	core2, err := OpenCore(mustSettings(t, "--data-dir", d2, "--allowed-types", ".txt"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = core2.Close() })
	assert.Zero(t, core2.Service.Policy().MaxFileSize)
	view, _, err = core2.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	_, err = core2.Service.AddFiles(ctx, alice, view.Request.ID, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	assert.Equal(t, "Cannot add file of type .csv to request", airlock.ErrorMessage(err))
}

// docs/reference/domain.md §7.5: with the output-checking org and repo configured, every
// notification sent to job-server carries them; without them, none does.
func TestNotificationsCarryOutputCheckingRepo(t *testing.T) {
	for name, tc := range map[string]struct {
		args      []string
		org, repo any
	}{
		"configured":     {[]string{"--output-checking-org", "opensafely", "--output-checking-repo", "output-checking"}, "opensafely", "output-checking"},
		"not configured": {nil, nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			fake := newDemoFake(t)
			d := demoDir(t)
			ctx := context.Background()
			args := append([]string{"--data-dir", d, "--api-endpoint", fake.URL, "--api-token", fake.Token}, tc.args...)
			core, err := OpenCore(mustSettings(t, args...), nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = core.Close() })
			core.Notifier.Start(core.Service, nil, "the server")

			alice := demoUserRecord("alice")
			view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
			require.NoError(t, err)
			id := view.Request.ID
			_, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
			require.NoError(t, err)
			_, err = core.Service.EditGroup(ctx, alice, id, "tables", "Admissions by age band.", "Counts rounded to 5.")
			require.NoError(t, err)
			_, err = core.Service.Submit(ctx, alice, id)
			require.NoError(t, err)
			core.Notifier.Wait()

			assert.Equal(t, []string{"request_submitted"}, fake.EventTypes())
			for _, ev := range fake.Events() {
				assert.Equal(t, id, ev.Body["request"])
				assert.Equal(t, tc.org, ev.Body["org"], ev.Raw)
				assert.Equal(t, tc.repo, ev.Body["repo"], ev.Raw)
				if tc.org == nil {
					assert.NotContains(t, ev.Raw, `"org"`)
					assert.NotContains(t, ev.Raw, `"repo"`)
				} else {
					assert.True(t, strings.HasSuffix(ev.Raw, `,"org":"opensafely","repo":"output-checking"}`), ev.Raw)
				}
			}
		})
	}
}

// docs/api.md's settings table lists exactly serve's flags, each with the environment
// variable the flag reads.
func TestAPIDocListsEverySetting(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	require.NoError(t, err)
	text := string(data)
	start := strings.Index(text, "## Settings of `serve`")
	require.GreaterOrEqual(t, start, 0, "docs/api.md has a settings section")
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("^\\| `--([a-z-]+)` \\| `(AIRLOCK_[A-Z_]+)` \\|")
	documented := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			documented[m[1]] = m[2]
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	settingsFlags(fs, func(string) string { return "" })
	envOf := regexp.MustCompile(`\((AIRLOCK_[A-Z_]+)`)
	served := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		m := envOf.FindStringSubmatch(f.Usage)
		if assert.NotNil(t, m, "--%s names its environment variable in its usage", f.Name) {
			served[f.Name] = m[1]
		}
	})
	assert.Equal(t, served, documented)
}

// TestPprofSetting: the profiler is off by default, and only a loopback address is taken.
func TestPprofSetting(t *testing.T) {
	s, err := parseWith(nil)
	require.NoError(t, err)
	assert.Empty(t, s.Pprof)
	for _, ok := range []string{"127.0.0.1:6060", "localhost:0", "[::1]:6060", "127.0.0.2:1"} {
		s, err := parseWith(nil, "--pprof", ok)
		require.NoError(t, err, ok)
		assert.Equal(t, ok, s.Pprof)
	}
	s, err = parseWith(map[string]string{"AIRLOCK_PPROF": "127.0.0.1:7070"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7070", s.Pprof)
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "10.1.2.3:6060", "example.org:6060", "127.0.0.1"} {
		_, err := parseWith(nil, "--pprof", bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "--pprof")
	}
}

// newDemoFake starts the strict job-server stand-in knowing the demo's users (as job-server
// users, with their documents) and workspaces.
func newDemoFake(t *testing.T) *fakejobserver.Server {
	fake := fakejobserver.New(t, "backend-token")
	for ws := range demoProjects {
		fake.AddWorkspace(ws)
	}
	for _, u := range demoUsers {
		rec := demoUserRecord(u.name)
		grants := map[string]any{}
		for ws, g := range rec.Workspaces {
			grants[ws] = map[string]any{"project_details": map[string]any{"name": g.Project.Name,
				"ongoing": g.Project.Ongoing, "orgs": g.Project.Orgs}, "archived": g.Archived}
		}
		fake.AddUser(u.name, map[string]any{"fullname": u.fullname, "output_checker": u.checker,
			"readonly_access": u.readonly, "workspaces": grants})
	}
	return fake
}
