package contract

import "github.com/trelab/airlock/backend/render"

// DiffKind is how a file was compared: as a table, as text lines, or only by its bytes.
type DiffKind string

// Diff kinds (render's values, TestKindsAreRenders).
const (
	DiffCSV    DiffKind = "csv"
	DiffText   DiffKind = "text"
	DiffBinary DiffKind = "binary"
)

// RowChangeKind is what happened to a row of a table.
type RowChangeKind string

// Row change kinds (render's values).
const (
	RowAdded   RowChangeKind = "added"
	RowRemoved RowChangeKind = "removed"
	RowChanged RowChangeKind = "changed"
)

// LineKind is what a line of a text hunk is.
type LineKind string

// Line kinds (render's values).
const (
	LineContext LineKind = "context"
	LineAdded   LineKind = "added"
	LineRemoved LineKind = "removed"
)

// FileChanges is the answer of GET /requests/{id}/changes/{path...}: what changed in a
// request file from the version its reviewers last voted on ("reviewed") to its content now
// ("current"). kind is "csv", "text" or "binary"; table and text are set for the first two.
type FileChanges struct {
	Path     string        `json:"path"`
	Kind     DiffKind      `json:"kind"`
	Reviewed FileVersion   `json:"reviewed"`
	Current  FileVersion   `json:"current"`
	Table    *TableChanges `json:"table,omitempty"`
	Text     *TextChanges  `json:"text,omitempty"`
}

// FileVersion is one version of a file: its content hash and size.
type FileVersion struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// TableChanges is what changed in a CSV file (rows are numbered from 1, the header apart).
type TableChanges struct {
	ReviewedColumns []string    `json:"reviewedColumns"`
	CurrentColumns  []string    `json:"currentColumns"`
	ColumnsAdded    []string    `json:"columnsAdded"`
	ColumnsRemoved  []string    `json:"columnsRemoved"`
	ReviewedRows    int         `json:"reviewedRows"`
	CurrentRows     int         `json:"currentRows"`
	RowsAdded       int         `json:"rowsAdded"`
	RowsRemoved     int         `json:"rowsRemoved"`
	RowsChanged     int         `json:"rowsChanged"`
	CellsChanged    int         `json:"cellsChanged"`
	Aligned         bool        `json:"aligned"`
	Changes         []RowChange `json:"changes"`
	Truncated       bool        `json:"truncated"`
	Invalid         string      `json:"invalid,omitempty"`
}

// RowChange is one added, removed or changed row; cells are indexes in currentColumns.
type RowChange struct {
	Kind        RowChangeKind `json:"kind"`
	ReviewedRow int           `json:"reviewedRow,omitempty"`
	CurrentRow  int           `json:"currentRow,omitempty"`
	Reviewed    []string      `json:"reviewed,omitempty"`
	Current     []string      `json:"current,omitempty"`
	Cells       []int         `json:"cells"`
}

// TextChanges is what changed in a text file, line by line (lines numbered from 1).
type TextChanges struct {
	ReviewedLines int        `json:"reviewedLines"`
	CurrentLines  int        `json:"currentLines"`
	LinesAdded    int        `json:"linesAdded"`
	LinesRemoved  int        `json:"linesRemoved"`
	Aligned       bool       `json:"aligned"`
	Hunks         []TextHunk `json:"hunks"`
	Truncated     bool       `json:"truncated"`
}

// TextHunk is a run of changed lines with up to three unchanged lines around it.
type TextHunk struct {
	ReviewedStart int        `json:"reviewedStart"`
	CurrentStart  int        `json:"currentStart"`
	Lines         []TextLine `json:"lines"`
}

// TextLine is one line of a hunk: kind "context", "added" or "removed"; a line number is
// omitted where the line is not in that version.
type TextLine struct {
	Kind         LineKind `json:"kind"`
	ReviewedLine int      `json:"reviewedLine,omitempty"`
	CurrentLine  int      `json:"currentLine,omitempty"`
	Text         string   `json:"text"`
}

// FromDiff is the API's FileChanges of the diff of the file at path.
func FromDiff(path string, d render.Diff) FileChanges {
	out := FileChanges{
		Path: path, Kind: DiffKind(d.Kind),
		Reviewed: FileVersion{SHA256: d.Old.SHA256, Size: d.Old.Size},
		Current:  FileVersion{SHA256: d.New.SHA256, Size: d.New.Size},
	}
	if t := d.Table; t != nil {
		tc := &TableChanges{
			ReviewedColumns: t.OldColumns, CurrentColumns: t.NewColumns,
			ColumnsAdded: t.ColumnsAdded, ColumnsRemoved: t.ColumnsRemoved,
			ReviewedRows: t.OldRows, CurrentRows: t.NewRows,
			RowsAdded: t.RowsAdded, RowsRemoved: t.RowsRemoved, RowsChanged: t.RowsChanged,
			CellsChanged: t.CellsChanged, Aligned: t.Aligned, Truncated: t.Truncated, Invalid: t.Invalid,
			Changes: make([]RowChange, 0, len(t.Changes)),
		}
		for _, c := range t.Changes {
			tc.Changes = append(tc.Changes, RowChange{Kind: RowChangeKind(c.Kind), ReviewedRow: c.OldRow, CurrentRow: c.NewRow,
				Reviewed: c.Old, Current: c.New, Cells: c.Cells})
		}
		out.Table = tc
	}
	if t := d.Text; t != nil {
		tc := &TextChanges{
			ReviewedLines: t.OldLines, CurrentLines: t.NewLines, LinesAdded: t.LinesAdded,
			LinesRemoved: t.LinesRemoved, Aligned: t.Aligned, Truncated: t.Truncated,
			Hunks: make([]TextHunk, 0, len(t.Hunks)),
		}
		for _, h := range t.Hunks {
			th := TextHunk{ReviewedStart: h.OldStart, CurrentStart: h.NewStart, Lines: make([]TextLine, 0, len(h.Lines))}
			for _, l := range h.Lines {
				th.Lines = append(th.Lines, TextLine{Kind: LineKind(l.Kind), ReviewedLine: l.OldLine, CurrentLine: l.NewLine, Text: l.Text})
			}
			tc.Hunks = append(tc.Hunks, th)
		}
		out.Text = tc
	}
	return out
}
