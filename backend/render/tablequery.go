package render

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// MaxTableLimit is the largest page a table request may ask for.
const MaxTableLimit = 1000

// DefaultTableLimit is the page size when none is given.
const DefaultTableLimit = 100

// TableQuery selects one page of a CSV table.
type TableQuery struct {
	Offset int
	Limit  int
	// Sort is the 0-based column index to sort by, or -1 for file order.
	Sort int
	Desc bool
	// Q is the search: whitespace-separated terms, each of which must occur (ignoring case)
	// in some cell of a matching row.
	Q string
}

// Table is one page of a CSV table, the shape of the API's table answer.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	// RowIndexes are the 0-based data-row numbers of Rows in the file (what a grid shows as
	// row numbers when sorted or searched; the same numbering as summary warning cells).
	RowIndexes []int `json:"rowIndexes"`
	// TotalRows is the number of data rows in the file (the header is not a row).
	TotalRows int `json:"totalRows"`
	// MatchedRows is the number of rows the search matched (TotalRows without a search).
	MatchedRows int `json:"matchedRows"`
	Offset      int `json:"offset"`
	// TotalRowsExact is false only on a first page of a large file that has not been
	// indexed yet: TotalRows and MatchedRows then count the rows read so far, and one more
	// when the file goes on. The index is built in the background; ask again for exact counts.
	TotalRowsExact bool `json:"totalRowsExact"`
}

// ParseTableQuery decodes offset, limit, sort, desc and q from a URL query. Bad values are
// CodeInvalid errors. The column range of sort is checked against the file later.
func ParseTableQuery(v url.Values) (TableQuery, error) {
	q := TableQuery{Limit: DefaultTableLimit, Sort: -1, Q: strings.TrimSpace(v.Get("q"))}
	var err error
	if s := v.Get("offset"); s != "" {
		if q.Offset, err = strconv.Atoi(s); err != nil || q.Offset < 0 {
			return q, airlock.Errorf(airlock.CodeInvalid, "offset must be a whole number of at least 0")
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > MaxTableLimit {
			return q, airlock.Errorf(airlock.CodeInvalid, "limit must be a whole number from 1 to %d", MaxTableLimit)
		}
	}
	if s := v.Get("sort"); s != "" {
		if q.Sort, err = strconv.Atoi(s); err != nil || q.Sort < 0 {
			return q, airlock.Errorf(airlock.CodeInvalid, "sort must be a column index (0 is the first column)")
		}
	}
	if s := v.Get("desc"); s != "" {
		if q.Desc, err = strconv.ParseBool(s); err != nil {
			return q, airlock.Errorf(airlock.CodeInvalid, "desc must be true or false")
		}
	}
	if len(q.Q) > 1000 {
		return q, airlock.Errorf(airlock.CodeInvalid, "the search is too long")
	}
	return q, nil
}
