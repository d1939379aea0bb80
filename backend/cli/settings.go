package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// Settings are the settings of `airlock serve` (and of the desktop app's embedded backend).
// Each is a flag and an environment variable; flags win (docs/api.md "Settings of serve").
type Settings struct {
	Listen  string
	DataDir string
	// Database is "" (or "sqlite:"): the SQLite file in the data directory; or a
	// postgres:// URL: that PostgreSQL database (docs/api.md "Settings of serve").
	Database      string
	WorkspacesDir string
	UsersFile     string
	ReleaseDir    string
	APIEndpoint   string
	APIToken      string
	UploadRetry   time.Duration
	// AllowedOrigins are extra origins allowed to open the live-events WebSocket.
	AllowedOrigins []string
	// RequiredReviews is the number of independent reviews a request needs
	// (docs/decisions.md §9).
	RequiredReviews int
	// AllowedTypes are the file suffixes that may be added to a request, lower-case with
	// the dot (docs/decisions.md §8; default the reference list,
	// airlock.DefaultAllowedExtensions).
	AllowedTypes []string
	// MaxFileSize is the largest file, in bytes, that may be added to a request; 0 is no
	// limit (the default without job-server, as the reference). With job-server configured
	// the default is its limit on release files, JobServerMaxFileSize.
	MaxFileSize int64
	// MaxFileSizeFromJobServer is set when MaxFileSize is job-server's limit by default.
	MaxFileSizeFromJobServer bool
	// OutputCheckingOrg and OutputCheckingRepo name the output-checking repository sent
	// with notifications (docs/reference/domain.md §7.5); both or neither.
	OutputCheckingOrg  string
	OutputCheckingRepo string
	// SecureCookies marks the session cookie Secure even over plain HTTP (behind a TLS proxy).
	SecureCookies bool
	LogLevel      slog.Level
	// RecoveryGrace is how old a temporary file or an unreferenced blob must be before the
	// recovery sweep removes it (docs/reliability.md); 0 removes them at once.
	RecoveryGrace time.Duration
	// CheckInterval is how often serve checks its data in the background (after the check
	// at start); 0 checks only at start.
	CheckInterval time.Duration
	// LogFormat is "json", "text" or "" (JSON unless stderr is a terminal).
	LogFormat string
	// Pprof is a loopback address serving Go's profiler (net/http/pprof), or "" (off).
	Pprof string
	// CodeURL links outputs to a code browser (placeholders {repo}, {commit}, {path}).
	CodeURL service.CodeURLTemplate
	// RegularRequestsFile is the regular release requests configuration ("" for none),
	// RegularRequests its entries (read and validated at start-up).
	RegularRequestsFile string
	RegularRequests     []service.RegularRequest
	// RegularInterval is how often serve runs the regular requests (0: only the
	// `airlock regular run` command runs them).
	RegularInterval time.Duration
	// DisclosurePreset names the preset of the CSV disclosure checks ("opensafely", the
	// default, or "sacro"); DisclosureRulesFile, when set, is the JSON file whose values
	// replace the preset's (docs/disclosure.md). Disclosure is the result; its zero value is
	// the OpenSAFELY preset.
	DisclosurePreset    string
	DisclosureRulesFile string
	Disclosure          render.DisclosureRules

	// usersFileSet records that the users file was named explicitly (flag or environment);
	// with job-server configured, only an explicit users file is used.
	usersFileSet bool
}

// JobServer reports whether the job-server API is configured.
func (s Settings) JobServer() bool { return s.APIEndpoint != "" && s.APIToken != "" }

// JobServerMaxFileSize is job-server's default limit on release files
// (RELEASE_FILE_SIZE_LIMIT, 16 MiB): it refuses larger ones when the release is created.
const JobServerMaxFileSize = 16 << 20

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
	fs.StringVar(&p.s.Database, "database", env("AIRLOCK_DATABASE", ""), "sqlite: (the file in the data directory, the default) or a postgres:// URL (AIRLOCK_DATABASE)")
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
	fs.StringVar(&p.types, "allowed-types", env("AIRLOCK_ALLOWED_TYPES", strings.Join(airlock.DefaultAllowedExtensions, ",")), "file types that may be added to a request, comma-separated, like .csv,.png (AIRLOCK_ALLOWED_TYPES)")
	fs.StringVar(&p.maxSize, "max-file-size", env("AIRLOCK_MAX_FILE_SIZE", ""), "largest file that may be added to a request, like 16MiB or 1GB; 0 is no limit; default none, or job-server's 16MiB with --api-endpoint (AIRLOCK_MAX_FILE_SIZE)")
	fs.StringVar(&p.s.OutputCheckingOrg, "output-checking-org", env("AIRLOCK_OUTPUT_CHECKING_ORG", ""), "organisation of the output-checking repository, sent with notifications (AIRLOCK_OUTPUT_CHECKING_ORG)")
	fs.StringVar(&p.s.OutputCheckingRepo, "output-checking-repo", env("AIRLOCK_OUTPUT_CHECKING_REPO", ""), "output-checking repository, sent with notifications (AIRLOCK_OUTPUT_CHECKING_REPO)")
	fs.StringVar(&p.secure, "secure-cookies", env("AIRLOCK_SECURE_COOKIES", "false"), "mark the session cookie Secure behind a TLS proxy (AIRLOCK_SECURE_COOKIES)")
	fs.StringVar(&p.grace, "recovery-grace", env("AIRLOCK_RECOVERY_GRACE", "1h"), "age after which a temporary file or a blob no request refers to is removed (AIRLOCK_RECOVERY_GRACE)")
	fs.StringVar(&p.checkEvery, "check-interval", env("AIRLOCK_CHECK_INTERVAL", "1h"), "how often serve checks database, file store, outbox and audit log; 0: only at start (AIRLOCK_CHECK_INTERVAL)")
	fs.StringVar(&p.level, "log-level", env("AIRLOCK_LOG_LEVEL", "info"), "debug, info, warn or error (AIRLOCK_LOG_LEVEL)")
	fs.StringVar(&p.s.DisclosurePreset, "disclosure-preset", env("AIRLOCK_DISCLOSURE_PRESET", render.PresetOpenSAFELY), "rules of the CSV disclosure checks: "+strings.Join(render.Presets, " or ")+" (AIRLOCK_DISCLOSURE_PRESET)")
	fs.StringVar(&p.s.DisclosureRulesFile, "disclosure-rules", env("AIRLOCK_DISCLOSURE_RULES", ""), "JSON file of disclosure-check thresholds and vocabularies over the preset, see docs/disclosure.md (AIRLOCK_DISCLOSURE_RULES)")
	fs.StringVar(&p.s.LogFormat, "log-format", env("AIRLOCK_LOG_FORMAT", ""), "json or text (AIRLOCK_LOG_FORMAT; default json unless stderr is a terminal)")
	fs.StringVar(&p.s.Pprof, "pprof", env("AIRLOCK_PPROF", ""), "loopback address (like 127.0.0.1:6060) serving Go's profiler at /debug/pprof/; off when empty (AIRLOCK_PPROF)")
	fs.StringVar(&p.codeURL, "code-url", env("AIRLOCK_CODE_URL", ""), "code-browser URL with {repo}, {commit} and {path}, like https://{repo}/blob/{commit}/{path} (AIRLOCK_CODE_URL)")
	fs.StringVar(&p.s.RegularRequestsFile, "regular-requests", env("AIRLOCK_REGULAR_REQUESTS", ""), "regular release requests configuration, a JSON file (AIRLOCK_REGULAR_REQUESTS)")
	fs.StringVar(&p.regularEvery, "regular-interval", env("AIRLOCK_REGULAR_INTERVAL", "0"), "how often serve runs the regular requests, like 24h; 0 is never (AIRLOCK_REGULAR_INTERVAL)")
	return p
}

type settingsParser struct {
	s          Settings
	getenv     func(string) string
	retry      string
	origins    string
	originsSet bool
	reviews    string
	types      string
	maxSize    string
	secure     string
	level      string
	grace      string
	checkEvery string

	codeURL      string
	regularEvery string
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
	if err := checkDatabase(s.Database); err != nil {
		return s, err
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
	if s.AllowedTypes, err = parseAllowedTypes(p.types); err != nil {
		return s, err
	}
	if !set["max-file-size"] && strings.TrimSpace(p.maxSize) == "" {
		p.maxSize = "0"
		if s.APIEndpoint != "" {
			s.MaxFileSize, s.MaxFileSizeFromJobServer = JobServerMaxFileSize, true
		}
	}
	if !s.MaxFileSizeFromJobServer {
		if s.MaxFileSize, err = ParseSize(p.maxSize); err != nil {
			return s, fmt.Errorf("--max-file-size %q is not a size like 16MiB, 1GB or 0 (no limit)", p.maxSize)
		}
	}
	if err := checkOutputChecking(s.OutputCheckingOrg, s.OutputCheckingRepo); err != nil {
		return s, err
	}
	if s.SecureCookies, err = strconv.ParseBool(p.secure); err != nil {
		return s, fmt.Errorf("--secure-cookies %q must be true or false", p.secure)
	}
	if s.RecoveryGrace, err = time.ParseDuration(strings.TrimSpace(p.grace)); err != nil || s.RecoveryGrace < 0 {
		return s, fmt.Errorf("--recovery-grace %q is not a duration of at least 0 (like 1h or 10m)", p.grace)
	}
	if s.CheckInterval, err = time.ParseDuration(strings.TrimSpace(p.checkEvery)); err != nil || s.CheckInterval < 0 {
		return s, fmt.Errorf("--check-interval %q is not a duration of at least 0 (like 1h; 0: only at start)", p.checkEvery)
	}
	if err := s.LogLevel.UnmarshalText([]byte(p.level)); err != nil {
		return s, fmt.Errorf("--log-level %q must be debug, info, warn or error", p.level)
	}
	switch s.LogFormat {
	case "", "json", "text":
	default:
		return s, fmt.Errorf("--log-format %q must be json or text", s.LogFormat)
	}
	if s.Pprof != "" && !loopbackAddr(s.Pprof) {
		return s, fmt.Errorf("--pprof %q must be a loopback address with a port, like 127.0.0.1:6060", s.Pprof)
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
	if s.CodeURL, err = service.ParseCodeURLTemplate(p.codeURL); err != nil {
		return s, fmt.Errorf("--code-url: %w", err)
	}
	if s.RegularInterval, err = time.ParseDuration(strings.TrimSpace(p.regularEvery)); err != nil || s.RegularInterval < 0 {
		return s, fmt.Errorf("--regular-interval %q is not a duration (like 24h), or 0 for never", p.regularEvery)
	}
	if s.RegularRequestsFile != "" {
		if s.RegularRequests, err = readRegularRequests(s.RegularRequestsFile); err != nil {
			return s, err
		}
	} else if s.RegularInterval > 0 {
		return s, errors.New("--regular-interval needs --regular-requests")
	}
	if s.Disclosure, err = loadDisclosureRules(s.DisclosurePreset, s.DisclosureRulesFile); err != nil {
		return s, err
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

// loopbackAddr reports whether addr is host:port with a loopback host (localhost, 127.x,
// ::1): the profiler shows the server's internals and is never served to the network.
func loopbackAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readRegularRequests reads and validates the regular release requests configuration.
func readRegularRequests(file string) ([]service.RegularRequest, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--regular-requests %s: %w", file, unwrapPathError(err))
	}
	rrs, err := service.ParseRegularRequests(data)
	if err != nil {
		return nil, fmt.Errorf("--regular-requests %s: %w", file, err)
	}
	return rrs, nil
}

// loadDisclosureRules builds the disclosure checks' rules from the preset and the rules file
// (when one is named); the error is one line naming the setting and the problem.
func loadDisclosureRules(preset, file string) (render.DisclosureRules, error) {
	preset = strings.ToLower(strings.TrimSpace(preset))
	if file == "" {
		r, err := render.Preset(preset)
		if err != nil {
			return r, fmt.Errorf("--disclosure-preset: %v", err)
		}
		return r, nil
	}
	if _, err := render.Preset(preset); err != nil {
		return render.DisclosureRules{}, fmt.Errorf("--disclosure-preset: %v", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return render.DisclosureRules{}, fmt.Errorf("--disclosure-rules %s: %v", file, unwrapPathError(err))
	}
	r, err := render.ParseDisclosureRules(preset, data)
	if err != nil {
		return r, fmt.Errorf("--disclosure-rules %s: %v", file, err)
	}
	return r, nil
}

// parseAllowedTypes reads a comma-separated list of file types, each with or without its
// dot (".csv,.png" or "csv, PNG"), into lower-case suffixes with the dot, without repeats.
func parseAllowedTypes(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, errors.New("--allowed-types must list at least one file type, like .csv,.png")
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		t := strings.ToLower(strings.TrimSpace(item))
		name := strings.TrimPrefix(t, ".")
		if name == "" || !validTypeName(name) {
			return nil, fmt.Errorf("--allowed-types: %q is not a file type like .csv (letters and digits after one dot; separate types with commas)", strings.TrimSpace(item))
		}
		if t = "." + name; !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// validTypeName reports whether a file suffix (without its dot) can be matched: letters,
// digits, "_", "-" and "+", and no further dot (only the last suffix of a name counts).
func validTypeName(name string) bool {
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-', c == '+':
		default:
			return false
		}
	}
	return true
}

// sizeUnits are the units ParseSize accepts (case-insensitive): bytes, decimal and binary.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a size in bytes: a whole or decimal number and an optional unit — B, kB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), in any case, with or
// without a space ("16MiB", "1.5 GB", "1048576", "0"). The result is a whole number of
// bytes, at least 0.
func ParseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(c rune) bool { return (c < '0' || c > '9') && c != '.' })
	if i < 0 {
		i = len(v)
	}
	num, unit := v[:i], strings.ToLower(strings.TrimSpace(v[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size", v)
	}
	whole, frac, _ := strings.Cut(num, ".")
	if strings.Contains(frac, ".") || (whole == "" && frac == "") {
		return 0, fmt.Errorf("%q is not a size", v)
	}
	// Exact arithmetic: whole*mult + frac*mult/10^len(frac), refusing overflow and a
	// fraction of a byte.
	w := new(big.Int)
	if whole != "" {
		w.SetString(whole, 10)
	}
	n := new(big.Int).Mul(w, big.NewInt(mult))
	if frac != "" {
		f, _ := new(big.Int).SetString(frac, 10)
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
		f.Mul(f, big.NewInt(mult))
		q, r := new(big.Int).QuoRem(f, scale, new(big.Int))
		if r.Sign() != 0 {
			return 0, fmt.Errorf("%q is not a whole number of bytes", v)
		}
		n.Add(n, q)
	}
	if !n.IsInt64() {
		return 0, fmt.Errorf("%q is too large", v)
	}
	return n.Int64(), nil
}

// checkOutputChecking checks the output-checking org and repo: both or neither, each a
// plain name (the repository without its organisation).
func checkOutputChecking(org, repo string) error {
	if (org == "") != (repo == "") {
		return errors.New("--output-checking-org and --output-checking-repo must be set together")
	}
	for _, c := range []struct{ flag, v string }{{"org", org}, {"repo", repo}} {
		if strings.ContainsAny(c.v, "/ \t\r\n") {
			return fmt.Errorf("--output-checking-%s %q must be a single name, without slashes or spaces", c.flag, c.v)
		}
	}
	return nil
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
