package service

// ViewKind is how a client reads a workspace file or a request's stored copy.
type ViewKind string

// The views of a file (docs/api.md: content, table, summary and log routes).
const (
	ViewContent ViewKind = "content" // the raw bytes
	ViewTable   ViewKind = "table"   // one page of a CSV table
	ViewSummary ViewKind = "summary" // a CSV file's statistics and disclosure warnings
	ViewLog     ViewKind = "log"     // the viewable tail of a log
)

// FileView is what a client asked to read of a file. The service decides from it, in one
// place (Opens), whether the read opens the file — audited as a view — or is a derived read
// of a file the client has already opened.
type FileView struct {
	Kind ViewKind
	// For table pages: the first row of the page, the sort column (-1 or below for file
	// order) and the search text as asked.
	Offset int
	Sort   int
	Search string
}

// Opens reports whether reading for v is an "open" of a file, audited as a view
// (WORKSPACE_FILE_VIEW or REQUEST_FILE_VIEW): the raw content, the log view, the summary,
// and the first page of a table in any order or search. Only later pages of a table
// (scrolling on from a first page that was audited) are read without a row of their own, so
// no way of reading a file escapes the audit, while scrolling a large CSV does not write
// one row per page.
func (v FileView) Opens() bool {
	if v.Kind == ViewTable {
		return v.Offset <= 0
	}
	return true
}
