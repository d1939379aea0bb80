package render

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

func TestParseTableQuery(t *testing.T) {
	for _, bad := range []string{"offset=-1", "offset=x", "limit=0", "limit=1001", "limit=x", "sort=-2", "sort=a", "desc=maybe", "q=" + strings.Repeat("a", 1001)} {
		v, _ := url.ParseQuery(bad)
		_, err := ParseTableQuery(v)
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), bad)
	}
	q, err := ParseTableQuery(url.Values{})
	require.NoError(t, err)
	assert.Equal(t, TableQuery{Limit: DefaultTableLimit, Sort: -1}, q)
	q, err = ParseTableQuery(url.Values{"limit": {"1000"}, "sort": {"2"}, "desc": {"true"}, "q": {" x "}, "offset": {"5"}})
	require.NoError(t, err)
	assert.Equal(t, TableQuery{Offset: 5, Limit: 1000, Sort: 2, Desc: true, Q: "x"}, q)
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

func TestTables_LargeFileFirstPageReadsOnlyTheStart(t *testing.T) {
	content := genCSV(20000, 3)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{SyncIndexBelow: 1000})
	defer tables.Close()

	fx.read.Store(0)
	src := fx.open(t)
	tbl, err := tables.Table(context.Background(), "big", src, TableQuery{Limit: 50, Sort: -1})
	require.NoError(t, err)
	assert.Len(t, tbl.Rows, 50)
	assert.False(t, tbl.TotalRowsExact, "not indexed yet")
	assert.Equal(t, 51, tbl.TotalRows, "rows seen, and one more because the file goes on")

	// The background indexer owns the file until it is done, then closes it.
	require.Eventually(t, func() bool { return tables.Indexed("big") && fx.closed.Load() }, timeoutIndex, tick)

	// Once indexed, a page deep in the file reads only what it shows.
	fx.read.Store(0)
	tbl = query(t, tables, fx, "big", "offset=15000&limit=100")
	assert.True(t, tbl.TotalRowsExact)
	assert.Equal(t, 20000, tbl.TotalRows)
	assert.Equal(t, 15000, tbl.RowIndexes[0])
	assert.Less(t, fx.read.Load(), fx.size(t)/10, "a page after indexing does not scan the file")
	recs, _ := readAllStd(content)
	assert.Equal(t, recs[15001:15101], tbl.Rows)

	// A first page of an indexed file is exact.
	tbl = query(t, tables, fx, "big", "")
	assert.True(t, tbl.TotalRowsExact)
	assert.Equal(t, 20000, tbl.TotalRows)
}

func TestTables_FirstPageOfLargeFileDoesNotScan(t *testing.T) {
	content := genCSV(50000, 4)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{SyncIndexBelow: 1000, Background: 1})
	tables.Close() // no background indexing: measure the first page alone
	fx.read.Store(0)
	tbl, err := tables.Table(context.Background(), "big", fx.open(t), TableQuery{Limit: 100, Sort: -1})
	require.NoError(t, err)
	assert.Len(t, tbl.Rows, 100)
	assert.Less(t, fx.read.Load(), fx.size(t)/20)
	assert.True(t, fx.closed.Load())
}

func TestTables_MemoryBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	fx := writeCSV(t, genCSV(2000, 5))
	tables := NewTables(TablesConfig{MemoryBudget: 2000*8 + 1000})
	defer tables.Close()
	query(t, tables, fx, "a", "")
	require.True(t, tables.Indexed("a"))
	query(t, tables, fx, "b", "")
	assert.True(t, tables.Indexed("b"))
	assert.False(t, tables.Indexed("a"), "the older index was dropped to stay within budget")
}

func TestTables_ConcurrentRequestsShareOneIndex(t *testing.T) {
	content := genCSV(5000, 9)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	want := referenceOrder(t, content, 2, false, "")[:20]
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			f, err := os.Open(fx.path)
			if err != nil {
				errs <- err
				return
			}
			tbl, err := tables.Table(context.Background(), "c", f, TableQuery{Limit: 20, Sort: 2})
			if err == nil && !slices.Equal(tbl.RowIndexes, want) {
				err = fmt.Errorf("got %v", tbl.RowIndexes)
			}
			errs <- err
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
}

const (
	timeoutIndex = 10 * time.Second
	tick         = 5 * time.Millisecond
)

func TestRadixSortOrdersFloatsStably(t *testing.T) {
	vals := []float64{3, -1, 0, 2.5, math.Copysign(0, -1), 1e300, -1e-300, 3, -7.25, 0}
	items := make([]radixItem, len(vals))
	for i, v := range vals {
		if v == 0 {
			v = 0
		}
		items[i] = radixItem{key: orderedBits(v), row: int32(i)}
	}
	got := radixSort(items)
	rows := make([]int32, len(got))
	for i, it := range got {
		rows[i] = it.row
	}
	assert.Equal(t, []int32{8, 1, 6, 2, 4, 9, 3, 0, 7, 5}, rows)
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tc := range []struct {
		hay, needle string
		want        bool
	}{
		{"Hello World", "world", true}, {"Hello World", "hello w", true}, {"Hello", "hellO", false},
		{"abc", "", true}, {"", "a", false}, {"aaab", "aab", true}, {"AAAB", "aab", true},
		{"x-9", "-9", true}, {"ab", "abc", false}, {"CoMmA 99", "comma 99", true}, {"ab", "b", true},
	} {
		assert.Equal(t, tc.want, containsFoldASCII([]byte(tc.hay), []byte(tc.needle)), "%q in %q", tc.needle, tc.hay)
	}
	assert.True(t, isASCII([]byte("plain ascii text, long enough")))
	assert.False(t, isASCII([]byte("plain ascii text, long enough é")))
	assert.False(t, isASCII([]byte("é")))
}
