package render

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

func summarize(t *testing.T, content string) Summary {
	t.Helper()
	fx := writeCSV(t, content)
	f, err := os.Open(fx.path)
	require.NoError(t, err)
	defer f.Close()
	s, err := Summarize(context.Background(), f, DisclosureRules{})
	require.NoError(t, err)
	return s
}

func colByName(t *testing.T, s Summary, name string) ColumnSummary {
	t.Helper()
	for _, c := range s.Columns {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no column %q", name)
	return ColumnSummary{}
}

func warningsOf(s Summary, rule string) []Warning {
	var out []Warning
	for _, w := range s.Warnings {
		if w.Rule == rule {
			out = append(out, w)
		}
	}
	return out
}

func TestSummarize_ColumnStatistics(t *testing.T) {
	s := summarize(t, "ints,floats,mixed,words,mid,empty\n"+
		"10,1.5,3,apple,0,\n"+
		"-5,0,x,Pear,3,NULL\n"+
		"0,2,[REDACTED],,9, none \n"+
		" 25 ,-0.25,<=7,n/a,15,nan\n"+
		"NA,1e2,*,banana,21,\n")
	assert.Equal(t, 5, s.Rows)

	ints := colByName(t, s, "ints")
	assert.Equal(t, "integer", ints.Type)
	assert.Equal(t, 4, ints.Numeric)
	assert.Equal(t, 1, ints.Redacted, "NA is redacted")
	assert.Equal(t, 0, ints.Missing)
	assert.Equal(t, json.Number("-5"), *ints.Min)
	assert.Equal(t, json.Number("5"), *ints.MinNonZero, "smallest non-zero absolute value")
	assert.Equal(t, json.Number("25"), *ints.Max)
	assert.Equal(t, json.Number("30"), *ints.Sum)
	assert.True(t, *ints.DivisibleBy5)
	assert.False(t, *ints.DivisibleBy6)
	assert.False(t, *ints.Midpoint6)

	floats := colByName(t, s, "floats")
	assert.Equal(t, "float", floats.Type)
	assert.Equal(t, json.Number("-0.25"), *floats.Min)
	assert.Equal(t, json.Number("0.25"), *floats.MinNonZero)
	assert.Equal(t, json.Number("100"), *floats.Max)
	assert.Equal(t, json.Number("103.25"), *floats.Sum)
	assert.False(t, *floats.DivisibleBy5)

	mixed := colByName(t, s, "mixed")
	assert.Equal(t, "mixed", mixed.Type)
	assert.Equal(t, 1, mixed.Numeric)
	assert.Equal(t, 3, mixed.Redacted, "[REDACTED], <=7 and *")
	assert.Nil(t, mixed.Min)
	assert.Nil(t, mixed.Sum)
	assert.Nil(t, mixed.DivisibleBy5)

	words := colByName(t, s, "words")
	assert.Equal(t, "text", words.Type)
	assert.Equal(t, 1, words.Missing)
	assert.Equal(t, 1, words.Redacted)

	mid := colByName(t, s, "mid")
	assert.True(t, *mid.Midpoint6)
	assert.False(t, *mid.DivisibleBy6)
	assert.Equal(t, json.Number("3"), *mid.MinNonZero)

	empty := colByName(t, s, "empty")
	assert.Equal(t, "text", empty.Type)
	assert.Equal(t, 5, empty.Missing)

	// The JSON uses the contract's names and nulls for non-numeric statistics.
	raw, err := json.Marshal(words)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"words","type":"text","numeric":0,"missing":1,"redacted":1,"min":null,"minNonZero":null,"max":null,"sum":null,"divisibleBy5":null,"divisibleBy6":null,"midpoint6":null}`, string(raw))
}

func TestSummarize_RedactionMarkers(t *testing.T) {
	markers := []string{"[REDACTED]", "REDACTED", "[redacted]", "*", "**", "<7", "<=7", "< = 7", "≤7", "<8", "NA", "n/a", "N / A", "[Suppressed]"}
	s := summarize(t, "v\n"+strings.Join(markers, "\n")+"\nx\n<a\n")
	v := s.Columns[0]
	assert.Equal(t, len(markers), v.Redacted)
	assert.Equal(t, "text", v.Type, "x and <a are text")
}

func TestSummarize_DisclosureWarnings(t *testing.T) {
	t.Run("small counts: BLOCK in a column named as a count, WARN in an unnamed whole-number column", func(t *testing.T) {
		s := summarize(t, "group,count,other,age_band\nA,10,15,1\nB,3,7,2\nC,[REDACTED],20,3\n")
		ws := warningsOf(s, RuleSmallCount)
		require.Len(t, ws, 2)
		assert.Equal(t, SeverityBlock, ws[0].Severity)
		assert.Equal(t, []Cell{{Row: 1, Column: 1}}, ws[0].Cells)
		assert.Equal(t, 1, *ws[0].Column)
		assert.Equal(t, SeverityWarn, ws[1].Severity)
		assert.Equal(t, []Cell{{Row: 1, Column: 2}}, ws[1].Cells)
	})
	t.Run("no small-count warning for midpoint-6 rounded columns, rates or ids", func(t *testing.T) {
		s := summarize(t, "count_midpoint6,rate,patient_id\n3,0.5,1\n9,1.5,2\n0,2.5,3\n")
		assert.Empty(t, warningsOf(s, RuleSmallCount))
		assert.Empty(t, warningsOf(s, RuleRounding))
		assert.Empty(t, warningsOf(s, RuleMidpoint6))
	})
	t.Run("counts not rounded to 5", func(t *testing.T) {
		s := summarize(t, "n\n10\n12\n15\n0\n23\n")
		ws := warningsOf(s, RuleRounding)
		require.Len(t, ws, 1)
		assert.Equal(t, []Cell{{Row: 1, Column: 0}, {Row: 4, Column: 0}}, ws[0].Cells)
		assert.Empty(t, warningsOf(s, RuleSmallCount))
	})
	t.Run("a midpoint6 column that is not midpoint-6 rounded", func(t *testing.T) {
		s := summarize(t, "events_midpoint6,events_midpoint6_derived\n3,6\n10,12\n9,14\n")
		ws := warningsOf(s, RuleMidpoint6)
		require.Len(t, ws, 2)
		assert.Equal(t, []Cell{{Row: 1, Column: 0}}, ws[0].Cells)
		assert.Equal(t, []Cell{{Row: 2, Column: 1}}, ws[1].Cells)
	})
	t.Run("secondary disclosure through a total column", func(t *testing.T) {
		s := summarize(t, "region,male,female,total\nNorth,100,[REDACTED],105\nSouth,50,55,105\nEast,[REDACTED],*,20\n")
		ws := warningsOf(s, RuleSecondary)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityWarn, ws[0].Severity)
		assert.Equal(t, []Cell{{Row: 0, Column: 2}, {Row: 0, Column: 3}}, ws[0].Cells)
		assert.Contains(t, ws[0].Message, "is 5")
		assert.Empty(t, warningsOf(s, RuleTotals), "south adds up")
	})
	t.Run("secondary disclosure through a total row", func(t *testing.T) {
		s := summarize(t, "site,cases\nA,100\nB,<=7\nC,50\nTotal,155\n")
		ws := warningsOf(s, RuleSecondary)
		require.Len(t, ws, 1)
		assert.Equal(t, []Cell{{Row: 1, Column: 1}, {Row: 3, Column: 1}}, ws[0].Cells)
	})
	t.Run("a total that is not the sum of its counts", func(t *testing.T) {
		s := summarize(t, "site,cases\nA,100\nB,50\nTotal,160\n")
		ws := warningsOf(s, RuleTotals)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityWarn, ws[0].Severity)
		assert.Equal(t, []Cell{{Row: 2, Column: 1}}, ws[0].Cells)
		assert.Empty(t, warningsOf(s, RuleSecondary))
	})
	t.Run("extremes, row count and ragged rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("label,max_value\n")
		for range 1200 {
			b.WriteString("a,10\n")
		}
		b.WriteString("short\n")
		s := summarize(t, b.String())
		assert.Len(t, warningsOf(s, RuleExtremes), 1)
		rc := warningsOf(s, RuleRowCount)
		require.Len(t, rc, 1)
		assert.Equal(t, SeverityWarn, rc[0].Severity)
		rg := warningsOf(s, RuleRagged)
		require.Len(t, rg, 1)
		assert.Equal(t, []Cell{{Row: 1200, Column: 1}}, rg[0].Cells)
		assert.Equal(t, 1, colByName(t, s, "max_value").Missing, "the short row's missing cell")
	})
	t.Run("more rows than the level-4 limit is BLOCK", func(t *testing.T) {
		s := summarize(t, "a\n"+strings.Repeat("10\n", 5001))
		rc := warningsOf(s, RuleRowCount)
		require.Len(t, rc, 1)
		assert.Equal(t, SeverityBlock, rc[0].Severity)
	})
	t.Run("a clean table has no warnings", func(t *testing.T) {
		s := summarize(t, "region,count\nNorth,100\nSouth,55\n")
		assert.Empty(t, s.Warnings)
		assert.NotNil(t, s.Warnings)
	})
}

func TestSummarize_CellListsAreCapped(t *testing.T) {
	s := summarize(t, "count\n"+strings.Repeat("4\n", 3000))
	ws := warningsOf(s, RuleSmallCount)
	require.Len(t, ws, 1)
	assert.Len(t, ws[0].Cells, maxWarningCells)
	assert.Contains(t, ws[0].Message, "3000 counts")
}

func TestSummarize_EmptyAndMalformed(t *testing.T) {
	s := summarize(t, "")
	assert.Equal(t, 0, s.Rows)
	assert.NotNil(t, s.Columns)
	s = summarize(t, "a,b\n")
	assert.Len(t, s.Columns, 2)
	assert.Empty(t, s.Warnings)

	fx := writeCSV(t, "a\n1\n\"x\n")
	f, err := os.Open(fx.path)
	require.NoError(t, err)
	defer f.Close()
	_, err = Summarize(context.Background(), f, DisclosureRules{})
	assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	assert.Contains(t, airlock.ErrorMessage(err), "line 3")
}

func TestHeaderTokens(t *testing.T) {
	assert.Equal(t, []string{"covid", "cases"}, headerTokens("covid_cases"))
	assert.Equal(t, []string{"age", "band"}, headerTokens("ageBand"))
	assert.Equal(t, []string{"n", "total", "2024"}, headerTokens("N (total) 2024"))
}

func TestTables_SummaryIsCachedByKey(t *testing.T) {
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	fx := writeCSV(t, "count\n3\n10\n")
	s, err := tables.Summary(context.Background(), "h1", fx.open(t))
	require.NoError(t, err)
	assert.True(t, fx.closed.Load())
	assert.Equal(t, 2, s.Rows)
	fx.read.Store(0)
	s2, err := tables.Summary(context.Background(), "h1", fx.open(t))
	require.NoError(t, err)
	assert.Equal(t, s, s2)
	assert.Zero(t, fx.read.Load(), "answered from the cache")
}
