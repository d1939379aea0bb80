// Package pgtest gives tests a real PostgreSQL database: a fresh, empty database per call of
// New, dropped when the test ends.
//
// The server is the one named by AIRLOCK_TEST_POSTGRES (a postgres:// URL of a role that may
// create databases) when that is set. Otherwise the first New of a test process starts a
// private cluster for the process: initdb in a temporary folder, a free loopback port, the
// unix socket inside the folder, fsync off. PostgreSQL's binaries are found on PATH or in
// /usr/lib/postgresql/*/bin, and installed from Debian's packages (build/apt-install.sh)
// when missing. PostgreSQL refuses to run as root: when the tests run as root the cluster
// runs as the postgres user (or nobody), who owns the folder.
//
// The cluster stops when the test process ends, however it ends: a watchdog process, started
// with a pipe from the test process as its input, stops the server and removes the folder
// when the pipe closes. A package whose tests use pgtest calls Main from its TestMain so
// that the stop is waited for. Nothing is mocked or skipped: when no server can be had, New
// fails the test with the reason.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the URL of an existing server to use.
const EnvURL = "AIRLOCK_TEST_POSTGRES"

var (
	once     sync.Once
	adminURL string
	startErr error
	cluster  *privateCluster
)

// Main runs the tests of a package and then stops the private cluster, if one was started.
// Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	dropTemplates()
	if cluster != nil {
		cluster.stop()
	}
	os.Exit(code)
}

// New creates a fresh, empty database for t, dropped when t ends, and returns its URL.
func New(t testing.TB) string {
	t.Helper()
	return create(t, "")
}

// NewFrom creates a fresh database for t as a copy of the template named key, dropped when
// t ends, and returns its URL. The first call of a key in the process makes the template:
// an empty database that prepare is given the URL of (to apply migrations, say) and must
// leave without open connections. Copying a prepared database is much faster than
// preparing each one.
func NewFrom(t testing.TB, key string, prepare func(url string) error) string {
	t.Helper()
	tmpl, err := template(key, prepare)
	if err != nil {
		t.Fatalf("pgtest: template %s: %v", key, err)
	}
	return create(t, tmpl)
}

var (
	templatesMu sync.Mutex
	templates   = map[string]string{} // key → database name
)

func template(key string, prepare func(url string) error) (string, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if name, ok := templates[key]; ok {
		return name, nil
	}
	admin, err := Server()
	if err != nil {
		return "", err
	}
	name := "airlock_template_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	if err := prepare(withDatabase(admin, name)); err != nil {
		_ = exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return "", err
	}
	templates[key] = name
	return name, nil
}

func dropTemplates() {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for key, name := range templates {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = exec1(ctx, adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		cancel()
		delete(templates, key)
	}
}

func create(t testing.TB, template string) string {
	t.Helper()
	admin, err := Server()
	if err != nil {
		t.Fatalf("pgtest: no PostgreSQL for the test: %v", err)
	}
	name := "airlock_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if err := exec1(ctx, admin, q); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// Server returns the URL of the server's maintenance database, starting the private cluster
// on the first call when AIRLOCK_TEST_POSTGRES is not set.
func Server() (string, error) {
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			adminURL = u
			return
		}
		cluster, startErr = startCluster()
		if startErr == nil {
			adminURL = cluster.url
		}
	})
	return adminURL, startErr
}

func exec1(ctx context.Context, connURL, sql string) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func withDatabase(connURL, db string) string {
	u, err := url.Parse(connURL)
	if err != nil {
		return connURL
	}
	u.Path = "/" + db
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type privateCluster struct {
	url      string
	dir      string
	watchdog *exec.Cmd
	pipe     *os.File // the write end of the watchdog's input: closing it stops the cluster
}

func (c *privateCluster) stop() {
	_ = c.pipe.Close()
	_ = c.watchdog.Wait()
}

// binDir finds the folder holding initdb and pg_ctl, installing PostgreSQL when missing.
func binDir() (string, error) {
	find := func() string {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			if _, err := exec.LookPath("initdb"); err == nil {
				if r, err := filepath.EvalSymlinks(p); err == nil {
					return filepath.Dir(r)
				}
				return filepath.Dir(p)
			}
		}
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		// the newest major version first
		sort.Slice(dirs, func(i, j int) bool {
			vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
			vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
			return vi > vj
		})
		for _, d := range dirs {
			if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
				return d
			}
		}
		return ""
	}
	if d := find(); d != "" {
		return d, nil
	}
	script := filepath.Join(repoRoot(), "build", "apt-install.sh")
	out, err := exec.Command("bash", script, "postgresql").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("initdb and pg_ctl not found, and installing Debian's postgresql failed: %v: %s", err, out)
	}
	if d := find(); d != "" {
		return d, nil
	}
	return "", errors.New("initdb and pg_ctl not found after installing Debian's postgresql")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// repoRoot is the repository holding this file (backend/internal/pgtest).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// runAs is the unprivileged account the cluster runs as when the tests run as root.
func runAs() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, errors.New("running as root and neither the postgres nor the nobody account exists (PostgreSQL refuses to run as root)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startCluster() (*privateCluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	owner, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "airlock-pg-")
	if err != nil {
		return nil, err
	}
	data, sock, logf := filepath.Join(dir, "data"), filepath.Join(dir, "sock"), filepath.Join(dir, "log")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, err
	}
	if owner != nil {
		if err := chownTree(dir, owner); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	fail := func(err error) (*privateCluster, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	const role = "airlock"
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", role, "--auth=trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	if out, err := runCmd(initdb, owner); err != nil {
		return fail(fmt.Errorf("initdb: %v: %s", err, out))
	}
	ctl := filepath.Join(bin, "pg_ctl")
	// The watchdog stops the cluster and removes the folder when its input closes: when Main
	// closes it, or when the test process dies and the kernel closes it.
	r, w, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	script := `read _ || true; "$1" -D "$2" -m immediate -w stop >/dev/null 2>&1; rm -rf "$3"`
	watchdog := exec.Command("sh", "-c", script, "pgtest-watchdog", ctl, data, dir)
	watchdog.Stdin = r
	setCredential(watchdog, owner)
	setOwnGroup(watchdog)
	if err := watchdog.Start(); err != nil {
		_ = r.Close()
		_ = w.Close()
		return fail(err)
	}
	_ = r.Close()
	c := &privateCluster{dir: dir, watchdog: watchdog, pipe: w}
	var lastErr error
	for range 5 { // another process may take the free port before the server binds it
		port, err := freePort()
		if err != nil {
			c.stop()
			return nil, err
		}
		opts := strings.Join([]string{"-p", strconv.Itoa(port), "-h", "127.0.0.1", "-k", sock,
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300"}, " ")
		start := exec.Command(ctl, "-D", data, "-l", logf, "-o", opts, "-w", "-t", "120", "start")
		if out, err := runCmd(start, owner); err != nil {
			log, _ := os.ReadFile(logf)
			lastErr = fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
			continue
		}
		c.url = fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", role, port)
		return c, nil
	}
	c.stop()
	return nil, lastErr
}

func runCmd(cmd *exec.Cmd, owner *user.User) ([]byte, error) {
	setCredential(cmd, owner)
	return cmd.CombinedOutput()
}

func chownTree(dir string, owner *user.User) error {
	uid, err := strconv.Atoi(owner.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(owner.Gid)
	if err != nil {
		return err
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}
