package contract

import (
	"github.com/trelab/airlock/backend/acro"
	"github.com/trelab/airlock/backend/service"
)

// ACROAnswer is the answer of the acro routes: ACRO's record of the file, or null when no
// ACRO results file names it.
type ACROAnswer struct {
	ACRO *ACRO `json:"acro"`
}

// ACRO is what ACRO recorded about one file (docs/api.md "ACRO results", docs/acro.md).
type ACRO struct {
	// ResultsPath is the workspace-relative path of the results.json read; Source is
	// "request" (the request's stored copy) or "workspace".
	ResultsPath string `json:"resultsPath"`
	Source      string `json:"source"`
	// Error is set when that results.json looks like ACRO's but cannot be read; the other
	// fields are then empty and status is "unknown".
	Error string `json:"error"`
	// Version is the ACRO version that wrote results.json ("" before 0.4); Layout is
	// "versioned" (0.4 and later) or "legacy".
	Version string `json:"version"`
	Layout  string `json:"layout"`
	UID     string `json:"uid"`
	// Status is "pass", "review", "fail" or "unknown" (StatusText is what the file says).
	Status     string `json:"status"`
	StatusText string `json:"statusText"`
	Type       string `json:"type"`
	Command    string `json:"command"`
	Summary    string `json:"summary"`
	Timestamp  string `json:"timestamp"`
	// Suppressed is whether ACRO suppressed the flagged cells; null when it does not say.
	Suppressed *bool `json:"suppressed"`
	// Checks is the SDC summary in ACRO's order.
	Checks []ACROCheck `json:"checks"`
	// Cells are the flagged cells (at most 500; CellsTotal counts all), as 0-based positions
	// in the table ACRO checked.
	Cells      []ACROCell `json:"cells"`
	CellsTotal int        `json:"cellsTotal"`
	// OutcomeCells are the cells of ACRO's outcome table that are not "ok" (at most 500).
	OutcomeCells      []ACROOutcomeCell `json:"outcomeCells"`
	OutcomeCellsTotal int               `json:"outcomeCellsTotal"`
	// Exception is the researcher's exception request ("" when none).
	Exception string   `json:"exception"`
	Comments  []string `json:"comments"`
	// Problems lists parts of the record that could not be read.
	Problems []string `json:"problems"`
	// Checksum verifies the file's bytes, ResultsChecksum results.json, against the
	// checksums ACRO wrote.
	Checksum        ACROChecksum `json:"checksum"`
	ResultsChecksum ACROChecksum `json:"resultsChecksum"`
}

// ACROCheck is one member of ACRO's SDC summary.
type ACROCheck struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Flagged bool   `json:"flagged"`
}

// ACROCell is one flagged cell.
type ACROCell struct {
	Check  string `json:"check"`
	Row    int    `json:"row"`
	Column int    `json:"column"`
}

// ACROOutcomeCell is one cell of ACRO's outcome table, by its labels.
type ACROOutcomeCell struct {
	Row     string `json:"row"`
	Column  string `json:"column"`
	Outcome string `json:"outcome"`
}

// ACROChecksum is one verification: state "MATCH", "MISMATCH", "MISSING" or "INVALID".
type ACROChecksum struct {
	State    string `json:"state"`
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Message  string `json:"message"`
}

// FromACRO is the answer of the acro routes.
func FromACRO(v *service.ACROView) ACROAnswer {
	if v == nil {
		return ACROAnswer{}
	}
	out := &ACRO{
		ResultsPath: v.ResultsPath, Source: v.Source, Error: v.Error, Version: v.Version, Layout: string(v.Layout),
		Status: string(acro.StatusUnknown), Checks: []ACROCheck{}, Cells: []ACROCell{}, OutcomeCells: []ACROOutcomeCell{},
		Comments: []string{}, Problems: []string{},
	}
	if v.Output == nil || v.File == nil {
		return ACROAnswer{ACRO: out}
	}
	o, f := v.Output, v.File
	out.UID, out.Status, out.StatusText, out.Type = o.UID, string(o.Status), o.StatusText, o.Type
	out.Command, out.Summary, out.Timestamp, out.Exception = o.Command, o.Summary, o.Timestamp, o.Exception
	out.Suppressed = f.SDC.Suppressed
	for _, c := range f.SDC.Checks {
		out.Checks = append(out.Checks, ACROCheck{Name: c.Name, Value: c.Value, Flagged: c.Flagged})
	}
	for _, c := range f.SDC.Cells {
		out.Cells = append(out.Cells, ACROCell{Check: c.Check, Row: c.Row, Column: c.Column})
	}
	out.CellsTotal = f.SDC.CellsTotal
	for _, c := range o.OutcomeCells {
		out.OutcomeCells = append(out.OutcomeCells, ACROOutcomeCell{Row: c.Row, Column: c.Column, Outcome: c.Outcome})
	}
	out.OutcomeCellsTotal = o.OutcomeCellsTotal
	out.Comments = append(out.Comments, o.Comments...)
	out.Problems = append(out.Problems, o.Problems...)
	out.Checksum = fromChecksum(v.Checksum, v.ChecksumPath)
	out.ResultsChecksum = fromChecksum(v.ResultsChecksum, v.ResultsChecksumPath)
	return ACROAnswer{ACRO: out}
}

func fromChecksum(c acro.Checksum, path string) ACROChecksum {
	return ACROChecksum{State: string(c.State), Path: path, Expected: c.Expected, Actual: c.Actual, Message: c.Message}
}
