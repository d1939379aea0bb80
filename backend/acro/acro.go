// Package acro reads what ACRO (the SACRO project's statistical disclosure control tool for
// researchers, github.com/AI-SDC/ACRO) writes beside the outputs it checked: a results.json
// with one record per output (its status pass / review / fail, the SDC summary and the
// flagged cells, the researcher's exception request and comments) and a checksums/ folder
// holding the sha256 of every file of the output folder as ACRO wrote it.
//
// The package is pure: it parses bytes the caller read and compares hashes the caller
// computed. Every input, however malformed, gives a result or an error, never a panic
// (FuzzParse).
//
// Layouts read (docs/acro.md):
//   - ACRO 0.4 and later: {"version": "0.4.12", "results": {uid: record}}, each record naming
//     its files as "files": [{"name", "sdc": {"summary": {...}, "cells": {...}}}] and carrying
//     "exception" and "comments"; 1.x adds "fair" and names checks differently
//     ("MinimumThresholdCheck" for 0.4's "threshold"). Unknown fields are ignored.
//   - ACRO before 0.4: {uid: record} with the files as "output": [names], no version, no
//     exception request and no checksums.
package acro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ResultsName is the name of ACRO's results file; ChecksumsDir the folder beside it that
// holds one "<name>.txt" per file of the output folder.
const (
	ResultsName  = "results.json"
	ChecksumsDir = "checksums"
)

// Limits of what is read and returned, so a huge or hostile results.json costs bounded work.
const (
	// MaxResultsSize is the largest results.json read (ACRO's are kilobytes to a few MB).
	MaxResultsSize = 16 << 20
	// MaxChecksumSize is the largest checksum file read (ACRO writes 64 hex digits).
	MaxChecksumSize = 4 << 10
	// MaxCells is how many flagged cells (and how many non-ok outcome cells) one file's
	// record keeps; the totals are still counted.
	MaxCells = 500
	// maxText bounds any one text field kept (command, summary, comment, exception).
	maxText = 64 << 10
	// maxComments bounds the comments kept of one record.
	maxComments = 200
)

// Status is ACRO's verdict on one output.
type Status string

// The statuses ACRO writes, and Unknown for anything else (shown as such, never as a pass).
const (
	StatusPass    Status = "pass"
	StatusReview  Status = "review"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown"
)

// Layout names the shape of a results.json.
type Layout string

// The layouts read.
const (
	LayoutVersioned Layout = "versioned" // ACRO 0.4 and later
	LayoutLegacy    Layout = "legacy"    // ACRO before 0.4
)

// Results is one parsed results.json.
type Results struct {
	// Version is the ACRO version that wrote the file ("" before 0.4, which wrote none).
	Version string
	Layout  Layout
	// Outputs are the records in file order.
	Outputs []Output
}

// Output is ACRO's record of one output (an "output_N" or a renamed uid).
type Output struct {
	UID string
	// Status is pass, review or fail, or unknown when the file says something else;
	// StatusText is what the file says.
	Status     Status
	StatusText string
	// Type is ACRO's output type ("table", "regression", "histogram", "custom", ...).
	Type      string
	Command   string
	Summary   string
	Timestamp string
	// Exception is the researcher's request for an exception ("" when none).
	Exception string
	Comments  []string
	Files     []File
	// OutcomeCells are the cells of the outcome table that are not "ok" (at most MaxCells),
	// OutcomeCellsTotal how many there are.
	OutcomeCells      []OutcomeCell
	OutcomeCellsTotal int
	// Problems lists parts of the record that could not be read (a field of the wrong type).
	Problems []string
}

// File is one file of an output, with the SDC results ACRO recorded for it.
type File struct {
	// Name is the file's path relative to the folder of results.json, as ACRO wrote it
	// (leading spaces and all), with "\" read as "/".
	Name string
	SDC  SDC
}

// SDC is ACRO's disclosure-check summary of one file.
type SDC struct {
	// Suppressed is whether ACRO suppressed the flagged cells (0.4's summary.suppressed);
	// nil when the file does not say.
	Suppressed *bool
	// Checks are the other members of the summary in file order: each check's name and
	// value (a count of cells, usually).
	Checks []Check
	// Cells are the flagged cells, check by check (at most MaxCells); CellsTotal counts all.
	Cells      []Cell
	CellsTotal int
}

// Check is one member of an SDC summary.
type Check struct {
	Name string
	// Value is the value as text ("3", "true"); Flagged is whether it reports a problem (a
	// number other than zero, or true).
	Value   string
	Flagged bool
}

// Cell is one cell an SDC check flagged: 0-based row and column positions in the table ACRO
// checked (the data cells, without the index columns of the CSV it wrote).
type Cell struct {
	Check  string
	Row    int
	Column int
}

// OutcomeCell is one cell of ACRO's outcome table that is not "ok", named by its row and
// column labels as ACRO wrote them.
type OutcomeCell struct {
	Row     string
	Column  string
	Outcome string
}

// ErrNotACRO is returned by Parse for JSON that is not an ACRO results file (another tool's
// results.json): callers treat the file as absent.
var ErrNotACRO = errors.New("not an ACRO results file")

// Error is a results.json that looks like ACRO's but cannot be read; Message is written for
// the people reviewing the output.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// Parse reads a results.json. It returns ErrNotACRO for valid JSON of another shape and an
// *Error for a file that is not valid JSON or whose records cannot be read.
func Parse(data []byte) (*Results, error) {
	if len(data) > MaxResultsSize {
		return nil, errorf("The ACRO results file is larger than %d MiB and was not read.", MaxResultsSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, errorf("The ACRO results file is not UTF-8 text.")
	}
	top, err := members(data)
	if err != nil {
		if errors.Is(err, errNotObject) {
			return nil, ErrNotACRO
		}
		return nil, errorf("The ACRO results file is not valid JSON: %s.", jsonProblem(err))
	}
	if results, ok := lookup(top, "results"); ok {
		if _, hasVersion := lookup(top, "version"); !hasVersion {
			return nil, ErrNotACRO
		}
		return parseVersioned(top, results)
	}
	return parseLegacy(top)
}

func parseVersioned(top []member, results json.RawMessage) (*Results, error) {
	out := &Results{Layout: LayoutVersioned}
	if v, _ := lookup(top, "version"); v != nil {
		out.Version = scalarText(v)
	}
	recs, err := members(results)
	if err != nil {
		return nil, errorf("The ACRO results file's \"results\" is not an object of records.")
	}
	for _, m := range recs {
		fields, err := members(m.Value)
		if err != nil {
			return nil, errorf("The ACRO record %q is not an object.", clip(m.Key, 200))
		}
		o := readRecord(m.Key, fields)
		files, ok := lookup(fields, "files")
		switch {
		case !ok:
			o.Problems = append(o.Problems, "The record names no files.")
		default:
			o.Files = readFiles(files, &o.Problems)
		}
		out.Outputs = append(out.Outputs, o)
	}
	return out, nil
}

// parseLegacy reads ACRO's layout before 0.4: the top level is the records themselves, each
// with "summary" and "command" (and "output", its file names, from 0.2 on).
func parseLegacy(top []member) (*Results, error) {
	if len(top) == 0 {
		return nil, ErrNotACRO
	}
	recs := make([][]member, len(top))
	for i, m := range top {
		fields, err := members(m.Value)
		if err != nil {
			return nil, ErrNotACRO
		}
		_, hasSummary := lookup(fields, "summary")
		_, hasCommand := lookup(fields, "command")
		if !hasSummary || !hasCommand {
			return nil, ErrNotACRO
		}
		recs[i] = fields
	}
	out := &Results{Layout: LayoutLegacy}
	for i, m := range top {
		o := readRecord(m.Key, recs[i])
		if v, ok := lookup(recs[i], "output"); ok {
			var names []json.RawMessage
			if json.Unmarshal(v, &names) == nil {
				for _, n := range names {
					var s string
					// Before 0.2 "output" held the tables themselves as JSON text, not names.
					if json.Unmarshal(n, &s) == nil && s != "" && len(s) <= 4096 && !strings.ContainsAny(s, "\n{") {
						o.Files = append(o.Files, File{Name: cleanName(s)})
					}
				}
			}
		}
		out.Outputs = append(out.Outputs, o)
	}
	return out, nil
}

// readRecord reads the fields every layout shares.
func readRecord(key string, fields []member) Output {
	o := Output{UID: key}
	str := func(name string, dst *string) {
		v, ok := lookup(fields, name)
		if !ok || isNull(v) {
			return
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			o.Problems = append(o.Problems, fmt.Sprintf("The record's %q is not text.", name))
			return
		}
		*dst = clip(s, maxText)
	}
	if v, ok := lookup(fields, "uid"); ok {
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			o.UID = s
		}
	}
	o.UID = clip(o.UID, 1024)
	str("status", &o.StatusText)
	str("type", &o.Type)
	str("command", &o.Command)
	str("summary", &o.Summary)
	str("timestamp", &o.Timestamp)
	str("exception", &o.Exception)
	o.Status = statusOf(o.StatusText)
	if o.StatusText == "" {
		// Before 0.3 there was no status field: the summary starts with it ("fail; ...").
		if st, _, _ := strings.Cut(o.Summary, ";"); statusOf(st) != StatusUnknown {
			o.Status = statusOf(st)
		}
	}
	if v, ok := lookup(fields, "comments"); ok && !isNull(v) {
		o.Comments = readComments(v, &o.Problems)
	}
	if v, ok := lookup(fields, "outcome"); ok {
		o.OutcomeCells, o.OutcomeCellsTotal = readOutcome(v)
	}
	return o
}

func statusOf(s string) Status {
	switch Status(strings.ToLower(strings.TrimSpace(s))) {
	case StatusPass:
		return StatusPass
	case StatusReview:
		return StatusReview
	case StatusFail:
		return StatusFail
	}
	return StatusUnknown
}

func readComments(v json.RawMessage, problems *[]string) []string {
	var one string
	if json.Unmarshal(v, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{clip(one, maxText)}
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		*problems = append(*problems, "The record's comments are not a list of texts.")
		return nil
	}
	var out []string
	for _, c := range list {
		var s string
		if json.Unmarshal(c, &s) != nil {
			*problems = append(*problems, "A comment of the record is not text.")
			continue
		}
		if len(out) == maxComments {
			*problems = append(*problems, fmt.Sprintf("The record has more than %d comments; the rest are not shown.", maxComments))
			break
		}
		out = append(out, clip(s, maxText))
	}
	return out
}

func readFiles(v json.RawMessage, problems *[]string) []File {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		*problems = append(*problems, "The record's files are not a list.")
		return nil
	}
	var out []File
	for _, item := range list {
		var name string
		if json.Unmarshal(item, &name) == nil {
			out = append(out, File{Name: cleanName(name)})
			continue
		}
		fields, err := members(item)
		if err != nil {
			*problems = append(*problems, "A file of the record is neither a name nor an object.")
			continue
		}
		n, ok := lookup(fields, "name")
		if !ok || json.Unmarshal(n, &name) != nil || name == "" {
			*problems = append(*problems, "A file of the record has no name.")
			continue
		}
		f := File{Name: cleanName(name)}
		if sdc, ok := lookup(fields, "sdc"); ok && !isNull(sdc) {
			f.SDC = readSDC(sdc, problems)
		}
		out = append(out, f)
	}
	return out
}

func readSDC(v json.RawMessage, problems *[]string) SDC {
	var out SDC
	fields, err := members(v)
	if err != nil {
		*problems = append(*problems, "A file's SDC results are not an object.")
		return out
	}
	if sum, ok := lookup(fields, "summary"); ok {
		checks, err := members(sum)
		if err != nil {
			*problems = append(*problems, "A file's SDC summary is not an object.")
		}
		for _, c := range checks {
			if c.Key == "suppressed" {
				var b bool
				if json.Unmarshal(c.Value, &b) == nil {
					out.Suppressed = &b
					continue
				}
			}
			out.Checks = append(out.Checks, Check{Name: clip(c.Key, 200), Value: clip(scalarText(c.Value), 200), Flagged: flagged(c.Value)})
		}
	}
	if cells, ok := lookup(fields, "cells"); ok {
		byCheck, err := members(cells)
		if err != nil {
			*problems = append(*problems, "A file's flagged cells are not an object.")
		}
		for _, c := range byCheck {
			var positions []json.RawMessage
			if json.Unmarshal(c.Value, &positions) != nil {
				*problems = append(*problems, fmt.Sprintf("The flagged cells of %q are not a list.", clip(c.Key, 200)))
				continue
			}
			for _, p := range positions {
				var rc []int
				if json.Unmarshal(p, &rc) != nil || len(rc) != 2 || rc[0] < 0 || rc[1] < 0 {
					*problems = append(*problems, fmt.Sprintf("A flagged cell of %q is not a [row, column] pair.", clip(c.Key, 200)))
					continue
				}
				out.CellsTotal++
				if len(out.Cells) < MaxCells {
					out.Cells = append(out.Cells, Cell{Check: clip(c.Key, 200), Row: rc[0], Column: rc[1]})
				}
			}
		}
	}
	return out
}

// readOutcome lists the cells of an outcome table ({column: {row: "ok" | "threshold; ..."}},
// pandas' to_json; before 0.4 the same as JSON text) that are not "ok". Anything else (a
// regression's outcome text, an empty table) has no cells.
func readOutcome(v json.RawMessage) ([]OutcomeCell, int) {
	var text string
	if json.Unmarshal(v, &text) == nil {
		v = json.RawMessage(text)
	}
	cols, err := members(v)
	if err != nil {
		return nil, 0
	}
	var out []OutcomeCell
	total := 0
	for _, col := range cols {
		rows, err := members(col.Value)
		if err != nil {
			continue
		}
		for _, row := range rows {
			var s string
			if json.Unmarshal(row.Value, &s) != nil {
				continue
			}
			s = strings.TrimRight(strings.TrimSpace(s), "; ")
			if s == "" || s == "ok" {
				continue
			}
			total++
			if len(out) < MaxCells {
				out = append(out, OutcomeCell{Row: clip(row.Key, 200), Column: clip(col.Key, 200), Outcome: clip(s, 200)})
			}
		}
	}
	return out, total
}

// Find returns the output whose files include name (a path relative to the folder of
// results.json, "/"-separated) and that file, or nil when no record names it. The first
// record naming it wins, in file order.
func (r *Results) Find(name string) (*Output, *File) {
	name = cleanName(name)
	for i := range r.Outputs {
		o := &r.Outputs[i]
		for j := range o.Files {
			if o.Files[j].Name == name {
				return o, &o.Files[j]
			}
		}
	}
	return nil, nil
}

// cleanName reads a file name as ACRO wrote it: "\" as "/" (a results.json written on
// Windows) and without a leading "./". Spaces are kept: ACRO keeps them in its names.
func cleanName(s string) string {
	s = strings.ReplaceAll(s, "\\", "/")
	for strings.HasPrefix(s, "./") {
		s = s[2:]
	}
	return s
}

// --- ordered JSON objects

type member struct {
	Key   string
	Value json.RawMessage
}

var errNotObject = errors.New("not a JSON object")

// members decodes a JSON object into its members in file order (Go maps lose the order,
// and ACRO's order is the order the researcher made the outputs in).
func members(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errNotObject
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{Key: key, Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the end of the JSON value")
	}
	return out, nil
}

func lookup(ms []member, key string) (json.RawMessage, bool) {
	for _, m := range ms {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// scalarText is a JSON value as text: strings unquoted, numbers and booleans as written,
// anything else compact.
func scalarText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// flagged is whether an SDC summary value reports a problem: a non-zero number, or true.
func flagged(v json.RawMessage) bool {
	t := strings.TrimSpace(string(v))
	if t == "true" {
		return true
	}
	f, err := strconv.ParseFloat(t, 64)
	return err == nil && f != 0
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// jsonProblem words a decoding error for people: where it is, not Go's type names.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file ends too early"
	}
	return "it cannot be decoded"
}
