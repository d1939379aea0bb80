package render

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/trelab/airlock/backend/airlock"
)

// countingFile is a real file that counts the bytes read through it and whether it was closed.
type countingFile struct {
	*os.File
	read   *atomic.Int64
	closed *atomic.Bool
}

func (c countingFile) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c countingFile) Close() error {
	c.closed.Store(true)
	return c.File.Close()
}

type fixture struct {
	path   string
	read   atomic.Int64
	closed atomic.Bool
}

func writeCSV(t testing.TB, content string) *fixture {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.csv")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return &fixture{path: p}
}

func (fx *fixture) open(t testing.TB) io.ReadSeekCloser {
	t.Helper()
	f, err := os.Open(fx.path)
	require.NoError(t, err)
	fx.closed.Store(false)
	return countingFile{File: f, read: &fx.read, closed: &fx.closed}
}

func (fx *fixture) size(t testing.TB) int64 {
	st, err := os.Stat(fx.path)
	require.NoError(t, err)
	return st.Size()
}

func query(t *testing.T, tables *Tables, fx *fixture, key string, raw string) Table {
	t.Helper()
	v, err := url.ParseQuery(raw)
	require.NoError(t, err)
	q, err := ParseTableQuery(v)
	require.NoError(t, err)
	tbl, err := tables.Table(context.Background(), key, fx.open(t), q)
	require.NoError(t, err)
	assert.True(t, fx.closed.Load(), "Table closes its source")
	return tbl
}

const people = "name,count,note\n" +
	"alice,10,x\n" +
	"Bob,9,\"multi\nline\"\n" +
	"carol,abc,\"say \"\"hi\"\"\"\n" +
	"dave,,y\n" +
	"Émile,2.5,z\n" +
	"bob,-1,BOB again\n"

func TestTables_PagesSortsAndSearches(t *testing.T) {
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	fx := writeCSV(t, people)

	t.Run("first page in file order", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "")
		assert.Equal(t, []string{"name", "count", "note"}, tbl.Columns)
		assert.Equal(t, 6, tbl.TotalRows)
		assert.Equal(t, 6, tbl.MatchedRows)
		assert.True(t, tbl.TotalRowsExact)
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, tbl.RowIndexes)
		assert.Equal(t, []string{"Bob", "9", "multi\nline"}, tbl.Rows[1])
		assert.Equal(t, []string{"carol", "abc", `say "hi"`}, tbl.Rows[2])
	})
	t.Run("offset and limit", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "offset=2&limit=2")
		assert.Equal(t, 2, tbl.Offset)
		assert.Equal(t, []int{2, 3}, tbl.RowIndexes)
		assert.Equal(t, "carol", tbl.Rows[0][0])
		assert.Equal(t, "dave", tbl.Rows[1][0])
		tbl = query(t, tables, fx, "k1", "offset=6")
		assert.Empty(t, tbl.Rows)
		assert.Equal(t, 6, tbl.TotalRows)
	})
	t.Run("numeric-aware ascending sort: numbers, then text, then empty cells", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "sort=1")
		assert.Equal(t, []int{5, 4, 1, 0, 2, 3}, tbl.RowIndexes) // -1, 2.5, 9, 10, abc, ""
	})
	t.Run("descending sort keeps numbers first and empty cells last", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "sort=1&desc=true")
		assert.Equal(t, []int{0, 1, 4, 5, 2, 3}, tbl.RowIndexes) // 10, 9, 2.5, -1, abc, ""
	})
	t.Run("text sort ignores case; ties keep file order", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "sort=0")
		names := lo(tbl.Rows, 0)
		assert.Equal(t, []string{"alice", "Bob", "bob", "carol", "dave", "Émile"}, names)
	})
	t.Run("search is case-insensitive and every term must match some cell", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "q=BOB")
		assert.Equal(t, []int{1, 5}, tbl.RowIndexes)
		assert.Equal(t, 2, tbl.MatchedRows)
		assert.Equal(t, 6, tbl.TotalRows)
		tbl = query(t, tables, fx, "k1", "q=bob+again")
		assert.Equal(t, []int{5}, tbl.RowIndexes)
		tbl = query(t, tables, fx, "k1", "q=émile")
		assert.Equal(t, []int{4}, tbl.RowIndexes)
		tbl = query(t, tables, fx, "k1", "q=nobody")
		assert.Empty(t, tbl.Rows)
		assert.Equal(t, 0, tbl.MatchedRows)
	})
	t.Run("search and sort together", func(t *testing.T) {
		tbl := query(t, tables, fx, "k1", "q=bob&sort=1&desc=1")
		assert.Equal(t, []int{1, 5}, tbl.RowIndexes) // Bob 9, bob -1
	})
	t.Run("sort column out of range", func(t *testing.T) {
		q := TableQuery{Limit: 10, Sort: 3}
		_, err := tables.Table(context.Background(), "k1", fx.open(t), q)
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	})
}

func lo(rows [][]string, col int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[col]
	}
	return out
}

func TestTables_MalformedCSVIsInvalidWithLine(t *testing.T) {
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	fx := writeCSV(t, "a,b\n1,2\n3,\"4\"x\n")
	_, err := tables.Table(context.Background(), "bad", fx.open(t), TableQuery{Limit: 10, Sort: -1})
	require.Error(t, err)
	assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	assert.Contains(t, airlock.ErrorMessage(err), "line 3")
	assert.True(t, fx.closed.Load())
}

func TestTables_EmptyAndHeaderOnly(t *testing.T) {
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	for name, content := range map[string]string{"empty": "", "header": "\ufeffa,b\n"} {
		fx := writeCSV(t, content)
		tbl := query(t, tables, fx, name, "q=x")
		if name == "empty" {
			assert.Empty(t, tbl.Columns)
		} else {
			assert.Equal(t, []string{"a", "b"}, tbl.Columns, "byte order mark removed")
		}
		assert.Empty(t, tbl.Rows)
		assert.NotNil(t, tbl.Rows)
		assert.Equal(t, 0, tbl.TotalRows)
	}
}

func genCSV(rows int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("id,group,value,label\n")
	words := []string{"alpha", "Beta", "gamma", "DELTA", "épsilon", "zeta"}
	for i := 0; i < rows; i++ {
		var v string
		switch r.IntN(6) {
		case 0:
			v = ""
		case 1:
			v = words[r.IntN(len(words))]
		case 2:
			v = strconv.FormatFloat(r.Float64()*100-50, 'f', 2, 64)
		default:
			v = strconv.Itoa(r.IntN(200) - 20)
		}
		label := words[r.IntN(len(words))] + " " + strconv.Itoa(r.IntN(1000))
		if r.IntN(5) == 0 {
			label = `"` + label + `, with ""quotes"" and` + "\n" + `a newline"`
		}
		fmt.Fprintf(&b, "%d,g%d,%s,%s\n", i, r.IntN(7), v, label)
	}
	return b.String()
}

// referenceOrder is the documented sort and search rule written the simple way: parse the
// whole file and sort in memory.
func referenceOrder(t *testing.T, content string, col int, desc bool, q string) []int {
	t.Helper()
	recs, err := readAllStd(content)
	require.NoError(t, err)
	data := recs[1:]
	terms := strings.Fields(strings.ToLower(q))
	var rows []int
	for i, rec := range data {
		ok := true
		for _, term := range terms {
			found := false
			for _, c := range rec {
				if strings.Contains(strings.ToLower(c), term) {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			rows = append(rows, i)
		}
	}
	if col < 0 {
		return rows
	}
	kind := func(s string) (int, float64) {
		s = strings.TrimSpace(s)
		if s == "" {
			return 2, 0
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, v
		}
		return 1, 0
	}
	slices.SortStableFunc(rows, func(a, b int) int {
		ka, va := kind(data[a][col])
		kb, vb := kind(data[b][col])
		if ka == 2 || kb == 2 {
			return boolInt(ka == 2) - boolInt(kb == 2)
		}
		c := 0
		switch {
		case ka != kb:
			return ka - kb // numbers, then text, in both directions
		case ka == 0:
			c = cmpFloat(va, vb)
		default:
			c = strings.Compare(strings.ToLower(strings.TrimSpace(data[a][col])), strings.ToLower(strings.TrimSpace(data[b][col])))
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = a - b
		}
		return c
	})
	return rows
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTables_MatchesInMemoryReference(t *testing.T) {
	content := genCSV(3000, 7)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	for _, tc := range []struct {
		col  int
		desc bool
		q    string
	}{{-1, false, ""}, {-1, false, "beta"}, {2, false, ""}, {2, true, ""}, {3, false, ""}, {1, true, "g3 alpha"}, {2, false, "QUOTES"}, {0, true, ""}, {-1, false, "ÉPSILON 1"}, {3, true, `"quotes" and`}, {-1, false, "with, newline"}} {
		want := referenceOrder(t, content, tc.col, tc.desc, tc.q)
		var got []int
		for off := 0; ; off += 1000 {
			raw := fmt.Sprintf("offset=%d&limit=1000&q=%s", off, url.QueryEscape(tc.q))
			if tc.col >= 0 {
				raw += fmt.Sprintf("&sort=%d&desc=%t", tc.col, tc.desc)
			}
			tbl := query(t, tables, fx, "gen", raw)
			assert.Equal(t, len(want), tbl.MatchedRows)
			assert.Equal(t, 3000, tbl.TotalRows)
			got = append(got, tbl.RowIndexes...)
			if len(tbl.Rows) < 1000 {
				break
			}
		}
		assert.Equal(t, want, got, "col %d desc %t q %q", tc.col, tc.desc, tc.q)
	}
	// Cells round-trip exactly, including quotes and newlines.
	recs, _ := readAllStd(content)
	tbl := query(t, tables, fx, "gen", "offset=100&limit=50")
	assert.Equal(t, recs[101:151], tbl.Rows)
}
