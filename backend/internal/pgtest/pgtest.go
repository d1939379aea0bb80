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
	return create(t)
}

// NewFrom gives t a database with the content of the template named key, and returns its
// URL. The first call of a key in the process makes the template: an empty database that
// prepare is given the URL of (to apply migrations, say) and must leave without open
// connections. Databases are reused: when t ends its database is emptied back to the
// template's content (every table of the current schema truncated with its sequences
// restarted, triggers off, then the template's rows and sequence values put back) and handed to the next
// NewFrom of the key; one whose reset fails is dropped. Copying or resetting a prepared
// database is much faster than preparing each one, and resetting much faster than
// creating and dropping one.
func NewFrom(t testing.TB, key string, prepare func(url string) error) string {
	t.Helper()
	tm, err := template(key, prepare)
	if err != nil {
		t.Fatalf("pgtest: template %s: %v", key, err)
	}
	admin, _ := Server()
	name := tm.take()
	if name == "" {
		name = "airlock_test_" + randomHex(8)
		q := "CREATE DATABASE " + name + " TEMPLATE " + tm.name
		if serverVersion >= 150000 {
			// a small template is copied faster file by file than through the WAL
			q += " STRATEGY FILE_COPY"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := exec1(ctx, admin, q); err != nil {
			t.Fatalf("pgtest: create database: %v", err)
		}
	}
	url := withDatabase(admin, name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := tm.reset(ctx, url); err != nil {
			if err := exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("pgtest: drop database %s: %v", name, err)
			}
			return
		}
		tm.give(name)
	})
	return url
}

// tmpl is a prepared template database and the databases made from it that are free.
type tmpl struct {
	name   string
	tables []string          // the tables of the current schema
	rows   map[string]string // table → its rows in the template, as a JSON array
	seqs   map[string]int64  // sequence → its last value in the template (those used)
	schema string            // the template schema's fingerprint (schemaFingerprint)
	mu     sync.Mutex
	free   []string
}

func (tm *tmpl) take() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if len(tm.free) == 0 {
		return ""
	}
	name := tm.free[len(tm.free)-1]
	tm.free = tm.free[:len(tm.free)-1]
	return name
}

func (tm *tmpl) give(name string) {
	tm.mu.Lock()
	tm.free = append(tm.free, name)
	tm.mu.Unlock()
}

// reset empties the database at url back to the template's content, in one transaction.
func (tm *tmpl) reset(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// The test has ended: a connection it left open (closing is asynchronous on the server's
	// side) must not see the reset half-way.
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		return err
	}
	// A test that changed the schema (dropped a trigger to tamper, say) leaves a database
	// that is no copy of the template any more.
	var fp string
	if err := conn.QueryRow(ctx, schemaFingerprint).Scan(&fp); err != nil {
		return err
	}
	if fp != tm.schema {
		return errors.New("the schema was changed")
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	// session_replication_role = replica: no trigger fires (the audit log's guards, the
	// change counters)
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return err
	}
	quoted := make([]string, len(tm.tables))
	for i, tb := range tm.tables {
		quoted[i] = pgx.Identifier{tb}.Sanitize()
	}
	if len(quoted) > 0 {
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(quoted, ", ")+" RESTART IDENTITY CASCADE"); err != nil {
			return err
		}
	}
	for tb, rows := range tm.rows {
		id := pgx.Identifier{tb}.Sanitize()
		if _, err := tx.Exec(ctx, "INSERT INTO "+id+" OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::"+id+", $1::json)", rows); err != nil {
			return err
		}
	}
	for seq, last := range tm.seqs {
		if _, err := tx.Exec(ctx, `SELECT setval($1::regclass, $2, true)`, pgx.Identifier{seq}.Sanitize(), last); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

var (
	templatesMu   sync.Mutex
	templates     = map[string]*tmpl{}
	serverVersion int // server_version_num, read with the first template
)

func template(key string, prepare func(url string) error) (*tmpl, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if tm, ok := templates[key]; ok {
		return tm, nil
	}
	admin, err := Server()
	if err != nil {
		return nil, err
	}
	name := "airlock_template_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	tm := &tmpl{name: name, rows: map[string]string{}, seqs: map[string]int64{}}
	url := withDatabase(admin, name)
	err = prepare(url)
	if err == nil {
		err = tm.inspect(ctx, url)
	}
	if err != nil {
		_ = exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return nil, err
	}
	templates[key] = tm
	return tm, nil
}

// schemaFingerprint sums up the current schema: its relations, columns, triggers (and
// whether enabled), functions and constraints.
const schemaFingerprint = `SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
	SELECT 'c:' || c.relname || ':' || c.relkind::text FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace
	UNION ALL SELECT 'a:' || c.relname || '.' || a.attname || ':' || a.atttypid::text
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL SELECT 't:' || t.tgname || ':' || c.relname || ':' || t.tgenabled::text
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relnamespace = current_schema()::regnamespace
	UNION ALL SELECT 'p:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
		WHERE p.pronamespace = current_schema()::regnamespace
	UNION ALL SELECT 'k:' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace = current_schema()::regnamespace
) s(x)`

// inspect records the template's schema, its tables and the rows of those that have any.
func (tm *tmpl) inspect(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&serverVersion); err != nil {
		return err
	}
	if err := conn.QueryRow(ctx, schemaFingerprint).Scan(&tm.schema); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return err
	}
	tm.tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	seqs, err := conn.Query(ctx, `SELECT sequencename, last_value FROM pg_sequences
		WHERE schemaname = current_schema() AND last_value IS NOT NULL`)
	if err != nil {
		return err
	}
	for seqs.Next() {
		var name string
		var last int64
		if err := seqs.Scan(&name, &last); err != nil {
			return err
		}
		tm.seqs[name] = last
	}
	if err := seqs.Err(); err != nil {
		return err
	}
	for _, tb := range tm.tables {
		var js *string
		id := pgx.Identifier{tb}.Sanitize()
		if err := conn.QueryRow(ctx, "SELECT json_agg(t)::text FROM "+id+" t").Scan(&js); err != nil {
			return err
		}
		if js != nil {
			tm.rows[tb] = *js
		}
	}
	return nil
}

func dropTemplates() {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for key, tm := range templates {
		for _, name := range append(tm.free, tm.name) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_ = exec1(ctx, adminURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			cancel()
		}
		delete(templates, key)
	}
}

func create(t testing.TB) string {
	t.Helper()
	admin, err := Server()
	if err != nil {
		t.Fatalf("pgtest: no PostgreSQL for the test: %v", err)
	}
	name := "airlock_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
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

// tempRoot is the folder for the cluster's folder: the system's temporary folder, or /tmp
// when the account the cluster runs as could not reach into it (a TMPDIR under root's home).
func tempRoot(owner *user.User) string {
	root := os.TempDir()
	if owner == nil {
		return root
	}
	for d := root; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return root
		}
	}
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
	dir, err := os.MkdirTemp(tempRoot(owner), "airlock-pg-")
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
