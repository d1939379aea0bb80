package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/trelab/airlock"

// edge is one import of ours that a package may make, with the reason when the edge is not
// plain "inward" in docs/architecture.md's drawing (adapters import airlock, and service
// where they drive it; only the composition root wires everything).
type edge struct {
	to  string
	why string
}

func in(to string) edge { return edge{to: to} }

// allowed lists, for every package of ours, exactly the packages of ours it may import
// (non-test files). A package missing from the table fails the test, so the direction of
// every edge is a decision; an edge in the table that no package makes fails too, so the
// table never allows more than the code needs.
var allowed = map[string][]edge{
	".": {edge{"backend/cli", "main.go only calls the composition root"}},
	// the desktop build (main_desktop.go, tag desktop) also wires the Wails window
	".#desktop": {edge{"backend/cli", "composition root"}, edge{"app", "the desktop shell, wired only by main"},
		edge{"app/sigonstack", "keeps the Go runtime alive beside WebKit's signal handlers; linked only into the window"}},
	"backend/airlock": {},
	// ACRO's results files, parsed and checked: pure, like the domain, and importing nothing of ours
	"backend/acro": {},
	"backend/service": {in("backend/airlock"),
		edge{"backend/acro", "a file's ACRO record is found and verified where the file view is built; acro only parses bytes"},
		edge{"internal/fsutil", "a regular request's paths follow the one relative-path rule (CheckRelPath, pure)"}},
	"backend/contract": {in("backend/airlock"), in("backend/acro"),
		edge{"backend/service", "contract turns service views into wire shapes; it reads them and calls no service method"},
		edge{"backend/render", "a file's content type (how the viewer shows it) is render's knowledge, named in the file shapes"}},
	// the SQL both stores share (queries, row scanning, the audit chain, migrations) over
	// database/sql, with a small dialect each store fills in; it knows no driver
	"backend/store/sqlstore": {in("backend/airlock")},
	"backend/store/sqlite":   {edge{"backend/store/sqlstore", "the store is the shared SQL on SQLite's dialect, pools and migrations"}},
	"backend/store/postgres": {edge{"backend/store/sqlstore", "the store is the shared SQL on PostgreSQL's dialect, pools and migrations"}},
	// the store contract suite: it drives stores through the ports of service and auth
	"backend/store/storetest": {in("backend/airlock"), in("backend/service"), in("backend/auth"),
		edge{"backend/store/sqlstore", "a store's refusal of a newer schema is sqlstore's error type, checked as such"}},
	"backend/workspace": {in("backend/airlock"), in("internal/fsutil")},
	"backend/filestore": {in("backend/airlock"), in("internal/fsutil")},
	"backend/render":    {in("backend/airlock")},
	"backend/auth":      {in("backend/airlock")},
	"backend/live":      {in("backend/airlock")},
	"backend/release":   {in("backend/airlock"), in("internal/fsutil")},
	"backend/contract/gen": {in("backend/contract"), in("internal/fsutil"),
		edge{"backend/render", "the table, summary and log answers are render's shapes, generated with contract's"}},
	"backend/httpapi": {in("backend/airlock"), in("backend/service"), in("backend/contract"), in("backend/live"), in("backend/auth"),
		edge{"backend/render", "content endpoints page CSV files and truncate logs through render"}},
	"app": {in("backend/airlock"), in("backend/service"), in("backend/live"), in("backend/auth"),
		edge{"backend/contract", "the desktop shell speaks the API's shapes with the page and an attached server"},
		edge{"internal/fsutil", "a saved file is written atomically by the toolkit"}},
	// defines sigaction for the process (C): it imports nothing of ours
	"app/sigonstack": {},
	"frontend":       {},
	// The command line is the composition root: it wires everything.
	"backend/cli": {in("backend/airlock"), in("backend/service"), in("backend/store/sqlite"), in("backend/store/postgres"), in("backend/workspace"),
		in("backend/filestore"), in("backend/render"), in("backend/auth"), in("backend/live"), in("backend/release"),
		in("backend/httpapi"), in("frontend"), in("internal/fsutil"), in("backend/contract")},
	// Test-only packages: helpers that wire real parts together on purpose, and peers.
	"backend/internal/archtest": {},
	// reads the repository's files as text: it imports nothing of ours
	"backend/internal/doctest": {},
	"backend/internal/testenv": {in("backend/airlock"), in("backend/service"), in("backend/store/sqlite"),
		in("backend/store/postgres"), in("backend/auth"),
		edge{"backend/internal/pgtest", "the environment's PostgreSQL database (AIRLOCK_TEST_STORE=postgres)"},
		in("backend/workspace"), in("backend/filestore"),
		edge{"backend/render", "the service's warning counts come from the real disclosure checks"}},
	// a stand-in for job-server is a peer speaking the wire protocol: it knows nothing of ours
	"backend/internal/fakejobserver": {},
	"backend/internal/livetest":      {},
	// drives the real binary over HTTP, as a client would: it knows nothing of ours but the process helpers
	"backend/internal/loadtest": {in("internal/testbin")},
	// runs the built binary as a subprocess and speaks HTTP to it: it imports nothing of ours
	"backend/internal/crashtest": {},
	// runs the real binary twice on one PostgreSQL database (its tests only)
	"backend/internal/replicatest": {},
	"internal/testbin":             {},
	// starts or finds a PostgreSQL server for tests: it imports nothing of ours
	"backend/internal/pgtest": {},
	// the file-system toolkit (atomic write, context reader, relative paths): it imports nothing of ours
	"internal/fsutil":   {},
	"e2e":               {},
	"build/desktoptest": {},
	"build/icon":        {},
}

// forbiddenExternal lists outside packages a package must never import.
var forbiddenExternal = map[string][]string{
	"backend/airlock": {"database/sql", "net/http", "os", "os/exec", "io/fs", "github.com/wailsapp", "github.com/mattn/go-sqlite3", "github.com/gorilla/websocket", "github.com/fsnotify/fsnotify"},
	// the service reaches files only through its ports (Files, Workspaces)
	"backend/service": {"os", "database/sql", "net/http", "github.com/wailsapp", "github.com/mattn/go-sqlite3", "github.com/gorilla/websocket"},
	"backend/httpapi": {"database/sql", "github.com/mattn/go-sqlite3", "github.com/wailsapp"},
	"backend/live":    {"database/sql", "github.com/wailsapp"},
	"backend/render":  {"database/sql", "net/http", "github.com/wailsapp"},
	"backend/acro":    {"database/sql", "net/http", "os", "io/fs", "github.com/wailsapp"},
	// the shared SQL speaks database/sql only: each store brings its driver and dialect
	"backend/store/sqlstore": {"github.com/mattn/go-sqlite3", "github.com/jackc/pgx", "os", "net/http"},
}

// forbiddenCalls lists functions a package's non-test code must never call: the domain is
// pure, so it is given the time instead of reading the clock.
var forbiddenCalls = map[string][]string{
	"backend/airlock": {"time.Now", "time.Since", "time.Until"},
}

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

func listPackages(t *testing.T, tags string) []pkg {
	t.Helper()
	args := []string{"list", "-json"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, module+"/...")...)
	out, err := cmd.Output()
	require.NoError(t, err, "go list failed")
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.Greater(t, len(pkgs), 10, "go list found too few packages")
	return pkgs
}

func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}

func TestDependencyDirection(t *testing.T) {
	used := map[string]map[string]bool{}
	check := func(key string, p pkg) {
		rules, ok := allowed[key]
		if !ok {
			t.Errorf("package %s is not in the dependency table of this test: decide its direction and add it", key)
			return
		}
		if used[key] == nil {
			used[key] = map[string]bool{}
		}
		for _, imp := range p.Imports {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				target := rel(imp)
				if !slices.ContainsFunc(rules, func(e edge) bool { return e.to == target }) {
					t.Errorf("%s imports %s, which the dependency table forbids (docs/architecture.md)", key, target)
				}
				used[key][target] = true
				continue
			}
			for _, bad := range forbiddenExternal[rel(p.ImportPath)] {
				if imp == bad || strings.HasPrefix(imp, bad+"/") {
					t.Errorf("%s imports %s, which it must never use", key, imp)
				}
			}
		}
	}
	for _, p := range listPackages(t, "") {
		check(rel(p.ImportPath), p)
	}
	// the desktop build's entry point, with its own row
	for _, p := range listPackages(t, "desktop") {
		switch rel(p.ImportPath) {
		case ".":
			check(".#desktop", p)
		case "app":
			check("app", p)
		}
	}
	var keys []string
	for k := range allowed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, e := range allowed[k] {
			if !used[k][e.to] {
				t.Errorf("the table lets %s import %s, but it does not: remove the edge", k, e.to)
			}
		}
	}
}

// TestForbiddenCalls reads the source of the packages in forbiddenCalls and fails on a call
// of a listed function through its real import (a local variable named "time" is not it).
func TestForbiddenCalls(t *testing.T) {
	byPath := map[string]pkg{}
	for _, p := range listPackages(t, "") {
		byPath[rel(p.ImportPath)] = p
	}
	for path, calls := range forbiddenCalls {
		p, ok := byPath[path]
		require.True(t, ok, "package %s not found", path)
		require.NotEmpty(t, p.GoFiles, "package %s has no files", path)
		for _, name := range p.GoFiles {
			for _, found := range callsIn(t, filepath.Join(p.Dir, name), calls) {
				t.Errorf("%s calls %s: %s must be given the time, never read the clock", found, path, path)
			}
		}
	}
}

// callsIn returns "file:line name" for every selector pkg.Func of calls in the file, where
// pkg is the name under which the file imports that package.
func callsIn(t *testing.T, file string, calls []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	local := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		require.NoError(t, err)
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		local[name] = p
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		if p, ok := local[id.Name]; ok && slices.Contains(calls, p+"."+sel.Sel.Name) {
			found = append(found, fset.Position(sel.Pos()).String()+" "+p+"."+sel.Sel.Name)
		}
		return true
	})
	return found
}

// The source check finds what it is meant to find.
func TestCallsInFindsAliasedImports(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nimport clock \"time\"\n\nfunc f() { _ = clock.Now(); time := struct{ Now int }{}; _ = time.Now }\n"
	file := filepath.Join(dir, "x.go")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	got := callsIn(t, file, []string{"time.Now"})
	assert.Len(t, got, 1, "the aliased call, not the local variable: %v", got)
}
