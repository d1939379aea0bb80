package render

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func diffStrings(t *testing.T, p, old, new string, lim DiffLimits) Diff {
	t.Helper()
	d, err := DiffFiles(p, strings.NewReader(old), strings.NewReader(new),
		Version{SHA256: "old", Size: int64(len(old))}, Version{SHA256: "new", Size: int64(len(new))}, lim)
	require.NoError(t, err)
	return d
}

func TestDiffKind(t *testing.T) {
	for p, k := range map[string]string{"a.csv": DiffCSV, "B.CSV": DiffCSV, "x.txt": DiffText, "l.log": DiffText,
		"m.md": DiffText, "j.json": DiffText, "h.html": DiffText, "s.svg": DiffText, "s.svgz": DiffBinary,
		"p.png": DiffBinary, "j.jpeg": DiffBinary, "noext": DiffBinary} {
		assert.Equal(t, k, DiffKind(p), p)
	}
}

func TestDiffFiles_CSVCells(t *testing.T) {
	old := "age,sex,count\n0-19,F,12\n0-19,M,15\n20-39,F,40\n20-39,M,38\n80+,F,3\n"
	// 0-19,M changes its count; 20-39,F is removed; 80+,M is added at the end; the columns are
	// reordered and one is added, which changes no row by itself.
	new := "sex,age,count,note\nF,0-19,12,\nM,0-19,16,\nM,20-39,38,\nF,80+,3,\nM,80+,7,new\n"
	d := diffStrings(t, "t.csv", old, new, DefaultDiffLimits)
	require.Equal(t, DiffCSV, d.Kind)
	td := d.Table
	require.NotNil(t, td)
	assert.Empty(t, td.Invalid)
	assert.True(t, td.Aligned)
	assert.Equal(t, []string{"note"}, td.ColumnsAdded)
	assert.Equal(t, []string{}, td.ColumnsRemoved)
	assert.Equal(t, 5, td.OldRows)
	assert.Equal(t, 5, td.NewRows)
	// The note column is empty in old rows; "new" is only in the added row.
	assert.Equal(t, 1, td.RowsAdded)
	assert.Equal(t, 1, td.RowsRemoved)
	assert.Equal(t, 1, td.RowsChanged)
	assert.Equal(t, 1, td.CellsChanged)
	assert.False(t, td.Truncated)
	require.Len(t, td.Changes, 3)
	// 0-19,M's count: a changed row, the cell by the new version's column index.
	assert.Equal(t, RowChange{Kind: ChangeChanged, OldRow: 2, NewRow: 2,
		Old: []string{"0-19", "M", "15"}, New: []string{"M", "0-19", "16", ""}, Cells: []int{2}}, td.Changes[0])
	assert.Equal(t, RowChange{Kind: ChangeRemoved, OldRow: 3, Old: []string{"20-39", "F", "40"}, Cells: []int{}}, td.Changes[1])
	assert.Equal(t, RowChange{Kind: ChangeAdded, NewRow: 5, New: []string{"M", "80+", "7", "new"}, Cells: []int{}}, td.Changes[2])
}

func TestDiffFiles_CSVUnchangedRowsAndBadFiles(t *testing.T) {
	same := "a,b\n1,2\n3,4\n"
	td := diffStrings(t, "t.csv", same, same, DefaultDiffLimits).Table
	assert.True(t, td.Aligned)
	assert.Zero(t, td.RowsAdded+td.RowsRemoved+td.RowsChanged+td.CellsChanged)
	assert.Equal(t, []RowChange{}, td.Changes)

	// A column removed: rows compare on the columns left.
	td = diffStrings(t, "t.csv", "a,b,c\n1,2,x\n3,4,y\n", "a,b\n1,2\n3,5\n", DefaultDiffLimits).Table
	assert.Equal(t, []string{"c"}, td.ColumnsRemoved)
	assert.Equal(t, 1, td.RowsChanged)
	assert.Equal(t, []int{1}, td.Changes[0].Cells)

	// Empty versions.
	td = diffStrings(t, "t.csv", "", "a\n1\n", DefaultDiffLimits).Table
	assert.Equal(t, []string{"a"}, td.ColumnsAdded)
	assert.Equal(t, 1, td.RowsAdded)

	td = diffStrings(t, "t.csv", "a\n1\n", "a,b\n\"1,2\n", DefaultDiffLimits).Table
	assert.Contains(t, td.Invalid, "The new version is not a valid CSV file")
}

func TestDiffFiles_CSVBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,count\n")
	for i := range 200_000 {
		fmt.Fprintf(&b, "%d,%d\n", i, i%97)
	}
	old := b.String()
	// One cell in the middle changes, 1,000 rows are appended.
	new := strings.Replace(old, "\n100000,"+fmt.Sprint(100000%97)+"\n", "\n100000,5\n", 1)
	require.NotEqual(t, old, new)
	var more strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&more, "x%d,1\n", i)
	}
	new += more.String()
	lim := DiffLimits{Changes: 50, Edits: 2000, CellBytes: 100}
	td := diffStrings(t, "big.csv", old, new, lim).Table
	assert.True(t, td.Aligned)
	assert.Equal(t, 1, td.RowsChanged)
	assert.Equal(t, 1, td.CellsChanged)
	assert.Equal(t, 1000, td.RowsAdded)
	assert.Len(t, td.Changes, 50)
	assert.True(t, td.Truncated)
	assert.Equal(t, RowChange{Kind: ChangeChanged, OldRow: 100001, NewRow: 100001,
		Old: []string{"100000", fmt.Sprint(100000 % 97)}, New: []string{"100000", "5"}, Cells: []int{1}}, td.Changes[0])
	assert.Equal(t, RowChange{Kind: ChangeAdded, NewRow: 200_001, New: []string{"x0", "1"}, Cells: []int{}}, td.Changes[1])

	// Rows only appended are aligned however many (no search is needed).
	td = diffStrings(t, "big.csv", old, old+more.String(), DiffLimits{Changes: 50, Edits: 10, CellBytes: 100}).Table
	assert.True(t, td.Aligned)
	assert.Equal(t, 1000, td.RowsAdded)
	assert.Zero(t, td.RowsRemoved+td.RowsChanged)
	assert.Len(t, td.Changes, 50)
	assert.Equal(t, RowChange{Kind: ChangeAdded, NewRow: 200_001, New: []string{"x0", "1"}, Cells: []int{}}, td.Changes[0])

	// Versions too far apart are compared as sets of rows.
	lim.Edits = 100
	td = diffStrings(t, "big.csv", old, new, lim).Table
	assert.False(t, td.Aligned)
	assert.Equal(t, 1001, td.RowsAdded)
	assert.Equal(t, 1, td.RowsRemoved)
	assert.Empty(t, td.Changes)
}

func TestDiffFiles_Text(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	old := lines(20, func(i int) string { return fmt.Sprintf("line %d", i) })
	new := lines(20, func(i int) string {
		if i == 10 {
			return "line ten"
		}
		return fmt.Sprintf("line %d", i)
	}) + "an extra line" // no final newline
	d := diffStrings(t, "notes.txt", old, strings.ReplaceAll(new, "line 2\n", "line 2\r\n"), DefaultDiffLimits)
	require.Equal(t, DiffText, d.Kind)
	td := d.Text
	assert.True(t, td.Aligned)
	assert.Equal(t, 20, td.OldLines)
	assert.Equal(t, 21, td.NewLines)
	assert.Equal(t, 2, td.LinesAdded)
	assert.Equal(t, 1, td.LinesRemoved)
	require.Len(t, td.Hunks, 2)
	assert.Equal(t, Hunk{OldStart: 7, NewStart: 7, Lines: []DiffLine{
		{ChangeContext, 7, 7, "line 7"}, {ChangeContext, 8, 8, "line 8"}, {ChangeContext, 9, 9, "line 9"},
		{ChangeRemoved, 10, 0, "line 10"}, {ChangeAdded, 0, 10, "line ten"},
		{ChangeContext, 11, 11, "line 11"}, {ChangeContext, 12, 12, "line 12"}, {ChangeContext, 13, 13, "line 13"},
	}}, td.Hunks[0])
	assert.Equal(t, Hunk{OldStart: 18, NewStart: 18, Lines: []DiffLine{
		{ChangeContext, 18, 18, "line 18"}, {ChangeContext, 19, 19, "line 19"}, {ChangeContext, 20, 20, "line 20"},
		{ChangeAdded, 0, 21, "an extra line"},
	}}, td.Hunks[1])

	// Limits: changed lines listed, counted whole.
	td = diffStrings(t, "a.log", "", lines(30, func(i int) string { return fmt.Sprint(i) }), DiffLimits{Changes: 10, Edits: 100, CellBytes: 10}).Text
	assert.Equal(t, 30, td.LinesAdded)
	assert.True(t, td.Truncated)
	require.Len(t, td.Hunks, 1)
	assert.Len(t, td.Hunks[0].Lines, 10)

	// A long line is clipped for showing.
	td = diffStrings(t, "a.txt", "x\n", strings.Repeat("é", 100)+"\n", DiffLimits{Changes: 10, Edits: 10, CellBytes: 9}).Text
	assert.Equal(t, "éééé…", td.Hunks[0].Lines[1].Text)

	// A NUL byte: not text.
	d = diffStrings(t, "a.txt", "x\n", "x\x00\n", DefaultDiffLimits)
	assert.Equal(t, DiffBinary, d.Kind)
	assert.Nil(t, d.Text)
	d = diffStrings(t, "a.png", "\x89PNG", "\x89PNG2", DefaultDiffLimits)
	assert.Equal(t, Diff{Kind: DiffBinary, Old: Version{"old", 4}, New: Version{"new", 5}}, d)
}

// The aligner finds a shortest edit script (checked against the LCS by dynamic
// programming) that turns a into b.
func TestAlign_ShortestScript(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		a, b := randSeq(rng), randSeq(rng)
		edits, ok := align(a, b, 1000)
		require.True(t, ok)
		assert.Equal(t, len(a)+len(b)-2*lcs(a, b), len(edits), "a=%v b=%v", a, b)
		// Apply: copy unchanged rows in lockstep, drop deletions, take insertions.
		var got []rowKey
		i, j := 0, 0
		for _, e := range edits {
			for i < e.i && j < e.j {
				got = append(got, a[i])
				i, j = i+1, j+1
			}
			require.Equal(t, i, e.i)
			require.Equal(t, j, e.j)
			if e.del {
				i++
			} else {
				got = append(got, b[e.j])
				j++
			}
		}
		got = append(got, a[i:]...)
		assert.Equal(t, b, append([]rowKey{}, got...), "a=%v b=%v", a, b)
	}
	_, ok := align(randSeqN(rng, 300), randSeqN(rng, 300), 20)
	assert.False(t, ok, "more edits than allowed")
}

func randSeq(rng *rand.Rand) []rowKey { return randSeqN(rng, rng.IntN(12)) }

func randSeqN(rng *rand.Rand, n int) []rowKey {
	s := make([]rowKey, n)
	for i := range s {
		s[i] = rowKey{a: uint64(rng.IntN(4))}
	}
	return s
}

func lcs(a, b []rowKey) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}
