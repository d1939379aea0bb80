package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/trelab/airlock"

// allowed lists, for each package of ours, the packages of ours it may import (directly).
// Packages not listed here may import only what their listed prefix allows; a new package
// must be added here, so the direction of every edge is a decision.
var allowed = map[string][]string{
	"backend/airlock":           {},
	"backend/acro":              {},
	"backend/service":           {"backend/airlock", "backend/acro"},
	"backend/contract":          {"backend/airlock", "backend/service", "backend/render", "backend/acro"},
	"backend/store/sqlite":      {"backend/airlock"},
	"backend/workspace":         {"backend/airlock"},
	"backend/filestore":         {"backend/airlock"},
	"backend/render":            {"backend/airlock"},
	"backend/auth":              {"backend/airlock"},
	"backend/live":              {"backend/airlock", "backend/auth"},
	"backend/release":           {"backend/airlock", "backend/service"},
	"backend/httpapi":           {"backend/airlock", "backend/service", "backend/contract", "backend/live", "backend/auth", "backend/render", "frontend"},
	"app":                       {"backend/airlock", "backend/service", "backend/contract", "backend/live", "backend/auth"},
	"frontend":                  {},
	"backend/internal/archtest": {},
	// The command line is the composition root (main.go only calls it): it wires everything.
	"backend/cli": {"backend/airlock", "backend/service", "backend/contract", "backend/store/sqlite", "backend/workspace",
		"backend/filestore", "backend/render", "backend/auth", "backend/live", "backend/release", "backend/httpapi", "frontend"},
}

// forbiddenExternal lists outside packages a package must never import.
var forbiddenExternal = map[string][]string{
	"backend/airlock": {"database/sql", "net/http", "os", "github.com/wailsapp", "github.com/mattn/go-sqlite3", "time.Now"},
	"backend/acro":    {"database/sql", "net/http", "os", "io/fs"},
	"backend/service": {"database/sql", "net/http", "github.com/wailsapp", "github.com/mattn/go-sqlite3"},
	"backend/httpapi": {"database/sql", "github.com/mattn/go-sqlite3", "github.com/wailsapp"},
	"backend/live":    {"database/sql", "github.com/wailsapp"},
}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestDependencyDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"/backend/...", module+"/app/...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list failed")

	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if strings.HasPrefix(rel, "backend/internal/testenv") || strings.Contains(rel, "/internal/") && rel != "backend/internal/archtest" {
			continue // test helpers wire real parts together on purpose
		}
		rules, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s is not in the dependency table of this test: decide its direction and add it", rel)
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) {
				target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if !containsPrefix(rules, target) {
					t.Errorf("%s imports %s, which ARCHITECTURE.md forbids", rel, target)
				}
				continue
			}
			for _, bad := range forbiddenExternal[rel] {
				if imp == bad || strings.HasPrefix(imp, bad+"/") {
					t.Errorf("%s imports %s, which it must never use", rel, imp)
				}
			}
		}
	}
	require.Greater(t, seen, 2, "go list found too few packages")
}

func containsPrefix(list []string, target string) bool {
	for _, a := range list {
		if target == a {
			return true
		}
	}
	return false
}
