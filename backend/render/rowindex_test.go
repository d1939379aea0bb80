package render

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The grid marks the cells a summary warning names on the rows the table pages say they
// hold. Both must number the file's data rows the same way, whatever order a page is in and
// whatever the file holds between its records (blank lines, quoted line breaks, CRLF).
func TestTables_RowIndexesAreTheRowsSummaryWarningsName(t *testing.T) {
	// 450 rows: region, band, count, note. Counts are multiples of 5 from 10 up, except
	// planted small counts (1..7) on every 37th row; blank lines, CRLF line ends and quoted
	// multi-line notes are sprinkled in between so that line numbers and row numbers differ.
	var b strings.Builder
	b.WriteString("region,band,count,note\r\n")
	planted := map[int]string{}
	for r := 0; r < 450; r++ {
		count := strconv.Itoa(10 + 5*((r*7)%97))
		if r%37 == 5 {
			count = strconv.Itoa(1 + r%7)
			planted[r] = count
		}
		note := "plain"
		if r%11 == 0 {
			note = "\"two\nlines, with a comma\""
		}
		end := "\n"
		if r%3 == 0 {
			end = "\r\n"
		}
		fmt.Fprintf(&b, "R%03d,band %d,%s,%s%s", r, r%9, count, note, end)
		if r%13 == 0 {
			b.WriteString("\n") // a blank line is not a row
		}
	}
	content := b.String()
	// what the file's rows are, read by the standard library's CSV reader (which also skips
	// blank lines): the test's own numbering of the file
	cr := csv.NewReader(strings.NewReader(content))
	records, err := cr.ReadAll()
	require.NoError(t, err)
	fileRows := records[1:]
	require.Len(t, fileRows, 450)

	tables := NewTables(TablesConfig{})
	defer tables.Close()
	fx := writeCSV(t, content)

	// the summary names exactly the planted cells, by their row in the file
	sum, err := tables.Summary(context.Background(), "k", fx.open(t))
	require.NoError(t, err)
	named := map[int]bool{}
	for _, w := range sum.Warnings {
		if w.Rule != RuleSmallCount {
			continue
		}
		for _, c := range w.Cells {
			require.Less(t, c.Row, len(fileRows))
			assert.Equal(t, 2, c.Column)
			assert.Equal(t, planted[c.Row], fileRows[c.Row][c.Column], "warning cell row %d names a cell that is not a planted small count", c.Row)
			named[c.Row] = true
		}
	}
	assert.Len(t, named, len(planted), "every planted small count is named")

	for _, raw := range []string{
		"limit=100", "offset=300&limit=100", // file order, first and a later page
		"sort=2&limit=20", "sort=2&desc=true&offset=430&limit=20", // small counts first / last
		"sort=0&desc=true&offset=100&limit=150",
		"q=plain&offset=50&limit=100", "q=two+lines&sort=2&limit=50", "q=band+3&sort=2&desc=1&offset=10&limit=30",
	} {
		t.Run(raw, func(t *testing.T) {
			tbl := query(t, tables, fx, "k", raw)
			require.Len(t, tbl.RowIndexes, len(tbl.Rows))
			require.NotEmpty(t, tbl.Rows)
			marked := 0
			for i, r := range tbl.RowIndexes {
				require.Less(t, r, len(fileRows))
				require.Equal(t, fileRows[r], tbl.Rows[i], "page row %d says it is file row %d", i, r)
				if named[r] {
					marked++
					assert.Equal(t, planted[r], tbl.Rows[i][2])
				}
			}
			if strings.HasPrefix(raw, "sort=2&limit") || strings.Contains(raw, "sort=2&desc=true&offset=430") {
				assert.Equal(t, len(planted), marked, "every small count is on this page, and marked by its file row")
			}
		})
	}
}
