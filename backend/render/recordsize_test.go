package render

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

// A record longer than maxRecordBytes (a file without line ends, or a quote never closed)
// is refused as invalid CSV rather than read whole into memory: table pages (in file
// order, sorted, searched) and summaries alike.
func TestTables_OverlongRecordIsInvalid(t *testing.T) {
	long := strings.Repeat("x", maxRecordBytes+1)
	files := map[string]string{
		"one long line":       "a,b\n1," + long + "\n2,3\n",
		"quote never closed":  "a,b\n1,\"" + long,
		"long quoted field":   "a,b\n1,\"" + long + "\"\n",
		"long header, no end": long,
	}
	queries := map[string]TableQuery{
		"first page": {Limit: 10, Sort: -1},
		"sorted":     {Limit: 10, Sort: 0},
		"searched":   {Limit: 10, Sort: -1, Q: "zzz"},
	}
	for name, content := range files {
		fx := writeCSV(t, content)
		for qn, q := range queries {
			tables := NewTables(TablesConfig{})
			_, err := tables.Table(context.Background(), name, fx.open(t), q)
			tables.Close()
			require.Error(t, err, "%s, %s", name, qn)
			assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), "%s, %s: %v", name, qn, err)
			assert.Contains(t, airlock.ErrorMessage(err), "longer than", "%s, %s", name, qn)
		}
		tables := NewTables(TablesConfig{})
		_, err := tables.Summary(context.Background(), name, fx.open(t))
		tables.Close()
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), "%s, summary: %v", name, err)
	}
}
