package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Summary is the API's summary of a CSV file: per-column statistics (the reference's "summary
// stats" panel, docs/reference/peers.md §4.2) and disclosure-check warnings for the checker
// (the rule set of docs/reference/peers.md §4.7). Warnings are hints, never decisions.
type Summary struct {
	Rows     int             `json:"rows"`
	Columns  []ColumnSummary `json:"columns"`
	Warnings []Warning       `json:"warnings"`
}

// ColumnSummary describes one column. The statistics are null unless the column is fully
// numeric (type integer or float, ignoring missing and redacted cells).
type ColumnSummary struct {
	Name string `json:"name"`
	// Type is "integer", "float", "mixed" (numbers and text) or "text" (also a column with
	// no values at all).
	Type string `json:"type"`
	// Numeric counts the cells holding a number.
	Numeric  int          `json:"numeric"`
	Missing  int          `json:"missing"`
	Redacted int          `json:"redacted"`
	Min      *json.Number `json:"min"`
	// MinNonZero is the smallest non-zero absolute value.
	MinNonZero   *json.Number `json:"minNonZero"`
	Max          *json.Number `json:"max"`
	Sum          *json.Number `json:"sum"`
	DivisibleBy5 *bool        `json:"divisibleBy5"`
	DivisibleBy6 *bool        `json:"divisibleBy6"`
	// Midpoint6 is true when every value is 0 or 3 more than a multiple of 6.
	Midpoint6 *bool `json:"midpoint6"`
}

// Severity of a warning.
const (
	SeverityInfo  = "INFO"
	SeverityWarn  = "WARN"
	SeverityBlock = "BLOCK"
)

// Warning is one disclosure-check finding. Cells are 0-based over the data rows; empty for
// whole-file warnings.
type Warning struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Cells    []Cell `json:"cells"`
	// Column is the 0-based column the warning is about, when it is about one.
	Column *int `json:"column,omitempty"`
}

// Cell is a data cell position.
type Cell struct {
	Row    int `json:"row"`
	Column int `json:"column"`
}

// Warning rule ids.
const (
	RuleSmallCount   = "small-count"          // counts from 1 to Threshold-1
	RuleRounding     = "rounding"             // counts not rounded to RoundBase
	RuleMidpoint6    = "midpoint6"            // a *_midpoint6 column not midpoint-6 rounded
	RuleSecondary    = "secondary-disclosure" // a redacted cell recoverable from a total
	RuleTotals       = "totals"               // a total that is not the sum of its cells
	RuleExtremes     = "extremes"             // a minimum or maximum column
	RuleRowCount     = "row-count"            // too many rows for aggregate output
	RuleRagged       = "ragged"               // rows with a different number of cells
	maxWarningCells  = 1000
	defaultThreshold = 8
)

// DisclosureRules are the settings of the checks; the zero value means DefaultRules.
type DisclosureRules struct {
	// Threshold: counts 1..Threshold-1 are small (OpenSAFELY: 8, i.e. flag ≤ 7; SACRO/ONS: 10).
	Threshold int
	// RoundBase: counts should be multiples of it (5).
	RoundBase int
	// BlockRows: more data rows than this is BLOCK (the level-4 limit, 5000); WarnRows: WARN (1000).
	BlockRows int
	WarnRows  int
}

// DefaultRules is the OpenSAFELY preset.
func DefaultRules() DisclosureRules {
	return DisclosureRules{Threshold: defaultThreshold, RoundBase: 5, BlockRows: 5000, WarnRows: 1000}
}

func (r DisclosureRules) withDefaults() DisclosureRules {
	d := DefaultRules()
	if r.Threshold <= 0 {
		r.Threshold = d.Threshold
	}
	if r.RoundBase <= 0 {
		r.RoundBase = d.RoundBase
	}
	if r.BlockRows <= 0 {
		r.BlockRows = d.BlockRows
	}
	if r.WarnRows <= 0 {
		r.WarnRows = d.WarnRows
	}
	return r
}

// Cell classification. A cell is lower-cased and stripped of all white space, then:
//   - missing:  "", "null", "none", "nan";
//   - redacted: "[redacted]", "redacted", "[suppressed]", "suppressed", "na", "n/a", "*",
//     "**", and "<N", "<=N" or "≤N" with N a whole number ("<=7", "<8", "≤7");
//   - a number when it is a plain decimal (optional sign, digits, at most one point,
//     optional exponent: "12", "-3.5", "1e3"; not "1,000", "12%", "inf" or "0x10");
//   - text otherwise.
type cellKind uint8

const (
	cellMissing cellKind = iota
	cellRedacted
	cellNumber
	cellText
)

var missingMarkers = map[string]bool{"": true, "null": true, "none": true, "nan": true}

var redactedMarkers = map[string]bool{
	"[redacted]": true, "redacted": true, "[suppressed]": true, "suppressed": true,
	"na": true, "n/a": true, "*": true, "**": true,
}

// classify returns the kind of a cell and, for numbers, the value and whether it is an
// integer that fits in int64.
func classify(raw []byte, scratch []byte) (kind cellKind, v float64, iv int64, isInt bool, buf []byte) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && len(t) <= 32 {
		if ok, integer := numberShape(t); ok {
			if integer {
				if n, err := strconv.ParseInt(bstr(t), 10, 64); err == nil {
					return cellNumber, float64(n), n, true, scratch
				}
			}
			if f, ok := parseNumber(t); ok {
				return cellNumber, f, 0, false, scratch
			}
		}
	}
	if len(t) > 24 {
		return cellText, 0, 0, false, scratch
	}
	scratch = scratch[:0]
	for _, r := range string(t) {
		if !unicode.IsSpace(r) {
			scratch = append(scratch, string(unicode.ToLower(r))...)
		}
	}
	if missingMarkers[string(scratch)] {
		return cellMissing, 0, 0, false, scratch
	}
	if redactedMarkers[string(scratch)] || isLessThanMarker(scratch) {
		return cellRedacted, 0, 0, false, scratch
	}
	return cellText, 0, 0, false, scratch
}

func isLessThanMarker(s []byte) bool {
	switch {
	case bytes.HasPrefix(s, []byte("<=")):
		s = s[2:]
	case bytes.HasPrefix(s, []byte("≤")):
		s = s[len("≤"):]
	case bytes.HasPrefix(s, []byte("<")):
		s = s[1:]
	default:
		return false
	}
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// colStats accumulates one column over the first pass.
type colStats struct {
	numeric, missing, redacted, text int
	allInt                           bool
	intSum                           int64
	intOverflow                      bool
	sum, min, max, minNonZero        float64
	hasNonZero                       bool
	div5, div6, mid6                 bool
	negative                         bool
}

func newColStats() *colStats {
	return &colStats{allInt: true, div5: true, div6: true, mid6: true, min: math.Inf(1), max: math.Inf(-1)}
}

func (c *colStats) addNumber(v float64, iv int64, isInt bool) {
	c.numeric++
	if isInt {
		s := c.intSum + iv
		if (iv > 0 && s < c.intSum) || (iv < 0 && s > c.intSum) {
			c.intOverflow = true
		}
		c.intSum = s
	} else {
		c.allInt = false
	}
	c.sum += v
	c.min = math.Min(c.min, v)
	c.max = math.Max(c.max, v)
	if v != 0 {
		a := math.Abs(v)
		if !c.hasNonZero || a < c.minNonZero {
			c.minNonZero = a
		}
		c.hasNonZero = true
	}
	if v < 0 {
		c.negative = true
	}
	c.div5 = c.div5 && isMultiple(v, 5)
	c.div6 = c.div6 && isMultiple(v, 6)
	c.mid6 = c.mid6 && isMidpoint6(v)
}

func isMultiple(v, m float64) bool { return math.Mod(v, m) == 0 }

func isMidpoint6(v float64) bool { return v == 0 || math.Mod(v-3, 6) == 0 }

func (c *colStats) typ() string {
	switch {
	case c.numeric > 0 && c.text == 0 && c.allInt:
		return "integer"
	case c.numeric > 0 && c.text == 0:
		return "float"
	case c.numeric > 0:
		return "mixed"
	}
	return "text"
}

func num(s string) *json.Number { n := json.Number(s); return &n }

func fnum(v float64) *json.Number { return num(strconv.FormatFloat(v, 'g', -1, 64)) }

func bptr(b bool) *bool { return &b }

func (c *colStats) summary(name string) ColumnSummary {
	cs := ColumnSummary{Name: name, Type: c.typ(), Numeric: c.numeric, Missing: c.missing, Redacted: c.redacted}
	if cs.Type != "integer" && cs.Type != "float" {
		return cs
	}
	format := fnum
	if cs.Type == "integer" {
		format = func(v float64) *json.Number { return num(strconv.FormatInt(int64(v), 10)) }
	}
	cs.Min, cs.Max = format(c.min), format(c.max)
	if c.hasNonZero {
		cs.MinNonZero = format(c.minNonZero)
	}
	if cs.Type == "integer" && !c.intOverflow {
		cs.Sum = num(strconv.FormatInt(c.intSum, 10))
	} else {
		cs.Sum = fnum(c.sum)
	}
	cs.DivisibleBy5, cs.DivisibleBy6, cs.Midpoint6 = bptr(c.div5), bptr(c.div6), bptr(c.mid6)
	return cs
}

// Summarize reads src twice: once for the column statistics, once for the disclosure checks
// that need to know every column's type. Memory is per column, never per row.
func Summarize(ctx context.Context, src io.ReadSeeker, rules DisclosureRules) (Summary, error) {
	rules = rules.withDefaults()
	out := Summary{Columns: []ColumnSummary{}, Warnings: []Warning{}}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return out, err
	}
	s := newScanner(src, seqBufSize)
	f, _, err := s.next()
	if errors.Is(err, io.EOF) {
		return out, nil
	}
	if err != nil {
		return out, csvError(err)
	}
	names := header(f)
	stats := make([]*colStats, len(names))
	for i := range stats {
		stats[i] = newColStats()
	}
	ragged := &cellList{}
	var scratch []byte
	rows := 0
	for ; ; rows++ {
		if rows&0xffff == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		f, _, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, csvError(err)
		}
		if len(f) != len(names) {
			ragged.add(rows, min(len(f), len(names)))
		}
		for c := range names {
			st := stats[c]
			if c >= len(f) {
				st.missing++
				continue
			}
			var kind cellKind
			var v float64
			var iv int64
			var isInt bool
			kind, v, iv, isInt, scratch = classify(f[c], scratch)
			switch kind {
			case cellMissing:
				st.missing++
			case cellRedacted:
				st.redacted++
			case cellNumber:
				st.addNumber(v, iv, isInt)
			default:
				st.text++
			}
		}
	}
	out.Rows = rows
	for i, st := range stats {
		out.Columns = append(out.Columns, st.summary(names[i]))
	}
	if rows == 0 {
		return out, nil
	}
	ck := newChecker(names, stats, rules)
	if err := scanData(ctx, src, ck.visit); err != nil {
		return out, err
	}
	out.Warnings = ck.warnings(rows, ragged)
	return out, nil
}

// cellList is a capped list of cells that still counts every addition.
type cellList struct {
	cells []Cell
	n     int
}

func (l *cellList) add(row, col int) {
	l.n++
	if len(l.cells) < maxWarningCells {
		l.cells = append(l.cells, Cell{Row: row, Column: col})
	}
}

func (l *cellList) list() []Cell {
	if l.cells == nil {
		return []Cell{}
	}
	return l.cells
}

// headerTokens splits a column name into lower-case words: on anything not a letter or
// digit, and between a lower-case letter and an upper-case one ("ageBand" -> age, band).
func headerTokens(name string) []string {
	var toks []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) && prevLower {
				flush()
			}
			cur = append(cur, r)
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		default:
			flush()
			prevLower = false
		}
	}
	flush()
	return toks
}

func hasToken(toks []string, set map[string]bool) bool {
	return slices.ContainsFunc(toks, func(t string) bool { return set[t] })
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Column names that say a column is not a count, even when it holds small whole numbers.
var notCountWords = setOf("id", "code", "year", "yr", "age", "date", "month", "week", "day",
	"quarter", "period", "rank", "decile", "quintile", "percentile", "centile", "band", "group",
	"category", "index", "percent", "percentage", "pct", "perc", "proportion", "prop", "rate",
	"ratio", "mean", "median", "average", "avg", "sd", "std", "se", "ci", "lci", "uci", "lower",
	"upper", "or", "hr", "rr", "p", "pvalue", "score", "bmi", "min", "max", "minimum", "maximum",
	"region", "stp", "practice", "level")

// Column names that say a column is a count.
var countWords = setOf("count", "counts", "n", "num", "number", "total", "patients", "people",
	"persons", "individuals", "events", "cases", "population", "denominator", "numerator",
	"frequency", "freq", "registered", "deaths", "admissions")

var totalWords = setOf("total", "totals", "all", "overall", "sum")

var totalLabels = setOf("total", "totals", "all", "overall", "grandtotal", "sum", "alltotal")

var extremeWords = setOf("min", "max", "minimum", "maximum")

// checker runs the disclosure checks in the second pass.
type checker struct {
	names   []string
	rules   DisclosureRules
	stats   []*colStats
	count   []bool // count-like columns (integer, never negative, not named as something else)
	named   []bool // named as a count
	mid6    []int  // 0: not a midpoint-6 column; 1: *_midpoint6; 2: *_midpoint6_derived
	small   []cellList
	rounded []cellList
	notMid6 []cellList

	totalCol   int // -1 when none
	found      totalFindings
	totalRows  []int // rows labelled as totals
	colVisible []int64
	colRedact  []cellList
	totalCell  map[int]int64 // column -> value in the total row (single total row only)
	scratch    []byte
	labelCols  []int
}

// totalFindings gathers what the total checks found, as one warning per rule.
type totalFindings struct {
	recoverable cellList // redacted cell, then its total cell
	nRecover    int
	example     string
	mismatch    cellList // total cells
	exampleMis  string
}

func newChecker(names []string, stats []*colStats, rules DisclosureRules) *checker {
	n := len(names)
	ck := &checker{names: names, rules: rules, stats: stats, count: make([]bool, n),
		named: make([]bool, n), mid6: make([]int, n), small: make([]cellList, n),
		rounded: make([]cellList, n), notMid6: make([]cellList, n), totalCol: -1,
		colVisible: make([]int64, n), colRedact: make([]cellList, n), totalCell: map[int]int64{}}
	for i, name := range names {
		toks := headerTokens(name)
		st := stats[i]
		countable := st.text == 0 && st.allInt && !st.negative && (st.numeric > 0 || st.redacted > 0)
		ck.named[i] = hasToken(toks, countWords)
		ck.count[i] = countable && (ck.named[i] || !hasToken(toks, notCountWords))
		low := strings.ToLower(name)
		switch {
		case strings.HasSuffix(low, "midpoint6_derived"):
			ck.mid6[i] = 2
		case strings.HasSuffix(low, "midpoint6"):
			ck.mid6[i] = 1
		}
		if ck.count[i] && ck.totalCol < 0 && hasToken(toks, totalWords) {
			ck.totalCol = i
		}
		if st.text > 0 {
			ck.labelCols = append(ck.labelCols, i)
		}
	}
	return ck
}

func (ck *checker) visit(row int, f [][]byte) {
	isTotalRow := false
	for _, c := range ck.labelCols {
		if c < len(f) {
			ck.scratch = ck.scratch[:0]
			for _, r := range string(bytes.TrimSpace(f[c])) {
				if !unicode.IsSpace(r) {
					ck.scratch = append(ck.scratch, string(unicode.ToLower(r))...)
				}
			}
			if totalLabels[string(ck.scratch)] {
				isTotalRow = true
			}
		}
	}
	if isTotalRow {
		ck.totalRows = append(ck.totalRows, row)
	}
	var rowVisible int64
	var rowRedacted []Cell
	rowTotal, hasRowTotal := int64(0), false
	for c := range ck.names {
		if c >= len(f) || !ck.count[c] {
			continue
		}
		var kind cellKind
		var iv int64
		kind, _, iv, _, ck.scratch = classify(f[c], ck.scratch)
		switch kind {
		case cellNumber:
			v := float64(iv)
			// Midpoint-6 rounded columns stand for ranges (3 means 1 to 6): not small counts.
			if iv >= 1 && iv < int64(ck.rules.Threshold) && !ck.stats[c].mid6 {
				ck.small[c].add(row, c)
			}
			if !isMultiple(v, float64(ck.rules.RoundBase)) {
				ck.rounded[c].add(row, c)
			}
			if (ck.mid6[c] == 1 && !isMidpoint6(v)) || (ck.mid6[c] == 2 && !isMultiple(v, 6)) {
				ck.notMid6[c].add(row, c)
			}
			if c == ck.totalCol {
				rowTotal, hasRowTotal = iv, true
			} else {
				rowVisible += iv
			}
			if isTotalRow {
				ck.totalCell[c] = iv
			} else {
				ck.colVisible[c] += iv
			}
		case cellRedacted:
			if c != ck.totalCol {
				rowRedacted = append(rowRedacted, Cell{Row: row, Column: c})
			}
			if !isTotalRow {
				ck.colRedact[c].add(row, c)
			}
		}
	}
	if ck.totalCol >= 0 && hasRowTotal && !isTotalRow {
		totalCell := Cell{Row: row, Column: ck.totalCol}
		ck.checkTotal(fmt.Sprintf("row %d", row+1), rowTotal, rowVisible, rowRedacted, totalCell)
	}
}

// checkTotal looks at one line of cells that has a total: with exactly one redacted cell
// the total gives it away; with none the total should be the sum of the cells.
func (ck *checker) checkTotal(where string, total, visible int64, redacted []Cell, totalCell Cell) {
	switch {
	case len(redacted) == 1:
		ck.found.nRecover++
		ck.found.recoverable.add(redacted[0].Row, redacted[0].Column)
		ck.found.recoverable.add(totalCell.Row, totalCell.Column)
		if ck.found.example == "" {
			ck.found.example = fmt.Sprintf("in %s the redacted value is %d", where, total-visible)
		}
	case len(redacted) == 0 && visible != total:
		ck.found.mismatch.add(totalCell.Row, totalCell.Column)
		if ck.found.exampleMis == "" {
			ck.found.exampleMis = fmt.Sprintf("in %s the total is %d but the counts add up to %d", where, total, visible)
		}
	}
}

func (ck *checker) warnings(rows int, ragged *cellList) []Warning {
	out := []Warning{}
	col := func(i int) *int { return &i }
	if rows > ck.rules.BlockRows {
		out = append(out, Warning{Rule: RuleRowCount, Severity: SeverityBlock, Cells: []Cell{},
			Message: fmt.Sprintf("The file has %d rows, more than the %d allowed for an aggregate output.", rows, ck.rules.BlockRows)})
	} else if rows > ck.rules.WarnRows {
		out = append(out, Warning{Rule: RuleRowCount, Severity: SeverityWarn, Cells: []Cell{},
			Message: fmt.Sprintf("The file has %d rows: check that it holds aggregates, not individual-level data.", rows)})
	}
	if ragged.n > 0 {
		out = append(out, Warning{Rule: RuleRagged, Severity: SeverityInfo, Cells: ragged.list(),
			Message: fmt.Sprintf("%d rows have a different number of cells than the header.", ragged.n)})
	}
	for i, name := range ck.names {
		if extremes := hasToken(headerTokens(name), extremeWords); extremes {
			out = append(out, Warning{Rule: RuleExtremes, Severity: SeverityWarn, Cells: []Cell{}, Column: col(i),
				Message: fmt.Sprintf("Column %q looks like a minimum or maximum; extreme values often describe a single person.", name)})
		}
		if !ck.count[i] {
			continue
		}
		if l := ck.small[i]; l.n > 0 {
			sev := SeverityWarn
			if ck.named[i] {
				sev = SeverityBlock
			}
			out = append(out, Warning{Rule: RuleSmallCount, Severity: sev, Cells: l.list(), Column: col(i),
				Message: fmt.Sprintf("Column %q has %d counts from 1 to %d; counts of %d or fewer must be redacted.", name, l.n, ck.rules.Threshold-1, ck.rules.Threshold-1)})
		}
		if l := ck.rounded[i]; l.n > 0 && ck.mid6[i] == 0 && !ck.stats[i].mid6 {
			out = append(out, Warning{Rule: RuleRounding, Severity: SeverityWarn, Cells: l.list(), Column: col(i),
				Message: fmt.Sprintf("Column %q has %d counts that are not multiples of %d (nor midpoint-6 rounded).", name, l.n, ck.rules.RoundBase)})
		}
		if l := ck.notMid6[i]; l.n > 0 {
			what := "midpoint-6 rounded (0, 3, 9, 15, …)"
			if ck.mid6[i] == 2 {
				what = "multiples of 6 (midpoint-6 derived)"
			}
			out = append(out, Warning{Rule: RuleMidpoint6, Severity: SeverityWarn, Cells: l.list(), Column: col(i),
				Message: fmt.Sprintf("Column %q is named as midpoint-6 rounded but %d values are not %s.", name, l.n, what)})
		}
	}
	// A single row labelled as the total: check each count column against it.
	if len(ck.totalRows) == 1 {
		tr := ck.totalRows[0]
		for c := range ck.names {
			total, ok := ck.totalCell[c]
			if !ok || !ck.count[c] {
				continue
			}
			red := ck.colRedact[c]
			var cells []Cell
			if red.n == 1 {
				cells = red.cells
			}
			if red.n <= 1 {
				ck.checkTotal(fmt.Sprintf("column %q", ck.names[c]), total, ck.colVisible[c], cells, Cell{Row: tr, Column: c})
			}
		}
	}
	if f := ck.found; f.nRecover > 0 {
		out = append(out, Warning{Rule: RuleSecondary, Severity: SeverityWarn, Cells: f.recoverable.list(),
			Message: fmt.Sprintf("%d redacted values can be worked out from a total shown beside them (%s). Redact a second cell in the same row or column, or the total.", f.nRecover, f.example)})
	}
	if f := ck.found; f.mismatch.n > 0 {
		out = append(out, Warning{Rule: RuleTotals, Severity: SeverityInfo, Cells: f.mismatch.list(),
			Message: fmt.Sprintf("%d totals are not the sum of their counts (%s). Totals should be the sum of the rounded counts.", f.mismatch.n, f.exampleMis)})
	}
	return out
}
