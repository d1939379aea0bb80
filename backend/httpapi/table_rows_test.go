package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/render"
)

// wireTable is the table answer as a client reads it: rowIndexes must be in the JSON (a
// missing field would decode as nil here, not as render.Table's zero value).
type wireTable struct {
	Columns     []string   `json:"columns"`
	Rows        [][]string `json:"rows"`
	RowIndexes  *[]int     `json:"rowIndexes"`
	MatchedRows int        `json:"matchedRows"`
	Offset      int        `json:"offset"`
}

// Sorted, searched and later pages say, for each row, which data row of the file it is; the
// summary's warning cells use the same numbers, so a client marks the right rows (on the
// workspace's file and on a request's stored copy alike).
func TestTablePagesCarryTheFileRowOfEachRow(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	// 300 rows of id,band,count; counts 3 and 6 planted on rows 250 and 299, all other
	// counts are multiples of 5 from 10 up.
	var b strings.Builder
	b.WriteString("id,band,count\n")
	cells := make([][]string, 300)
	for i := range 300 {
		count := strconv.Itoa(10 + 5*((i*13)%71))
		switch i {
		case 250:
			count = "3"
		case 299:
			count = "6"
		}
		cells[i] = []string{fmt.Sprintf("id%03d", i), fmt.Sprintf("band %d", i%4), count}
		b.WriteString(strings.Join(cells[i], ",") + "\n")
	}
	h.env.WriteFile(t, ws, "output/planted.csv", b.String())
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/planted.csv", testenv.Content(b.String())))
	c := h.login(t, "checker1")

	for _, base := range []string{"/api/v1/workspaces/" + ws, "/api/v1/requests/" + r.ID} {
		t.Run(base, func(t *testing.T) {
			var sum render.Summary
			c.do("GET", base+"/summary/output/planted.csv", nil, nil).decode(t, &sum)
			var small []render.Cell
			for _, w := range sum.Warnings {
				if w.Rule == render.RuleSmallCount {
					small = append(small, w.Cells...)
				}
			}
			assert.ElementsMatch(t, []render.Cell{{Row: 250, Column: 2}, {Row: 299, Column: 2}}, small)

			for _, tc := range []struct {
				query string
				want  []int // the file rows of the page, in order
			}{
				{"offset=250&limit=3", []int{250, 251, 252}},
				{"sort=2&limit=2", []int{250, 299}},                      // the small counts first
				{"sort=2&desc=true&offset=298&limit=5", []int{299, 250}}, // and last, on a later page
				{"q=id299", []int{299}},
				{"q=band+2&sort=2&limit=1", []int{250}}, // 250 % 4 == 2
				{"q=id29&sort=2&limit=1", []int{299}},   // id029, id290..id299
			} {
				var tbl wireTable
				c.do("GET", base+"/table/output/planted.csv?"+tc.query, nil, nil).decode(t, &tbl)
				require.NotNil(t, tbl.RowIndexes, "%s: no rowIndexes in the answer", tc.query)
				assert.Equal(t, tc.want, *tbl.RowIndexes, tc.query)
				require.Len(t, tbl.Rows, len(*tbl.RowIndexes), tc.query)
				for i, fr := range *tbl.RowIndexes {
					assert.Equal(t, cells[fr], tbl.Rows[i], "%s: row %d is not file row %d", tc.query, i, fr)
				}
			}
		})
	}
}
