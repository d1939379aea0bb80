package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Cell classification. A cell is trimmed of white space, then:
//   - a number when it is a plain decimal (optional sign, digits, at most one point,
//     optional exponent: "12", "-3.5", "1e3"; not "1,000", "12%", "inf" or "0x10");
//   - otherwise, lower-cased and stripped of all white space, missing or redacted when it is
//     one of the rules' markers (by default missing: "", "null", "none", "nan"; redacted:
//     "[redacted]", "redacted", "[suppressed]", "suppressed", "na", "n/a", "*", "**"), and
//     always redacted as "<N", "<=N" or "≤N" with N a whole number ("<=7", "<8", "≤7");
//   - text otherwise (a total label, like "Total", is text that labels its row).
type cellKind uint8

const (
	cellMissing cellKind = iota
	cellRedacted
	cellNumber
	cellText
	cellTotalLabel // text naming its row as a total
)

// classify returns the kind of a cell and, for numbers, the value and whether it is an
// integer that fits in int64. scratch is a buffer it may reuse.
func (cr *compiledRules) classify(raw []byte, scratch *[]byte) (kind cellKind, iv int64, v float64, isInt bool) {
	t := raw
	if n := len(t); n > 0 && (t[0] <= ' ' || t[n-1] <= ' ' || t[0] >= utf8.RuneSelf || t[n-1] >= utf8.RuneSelf) {
		t = bytes.TrimSpace(t)
	}
	if len(t) > 0 && len(t) <= 32 {
		// Plain decimals of up to 15 digits (18 for whole numbers), the usual cells, are
		// read here; m / 10^frac is then exact or correctly rounded, as strconv's own fast
		// path. Anything else that may be a number goes to numberShape and strconv.
		i, neg := 0, false
		if t[0] == '-' || t[0] == '+' {
			neg, i = t[0] == '-', 1
		}
		var m uint64
		digits, frac := 0, 0
		for ; i < len(t); i++ {
			c := t[i] - '0'
			if c > 9 {
				break
			}
			m = m*10 + uint64(c)
			digits++
		}
		if i == len(t) && digits > 0 && digits <= 18 {
			n := int64(m)
			if neg {
				n = -n
			}
			return cellNumber, n, float64(n), true
		}
		if i < len(t) && t[i] == '.' {
			for i++; i < len(t); i++ {
				c := t[i] - '0'
				if c > 9 {
					break
				}
				m = m*10 + uint64(c)
				digits++
				frac++
			}
			if i == len(t) && digits > 0 && digits <= 15 {
				v := float64(m) / pow10[frac]
				if neg {
					v = -v
				}
				return cellNumber, 0, v, false
			}
		}
		if i == len(t) || t[i] == 'e' || t[i] == 'E' {
			if ok, integer := numberShape(t); ok {
				if integer {
					if n, err := strconv.ParseInt(bstr(t), 10, 64); err == nil {
						return cellNumber, n, float64(n), true
					}
				}
				if f, ok := parseNumber(t); ok {
					return cellNumber, 0, f, false
				}
			}
		}
	}
	if len(t) > 2*cr.maxMark {
		return cellText, 0, 0, false
	}
	if len(t) > 0 {
		if b := t[0]; b < utf8.RuneSelf {
			// An ASCII cell can only be a marker that starts with its first letter and is as
			// long as it is without white space.
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			n, ascii := 0, true
			for _, c := range t {
				if c >= utf8.RuneSelf {
					ascii = false
					break
				}
				if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' {
					n++
				}
			}
			if ascii && n < maxShape && !cr.shape[b][n] {
				return cellText, 0, 0, false
			}
		}
	}
	s := normaliseCell((*scratch)[:0], t)
	*scratch = s
	if k, ok := cr.markers[string(s)]; ok {
		switch k {
		case markMissing:
			return cellMissing, 0, 0, false
		case markRedacted:
			return cellRedacted, 0, 0, false
		default:
			return cellTotalLabel, 0, 0, false
		}
	}
	if isLessThanMarker(s) {
		return cellRedacted, 0, 0, false
	}
	return cellText, 0, 0, false
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

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

// colStats accumulates one column. Whole numbers are tracked as integers (the usual
// cells); done merges them with the fractions into min, max and minNonZero.
type colStats struct {
	numeric, missing, redacted, text int
	ints                             int
	allInt                           bool
	intSum                           int64
	intOverflow                      bool
	imin, imax, iminNZ               int64 // iminNZ: the smallest non-zero |v|, 0 for none
	fmin, fmax, fminNZ               float64
	sum, min, max, minNonZero        float64
	hasNonZero                       bool
	div5, div6, mid6                 bool
	negative                         bool
}

func newColStats() colStats {
	return colStats{allInt: true, div5: true, div6: true, mid6: true, imin: math.MaxInt64, imax: math.MinInt64,
		fmin: math.Inf(1), fmax: math.Inf(-1), fminNZ: math.Inf(1)}
}

func (c *colStats) addInt(iv int64) {
	c.numeric++
	c.ints++
	s := c.intSum + iv
	if (iv > 0 && s < c.intSum) || (iv < 0 && s > c.intSum) {
		c.intOverflow = true
	}
	c.intSum = s
	c.sum += float64(iv)
	if iv < c.imin {
		c.imin = iv
	}
	if iv > c.imax {
		c.imax = iv
	}
	if iv != 0 {
		a := iv
		if a < 0 {
			c.negative = true
			if a = -a; a < 0 {
				a = math.MaxInt64
			}
		}
		if c.iminNZ == 0 || a < c.iminNZ {
			c.iminNZ = a
		}
	}
	c.div5 = c.div5 && iv%5 == 0
	c.div6 = c.div6 && iv%6 == 0
	c.mid6 = c.mid6 && (iv == 0 || (iv-3)%6 == 0)
}

func (c *colStats) addFloat(v float64) {
	c.numeric++
	c.allInt = false
	c.sum += v
	if v < c.fmin {
		c.fmin = v
	}
	if v > c.fmax {
		c.fmax = v
	}
	if v != 0 {
		if v < 0 {
			c.negative = true
		}
		if a := math.Abs(v); a < c.fminNZ {
			c.fminNZ = a
		}
	}
	c.div5 = c.div5 && isMultiple(v, 5)
	c.div6 = c.div6 && isMultiple(v, 6)
	c.mid6 = c.mid6 && isMidpoint6(v)
}

// done merges the integer and fraction statistics; call it once, after the last cell.
func (c *colStats) done() {
	c.min, c.max, c.minNonZero = c.fmin, c.fmax, c.fminNZ
	if c.ints > 0 {
		c.min = math.Min(c.min, float64(c.imin))
		c.max = math.Max(c.max, float64(c.imax))
		if c.iminNZ != 0 {
			c.minNonZero = math.Min(c.minNonZero, float64(c.iminNZ))
		}
	}
	c.hasNonZero = !math.IsInf(c.minNonZero, 1)
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

// fnum is a statistic as a JSON number, or null when it has none (a sum past the largest
// float is +Inf, which JSON cannot carry: the summary would fail to encode).
func fnum(v float64) *json.Number {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return num(strconv.FormatFloat(v, 'g', -1, 64))
}

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

// Summarize computes a CSV file's column statistics and runs the disclosure checks of rules
// (the zero value: the OpenSAFELY preset) in one pass over src; only a table whose total
// column could not be told from its first rows is read a second time, for its row totals.
// Memory is per column, never per row. This is the one entry point of the checks: whatever
// counts a file's warnings calls it (or Tables.Summary, which caches it).
func Summarize(ctx context.Context, src io.ReadSeeker, rules DisclosureRules) (Summary, error) {
	out := Summary{Columns: []ColumnSummary{}, Warnings: []Warning{}}
	cr := rules.compiled
	if cr == nil {
		if err := rules.Compile(); err != nil {
			return out, fmt.Errorf("disclosure rules: %w", err)
		}
		cr = rules.compiled
	}
	s, size, cols, err := openCSV(src)
	if err != nil || s == nil {
		return out, err // nothing to summarise in an empty file
	}
	ck := newChecker(cols, cr)
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
		ck.row(rows, f)
	}
	out.Rows = rows
	for i := range ck.stats {
		ck.stats[i].done()
		out.Columns = append(out.Columns, ck.stats[i].summary(ck.names[i]))
	}
	if rows == 0 {
		return out, nil
	}
	if ck.finish() {
		if err := scanData(ctx, src, ck.recheckRow); err != nil {
			return out, err
		}
	}
	out.Warnings = ck.warnings(rows, size)
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

// merge appends other's cells (up to the cap) and counts.
func (l *cellList) merge(other *cellList) {
	l.n += other.n
	for _, c := range other.cells {
		if len(l.cells) >= maxWarningCells {
			break
		}
		l.cells = append(l.cells, c)
	}
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
