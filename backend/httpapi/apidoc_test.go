package httpapi

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routeRow matches a row of the route list: | `METHOD /path` | ... |
var routeRow = regexp.MustCompile("^\\|\\s*`((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)`\\s*\\|")

// TestAPIDocListsEveryRoute: docs/api.md's route list is exactly the server's routes.
func TestAPIDocListsEveryRoute(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	require.NoError(t, err)
	text := string(data)
	start := strings.Index(text, "## Route list")
	require.GreaterOrEqual(t, start, 0, "docs/api.md has a Route list section")
	section := text[start+len("## Route list"):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var documented []string
	for _, line := range strings.Split(section, "\n") {
		if m := routeRow.FindStringSubmatch(line); m != nil {
			documented = append(documented, m[1])
		}
	}
	h := newAPI(t)
	served := h.server.Routes()
	require.NotEmpty(t, served)
	for _, r := range served {
		assert.Contains(t, documented, r, "the server serves %s but docs/api.md does not list it", r)
	}
	for _, d := range documented {
		assert.Contains(t, served, d, "docs/api.md lists %s but the server does not serve it", d)
	}
	sorted := slices.Clone(documented)
	slices.Sort(sorted)
	assert.Equal(t, len(sorted), len(slices.Compact(sorted)), "a route is listed twice")
}
