package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Settings are the settings of `airlock serve` (and of the desktop app's embedded backend).
// Each is a flag and an environment variable; flags win (API.md "Settings of serve").
type Settings struct {
	Listen        string
	DataDir       string
	WorkspacesDir string
	UsersFile     string
	ReleaseDir    string
	APIEndpoint   string
	APIToken      string
	UploadRetry   time.Duration
	// AllowedOrigins are extra origins allowed to open the live-events WebSocket.
	AllowedOrigins []string
	// RequiredReviews is the number of independent reviews a request needs (DECISIONS 9).
	RequiredReviews int
	// SecureCookies marks the session cookie Secure even over plain HTTP (behind a TLS proxy).
	SecureCookies bool
	LogLevel      slog.Level
	// LogFormat is "json", "text" or "" (JSON unless stderr is a terminal).
	LogFormat string

	// usersFileSet records that the users file was named explicitly (flag or environment);
	// with job-server configured, only an explicit users file is used.
	usersFileSet bool
}

// JobServer reports whether the job-server API is configured.
func (s Settings) JobServer() bool { return s.APIEndpoint != "" && s.APIToken != "" }

// DefaultListen is the default address of serve.
const DefaultListen = "127.0.0.1:8080"

// settingsFlags registers the settings on fs, with defaults taken from the environment.
// Call resolve after fs.Parse.
func settingsFlags(fs *flag.FlagSet, getenv func(string) string) *settingsParser {
	p := &settingsParser{getenv: getenv}
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&p.s.Listen, "listen", env("AIRLOCK_LISTEN", DefaultListen), "address to serve on (AIRLOCK_LISTEN)")
	fs.StringVar(&p.s.DataDir, "data-dir", env("AIRLOCK_DATA_DIR", "./airlock-data"), "database, request file store, sessions (AIRLOCK_DATA_DIR)")
	fs.StringVar(&p.s.WorkspacesDir, "workspaces", env("AIRLOCK_WORKSPACE_DIR", ""), "root folder of workspaces (AIRLOCK_WORKSPACE_DIR; default <data-dir>/workspaces)")
	fs.StringVar(&p.s.UsersFile, "users", env("AIRLOCK_USERS_FILE", ""), "users file (AIRLOCK_USERS_FILE; default <data-dir>/users.json)")
	fs.StringVar(&p.s.ReleaseDir, "release-dir", env("AIRLOCK_RELEASE_DIR", ""), "where released files go without job-server (AIRLOCK_RELEASE_DIR; default <data-dir>/released)")
	fs.StringVar(&p.s.APIEndpoint, "api-endpoint", env("AIRLOCK_API_ENDPOINT", ""), "job-server API (AIRLOCK_API_ENDPOINT)")
	fs.StringVar(&p.s.APIToken, "api-token", env("AIRLOCK_API_TOKEN", ""), "backend token for job-server (AIRLOCK_API_TOKEN)")
	fs.StringVar(&p.retry, "upload-retry", env("AIRLOCK_UPLOAD_RETRY_DELAY", "60s"), "minimum gap between upload attempts of one file (AIRLOCK_UPLOAD_RETRY_DELAY)")
	p.origins = env("AIRLOCK_ALLOWED_ORIGINS", "")
	fs.Func("allowed-origin", "extra origin allowed for live updates; repeat or separate with commas (AIRLOCK_ALLOWED_ORIGINS)", func(v string) error {
		if !p.originsSet {
			p.origins, p.originsSet = "", true // flags replace the environment's list
		}
		p.origins += "," + v
		return nil
	})
	fs.StringVar(&p.reviews, "required-reviews", env("AIRLOCK_REQUIRED_REVIEWS", "2"), "independent reviews a request needs (AIRLOCK_REQUIRED_REVIEWS)")
	fs.StringVar(&p.secure, "secure-cookies", env("AIRLOCK_SECURE_COOKIES", "false"), "mark the session cookie Secure behind a TLS proxy (AIRLOCK_SECURE_COOKIES)")
	fs.StringVar(&p.level, "log-level", env("AIRLOCK_LOG_LEVEL", "info"), "debug, info, warn or error (AIRLOCK_LOG_LEVEL)")
	fs.StringVar(&p.s.LogFormat, "log-format", env("AIRLOCK_LOG_FORMAT", ""), "json or text (AIRLOCK_LOG_FORMAT; default json unless stderr is a terminal)")
	return p
}

type settingsParser struct {
	s          Settings
	getenv     func(string) string
	retry      string
	origins    string
	originsSet bool
	reviews    string
	secure     string
	level      string
}

// resolve validates the parsed values and fills the derived defaults.
func (p *settingsParser) resolve(fs *flag.FlagSet) (Settings, error) {
	s := p.s
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	s.usersFileSet = set["users"] || strings.TrimSpace(p.getenv("AIRLOCK_USERS_FILE")) != ""

	if s.DataDir == "" {
		return s, errors.New("--data-dir must not be empty")
	}
	if s.WorkspacesDir == "" {
		s.WorkspacesDir = filepath.Join(s.DataDir, "workspaces")
	}
	if s.UsersFile == "" {
		s.UsersFile = filepath.Join(s.DataDir, "users.json")
	}
	if s.ReleaseDir == "" {
		s.ReleaseDir = filepath.Join(s.DataDir, "released")
	}
	d, err := time.ParseDuration(p.retry)
	if err != nil || d <= 0 {
		return s, fmt.Errorf("--upload-retry %q is not a positive duration (like 60s or 5m)", p.retry)
	}
	s.UploadRetry = d
	n, err := strconv.Atoi(strings.TrimSpace(p.reviews))
	if err != nil || n < 1 {
		return s, fmt.Errorf("--required-reviews %q must be a whole number of at least 1", p.reviews)
	}
	s.RequiredReviews = n
	if s.SecureCookies, err = strconv.ParseBool(p.secure); err != nil {
		return s, fmt.Errorf("--secure-cookies %q must be true or false", p.secure)
	}
	if err := s.LogLevel.UnmarshalText([]byte(p.level)); err != nil {
		return s, fmt.Errorf("--log-level %q must be debug, info, warn or error", p.level)
	}
	switch s.LogFormat {
	case "", "json", "text":
	default:
		return s, fmt.Errorf("--log-format %q must be json or text", s.LogFormat)
	}
	for _, o := range strings.Split(p.origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return s, fmt.Errorf("--allowed-origin %q is not an origin like https://airlock.example.org", o)
		}
		s.AllowedOrigins = append(s.AllowedOrigins, o)
	}
	if (s.APIEndpoint == "") != (s.APIToken == "") {
		return s, errors.New("--api-endpoint and --api-token must be set together")
	}
	if s.APIEndpoint != "" {
		u, err := url.Parse(s.APIEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("--api-endpoint %q is not an http(s) URL", s.APIEndpoint)
		}
	}
	return s, nil
}

// ParseSettings parses serve's flags (with the environment as defaults).
func ParseSettings(name string, args []string, getenv func(string) string, usage io.Writer) (Settings, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usage)
	p := settingsFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return Settings{}, nil, err
	}
	s, err := p.resolve(fs)
	return s, fs.Args(), err
}
