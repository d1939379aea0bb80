package render

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The corpus: generated aggregate tables in the shapes research outputs take (cross-tabs with
// total columns or total rows, long tables with percentages, rates, model summaries, cost
// tables, midpoint-6 tables), each either safe under a preset or carrying one planted
// problem of one rule. TestCorpus measures recall (planted problems flagged by their rule at
// WARN or BLOCK, with the planted cell among the warning's cells where the rule lists
// cells) and the false-alarm rate (safe tables with any WARN or BLOCK).
//
//	go test ./backend/render/ -run TestCorpus -v    # prints the figures per preset and rule

// corpusTable is one generated table.
type corpusTable struct {
	shape string
	rule  string // the planted problem's rule; "" for a safe table
	csv   string
	cell  *Cell // the planted cell, when the rule lists cells
}

// gtable is a table being generated.
type gtable struct {
	header []string
	rows   [][]string
}

func (t *gtable) String() string {
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	line(t.header)
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

type corpusGen struct {
	r     *rand.Rand
	rules DisclosureRules
	round bool // counts are rounded to RoundBase (OpenSAFELY)
}

func (g *corpusGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// count draws a safe count: at least the threshold, rounded when the preset rounds.
func (g *corpusGen) count(lo, hi int) int {
	v := max(lo, g.rules.Threshold) + g.r.IntN(hi-lo+1)
	if g.round {
		b := g.rules.RoundBase
		v = (v + b/2) / b * b
		for v < g.rules.Threshold {
			v += b
		}
	}
	return v
}

// roundCount rounds a raw count the way the preset's outputs are rounded.
func (g *corpusGen) roundCount(v int) int {
	if !g.round {
		return v
	}
	b := g.rules.RoundBase
	return (v + b/2) / b * b
}

var (
	labelNames   = []string{"region", "age_band", "sex", "ethnicity", "imd_quintile", "practice_group", "ageBand", "Region"}
	labelValues  = []string{"North East", "North West", "London", "South", "Midlands", "East", "Wales", "0-17", "18-39", "40-64", "65-79", "80+", "F", "M", "White", "Asian", "Black", "Mixed", "Other", "1 (most deprived)", "2", "3", "4", "5 (least deprived)"}
	countGroups  = [][]string{{"count"}, {"n"}, {"patients"}, {"male", "female"}, {"2019", "2020", "2021"}, {"yes", "no"}, {"cases", "controls"}, {"vaccinated", "unvaccinated"}, {"admissions", "deaths"}, {"events"}, {"Number of people"}}
	totalNames   = []string{"total", "Total", "all", "overall", "total_patients"}
	totalLabels  = []string{"Total", "All", "Overall", "total"}
	redactTokens = []string{"[REDACTED]", "<=7", "*", "[redacted]", "REDACTED"}
)

// crosstab is a label column and count columns, optionally with a total column and a total
// row (both the sums of the rounded cells).
type crosstab struct {
	gtable
	countCols []int
	totalCol  int // -1 when none
	totalRow  int // -1 when none
	vals      [][]int
}

func (g *corpusGen) crosstab(withTotalCol, withTotalRow bool) *crosstab {
	cols := g.r.IntN(len(countGroups))
	names := slices.Clone(countGroups[cols])
	if len(names) == 1 && g.r.IntN(2) == 0 && !withTotalCol {
		names = append(names, g.pick("cases_2", "other"))
	}
	t := &crosstab{totalCol: -1, totalRow: -1}
	t.header = append([]string{g.pick(labelNames...)}, names...)
	for i := range names {
		t.countCols = append(t.countCols, i+1)
	}
	if withTotalCol {
		t.totalCol = len(t.header)
		t.header = append(t.header, g.pick(totalNames...))
	}
	nrows := 3 + g.r.IntN(10)
	seen := map[string]bool{}
	for range nrows {
		label := g.pick(labelValues...)
		for seen[label] {
			label += "+"
		}
		seen[label] = true
		vals := make([]int, len(t.header))
		for _, c := range t.countCols {
			vals[c] = g.count(g.rules.Threshold, 900)
		}
		t.vals = append(t.vals, vals)
		t.rows = append(t.rows, append([]string{label}, make([]string, len(t.header)-1)...))
	}
	if withTotalRow {
		t.totalRow = len(t.rows)
		t.vals = append(t.vals, make([]int, len(t.header)))
		t.rows = append(t.rows, append([]string{g.pick(totalLabels...)}, make([]string, len(t.header)-1)...))
	}
	t.fill()
	return t
}

// fill writes vals into the cells, recomputing the totals from the cells.
func (t *crosstab) fill() {
	for i := range t.vals {
		if i == t.totalRow {
			continue
		}
		if t.totalCol >= 0 {
			s := 0
			for _, c := range t.countCols {
				s += t.vals[i][c]
			}
			t.vals[i][t.totalCol] = s
		}
	}
	if t.totalRow >= 0 {
		cols := slices.Clone(t.countCols)
		if t.totalCol >= 0 {
			cols = append(cols, t.totalCol)
		}
		for _, c := range cols {
			s := 0
			for i := range t.vals {
				if i != t.totalRow {
					s += t.vals[i][c]
				}
			}
			t.vals[t.totalRow][c] = s
		}
	}
	for i, r := range t.vals {
		for _, c := range t.countCols {
			t.rows[i][c] = strconv.Itoa(r[c])
		}
		if t.totalCol >= 0 {
			t.rows[i][t.totalCol] = strconv.Itoa(r[t.totalCol])
		}
	}
}

// dataRows are the rows that are not the total row.
func (t *crosstab) dataRows() int {
	if t.totalRow >= 0 {
		return len(t.rows) - 1
	}
	return len(t.rows)
}

// long is a group, a category, a count and the category's percentage of its group.
func (g *corpusGen) long(groups, lastSmall int) (*gtable, []int) {
	t := &gtable{header: []string{g.pick("group", "cohort", "region"), g.pick("category", "outcome", "age_band"), g.pick("count", "n", "patients"), g.pick("percent", "pct", "%", "percentage")}}
	var counts []int
	for gi := range groups {
		k := 2 + g.r.IntN(4)
		vals := make([]int, k)
		sum := 0
		for i := range vals {
			vals[i] = g.count(g.rules.Threshold, 600)
			if lastSmall > 0 && gi == groups-1 && i == len(vals)-1 {
				vals[i] = lastSmall // the last row's count, when asked for
			}
			sum += vals[i]
		}
		for i, v := range vals {
			t.rows = append(t.rows, []string{fmt.Sprintf("G%d", gi+1), fmt.Sprintf("C%d", i+1), strconv.Itoa(v), strconv.FormatFloat(100*float64(v)/float64(sum), 'f', 1, 64)})
			counts = append(counts, v)
		}
	}
	return t, counts
}

// rates is a group, events, a population and a rate per 1,000.
func (g *corpusGen) rates() *gtable {
	t := &gtable{header: []string{g.pick(labelNames...), g.pick("events", "deaths", "numerator", "admissions"), g.pick("population", "denominator", "registered"), g.pick("rate_per_1000", "rate", "proportion")}}
	for i := range 3 + g.r.IntN(8) {
		ev := g.count(g.rules.Threshold, 400)
		pop := g.count(2000, 90000)
		t.rows = append(t.rows, []string{fmt.Sprintf("%s %d", g.pick(labelValues...), i), strconv.Itoa(ev), strconv.Itoa(pop), strconv.FormatFloat(1000*float64(ev)/float64(pop), 'f', 2, 64)})
	}
	return t
}

// model is a regression's coefficients with their residual degrees of freedom.
func (g *corpusGen) model() *gtable {
	t := &gtable{header: []string{"term", "estimate", "std_error", "p_value", g.pick("df_resid", "dof", "residual_df", "df")}}
	df := 40 + g.r.IntN(5000)
	for _, term := range []string{"(Intercept)", "age", "sexM", "imd", "bmi"}[:2+g.r.IntN(4)] {
		t.rows = append(t.rows, []string{term, strconv.FormatFloat(g.r.NormFloat64(), 'f', 4, 64), strconv.FormatFloat(0.01+g.r.Float64()/5, 'f', 4, 64), strconv.FormatFloat(g.r.Float64(), 'f', 3, 64), strconv.Itoa(df)})
	}
	return t
}

// costs is a group, its record count and the mean (or sum) of a magnitude.
func (g *corpusGen) costs() *gtable {
	sum := g.r.IntN(2) == 0
	mag := "mean_cost"
	if sum {
		mag = "sum_cost"
	}
	t := &gtable{header: []string{g.pick(labelNames...), g.pick("n", "patients", "count"), mag}}
	for i := range 3 + g.r.IntN(6) {
		n := g.count(g.rules.Threshold, 500)
		mean := 50 + g.r.Float64()*900
		v := mean
		if sum {
			v = mean * float64(n)
		}
		t.rows = append(t.rows, []string{fmt.Sprintf("%s %d", g.pick(labelValues...), i), strconv.Itoa(n), strconv.FormatFloat(v, 'f', 2, 64)})
	}
	return t
}

// subtotals is a long table with a total row after each group's categories; with rule
// totals or secondary-disclosure, one group carries the problem.
func (g *corpusGen) subtotals(rule string) corpusTable {
	T := g.rules.Threshold
	t := &gtable{header: []string{g.pick("group", "cohort", "region"), g.pick("category", "outcome", "age_band"), g.pick("count", "n", "patients")}}
	groups := 2 + g.r.IntN(4)
	bad := g.r.IntN(groups)
	out := corpusTable{shape: "subtotals", rule: rule}
	for gi := range groups {
		k := 2 + g.r.IntN(4)
		raw, shown := make([]int, k), make([]string, k)
		redacted := -1
		if gi == bad && rule == RuleSecondary {
			redacted = g.r.IntN(k)
		}
		rawSum, sum := 0, 0
		for i := range raw {
			raw[i] = T + g.r.IntN(600)
			if i == redacted {
				raw[i] = 1 + g.r.IntN(T-1)
			}
			rawSum += raw[i]
			v := g.roundCount(raw[i])
			sum += v
			shown[i] = strconv.Itoa(v)
		}
		total := sum
		switch {
		case gi == bad && rule == RuleSecondary:
			shown[redacted] = g.pick(redactTokens...)
			total = g.roundCount(rawSum)
			out.cell = &Cell{Row: len(t.rows) + redacted, Column: 2}
		case gi == bad && rule == RuleTotals:
			total = g.roundCount(rawSum)
			if !g.round {
				total = rawSum + 1 + g.r.IntN(T)
			}
			if total == sum {
				total += max(1, g.rules.RoundBase)
			}
			out.cell = &Cell{Row: len(t.rows) + k, Column: 2}
		}
		for i := range raw {
			t.rows = append(t.rows, []string{fmt.Sprintf("G%d", gi+1), fmt.Sprintf("C%d", i+1), shown[i]})
		}
		t.rows = append(t.rows, []string{fmt.Sprintf("G%d", gi+1), g.pick(totalLabels...), strconv.Itoa(total)})
	}
	out.csv = t.String()
	return out
}

// countPercent is a "Table 1": each cell a count and its percentage, "120 (30.0%)"; with
// small, one count is small.
func (g *corpusGen) countPercent(small bool) corpusTable {
	T := g.rules.Threshold
	t := &gtable{header: []string{"characteristic", g.pick("cases", "controls", "exposed", "n (%)"), g.pick("controls", "unexposed", "All")}}
	bad := g.r.IntN(5)
	out := corpusTable{shape: "count-percent"}
	for i := range 5 {
		a, b := g.count(T, 400), g.count(T, 400)
		if small && i == bad {
			a = 1 + g.r.IntN(T-1)
			out.rule, out.cell = RuleSmallCount, &Cell{Row: i, Column: 1}
		}
		t.rows = append(t.rows, []string{fmt.Sprintf("c%d", i), fmt.Sprintf("%d (%.1f%%)", a, float64(a)/4), fmt.Sprintf("%d (%.1f%%)", b, float64(b)/4)})
	}
	out.csv = t.String()
	return out
}

func midpoint6(x int) int {
	if x == 0 {
		return 0
	}
	return (x+5)/6*6 - 3
}

// mid6 is a table of midpoint-6 rounded counts (which may stand for small numbers).
func (g *corpusGen) mid6() *gtable {
	t := &gtable{header: []string{g.pick(labelNames...), g.pick("events_midpoint6", "count_midpoint6", "patients_midpoint6")}}
	for i := range 3 + g.r.IntN(8) {
		raw := g.r.IntN(300)
		if g.rules.ZerosDisclosive {
			raw++ // a zero is a problem of its own under these rules
		}
		t.rows = append(t.rows, []string{fmt.Sprintf("%s %d", g.pick(labelValues...), i), strconv.Itoa(midpoint6(raw))})
	}
	return t
}

// safe generates a table with no problem under the preset.
func (g *corpusGen) safe() corpusTable {
	switch k := g.r.IntN(11); k {
	case 9:
		return g.subtotals("")
	case 10:
		return g.countPercent(false)
	case 0, 1, 2:
		return corpusTable{shape: "crosstab", csv: g.crosstab(g.r.IntN(2) == 0, g.r.IntN(2) == 0).String()}
	case 3:
		// Redacted properly: a second cell of the line is redacted, and what the total
		// leaves for them is not small.
		t := g.crosstab(true, false)
		if len(t.countCols) < 2 {
			return corpusTable{shape: "crosstab", csv: t.String()}
		}
		row := g.r.IntN(t.dataRows())
		t.vals[row][t.countCols[0]] = 1 + g.r.IntN(g.rules.Threshold-1)
		t.fill()
		tok := g.pick(redactTokens...)
		t.rows[row][t.countCols[0]], t.rows[row][t.countCols[1]] = tok, tok
		t.rows[row][t.totalCol] = strconv.Itoa(g.roundCount(t.vals[row][t.totalCol]))
		return corpusTable{shape: "crosstab-redacted", csv: t.String()}
	case 4:
		t, _ := g.long(1+g.r.IntN(4), 0)
		return corpusTable{shape: "long", csv: t.String()}
	case 5:
		return corpusTable{shape: "rates", csv: g.rates().String()}
	case 6:
		return corpusTable{shape: "model", csv: g.model().String()}
	case 7:
		return corpusTable{shape: "costs", csv: g.costs().String()}
	default:
		return corpusTable{shape: "midpoint6", csv: g.mid6().String()}
	}
}

// planted generates a table with one problem of the rule.
func (g *corpusGen) planted(rule string) corpusTable {
	T := g.rules.Threshold
	cell := func(r, c int) *Cell { return &Cell{Row: r, Column: c} }
	out := corpusTable{rule: rule}
	switch rule {
	case RuleSmallCount, RuleZero, RuleRounding, RuleNegative:
		if rule == RuleSmallCount && g.r.IntN(5) == 0 {
			return g.countPercent(true)
		}
		if g.r.IntN(3) == 0 {
			t, counts := g.long(1+g.r.IntN(3), 0)
			row := g.r.IntN(len(counts))
			t.rows[row][2] = strconv.Itoa(g.badCount(rule, counts[row]))
			out.shape, out.csv, out.cell = "long", t.String(), cell(row, 2)
			return out
		}
		t := g.crosstab(g.r.IntN(2) == 0, g.r.IntN(2) == 0)
		row, col := g.r.IntN(t.dataRows()), t.countCols[g.r.IntN(len(t.countCols))]
		t.vals[row][col] = g.badCount(rule, t.vals[row][col])
		t.fill()
		out.shape, out.csv, out.cell = "crosstab", t.String(), cell(row, col)
	case RuleMidpoint6:
		t := g.mid6()
		row := g.r.IntN(len(t.rows))
		v := 1 + g.r.IntN(200)
		for midpoint6(v) == v || v%6 == 0 {
			v++
		}
		t.rows[row][1] = strconv.Itoa(v)
		out.shape, out.csv, out.cell = "midpoint6", t.String(), cell(row, 1)
	case RuleSecondary:
		if g.r.IntN(4) == 0 {
			return g.subtotals(rule)
		}
		t := g.crosstab(true, false)
		byRow := g.r.IntN(2) == 0
		if !byRow {
			t = g.crosstab(false, true)
		}
		row, col := g.r.IntN(t.dataRows()), t.countCols[g.r.IntN(len(t.countCols))]
		t.vals[row][col] = 1 + g.r.IntN(T-1)
		t.fill()
		t.rows[row][col] = g.pick(redactTokens...)
		// The total the small count went into is rounded, as a released total is.
		if byRow {
			t.rows[row][t.totalCol] = strconv.Itoa(g.roundCount(t.vals[row][t.totalCol]))
		} else {
			t.rows[t.totalRow][col] = strconv.Itoa(g.roundCount(t.vals[t.totalRow][col]))
		}
		out.shape, out.csv, out.cell = "crosstab", t.String(), cell(row, col)
		if g.r.IntN(4) == 0 {
			// A percentage column with one redacted share (a small count's): 100 minus
			// the others.
			lt, counts := g.long(1, 1+g.r.IntN(T-1))
			row := len(counts) - 1
			lt.rows[row][2], lt.rows[row][3] = "[REDACTED]", "[REDACTED]"
			out.shape, out.csv, out.cell = "long-percent", lt.String(), cell(row, 3)
		}
	case RuleTotals:
		if g.r.IntN(4) == 0 {
			return g.subtotals(rule)
		}
		// The total of the unrounded cells, rounded: not the sum of the rounded cells.
		byRow := g.r.IntN(2) == 0
		t := g.crosstab(byRow, !byRow)
		for byRow && len(t.countCols) < 2 { // one cell rounds to its own total
			t = g.crosstab(true, false)
		}
		for {
			raw := make([]int, 0)
			var row, col int
			if byRow {
				row = g.r.IntN(t.dataRows())
				for _, c := range t.countCols {
					v := g.rules.Threshold + g.r.IntN(800)
					raw = append(raw, v)
					t.vals[row][c] = g.roundCount(v)
				}
				col = t.totalCol
			} else {
				col = t.countCols[g.r.IntN(len(t.countCols))]
				for i := range t.dataRows() {
					v := g.rules.Threshold + g.r.IntN(800)
					raw = append(raw, v)
					t.vals[i][col] = g.roundCount(v)
				}
				row = t.totalRow
			}
			t.fill()
			s := 0
			for _, v := range raw {
				s += v
			}
			stated := g.roundCount(s)
			if !g.round {
				stated = s + 1 + g.r.IntN(T) // computed before a correction to a cell
			}
			if stated == t.vals[row][col] {
				continue
			}
			t.rows[row][col] = strconv.Itoa(stated)
			out.shape, out.csv, out.cell = "crosstab", t.String(), cell(row, col)
			return out
		}
	case RuleExtremes:
		t := g.costs()
		t.header = append(t.header, g.pick("max_cost", "min_age", "maximum", "Max value", "minimum_stay"))
		for i := range t.rows {
			t.rows[i] = append(t.rows[i], strconv.Itoa(100+g.r.IntN(9000)))
		}
		out.shape, out.csv = "costs", t.String()
	case RuleRowCount:
		t := &gtable{header: []string{"practice", "week", "count"}}
		for i := range g.rules.WarnRows + 1 + g.r.IntN(2000) {
			t.rows = append(t.rows, []string{fmt.Sprintf("P%05d", i), strconv.Itoa(1 + i%52), strconv.Itoa(g.count(T, 300))})
		}
		out.shape, out.csv = "long-rows", t.String()
	case RuleFileSize:
		t := &gtable{header: []string{"practice", "free_text"}}
		for i := 0; len(t.String()) <= int(g.rules.MaxFileBytes); i++ {
			t.rows = append(t.rows, []string{fmt.Sprintf("P%d", i), strings.Repeat(g.pick("lorem ipsum ", "dolor sit amet "), 200)})
		}
		out.shape, out.csv = "large", t.String()
	case RuleIdentifierColumn:
		t := g.crosstab(false, false)
		name := g.pick("patient_id", "nhs_number", "date_of_birth", "PatientId", "postcode", "person_id")
		t.header = append([]string{name}, t.header...)
		for i := range t.rows {
			t.rows[i] = append([]string{strconv.Itoa(1000000 + g.r.IntN(9000000))}, t.rows[i]...)
		}
		out.shape, out.csv = "crosstab", t.String()
	case RuleIdentifierPattern:
		t := g.crosstab(false, false)
		row := g.r.IntN(len(t.rows))
		t.rows[row][0] = fmt.Sprintf("%s%09d", g.pick("u", "s"), g.r.IntN(1_000_000_000))
		out.shape, out.csv, out.cell = "crosstab", t.String(), cell(row, 0)
	case RuleDegreesOfFreedom:
		t := g.model()
		df := strconv.Itoa(1 + g.r.IntN(g.rules.DofThreshold-1))
		for i := range t.rows {
			t.rows[i][4] = df
		}
		out.shape, out.csv, out.cell = "model", t.String(), cell(0, 4)
	case RulePercentSmall:
		if g.r.IntN(2) == 0 {
			t, counts := g.long(1+g.r.IntN(3), 0)
			row := g.r.IntN(len(counts))
			t.rows[row][2] = g.pick(redactTokens...) // the count is redacted, its percentage is not
			out.shape, out.csv, out.cell = "long", t.String(), cell(row, 3)
			return out
		}
		t := g.rates()
		row := g.r.IntN(len(t.rows))
		t.rows[row][1] = g.pick(redactTokens...)
		out.shape, out.csv, out.cell = "rates", t.String(), cell(row, 3)
	case RuleSameValue:
		t := g.crosstab(false, false)
		for len(t.rows) < 3 {
			t = g.crosstab(false, false)
		}
		col := t.countCols[g.r.IntN(len(t.countCols))]
		v := g.count(T, 500)
		for i := range t.vals {
			t.vals[i][col] = v
		}
		t.fill()
		out.shape, out.csv = "crosstab", t.String()
	case RuleDominance:
		t := &gtable{header: []string{g.pick(labelNames...), g.pick("n", "patients", "count"), "sum_cost", g.pick("max_cost", "largest_cost", "top_2_cost")}}
		bad := g.r.IntN(4)
		for i := range 4 + g.r.IntN(5) {
			n := g.count(T, 300)
			sum := float64(n) * (50 + g.r.Float64()*500)
			top := sum * (0.05 + g.r.Float64()*0.3)
			if i == bad {
				top = sum * (0.92 + g.r.Float64()*0.07)
			}
			t.rows = append(t.rows, []string{fmt.Sprintf("%s %d", g.pick(labelValues...), i), strconv.Itoa(n), strconv.FormatFloat(sum, 'f', 2, 64), strconv.FormatFloat(top, 'f', 2, 64)})
		}
		out.shape, out.csv, out.cell = "costs", t.String(), cell(bad, 2)
	default:
		panic("no generator for " + rule)
	}
	return out
}

// badCount turns a safe count into the rule's problem.
func (g *corpusGen) badCount(rule string, v int) int {
	switch rule {
	case RuleSmallCount:
		return 1 + g.r.IntN(g.rules.Threshold-1)
	case RuleZero:
		return 0
	case RuleRounding:
		return v + 1 + g.r.IntN(g.rules.RoundBase-1)
	default: // negative
		return -v
	}
}

// corpusRules are a preset's rules for the corpus: OCWA's study-id pattern configured, and a
// size limit small enough to plant (the checks are the same at 16 MiB).
func corpusRules(t *testing.T, preset string) DisclosureRules {
	r, err := ParseDisclosureRules(preset, []byte(`{"identifierPatterns": ["^[us][0-9]{9}$"], "maxFileBytes": 65536}`))
	require.NoError(t, err)
	return r
}

// plantedRules are the rules with a planted problem: those at WARN or BLOCK in the preset.
func plantedRules(r DisclosureRules) []string {
	var out []string
	c := r.compiled
	for _, rule := range Rules {
		switch s := c.severity(rule); {
		case s != SeverityWarn && s != SeverityBlock:
		case rule == RuleZero && !r.ZerosDisclosive:
		default:
			out = append(out, rule)
		}
	}
	return out
}

type corpusFigures struct {
	planted, found   map[string]int
	safe, falseAlarm int
	alarms           map[string]int // false alarms by rule
	missed           []corpusTable
}

func runCorpus(t *testing.T, preset string, seed uint64, nSafe, nPerRule int) corpusFigures {
	rules := corpusRules(t, preset)
	g := &corpusGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rules: rules, round: rules.compiled.severity(RuleRounding) != ""}
	fig := corpusFigures{planted: map[string]int{}, found: map[string]int{}, alarms: map[string]int{}}
	summarizeCSV := func(csv string) Summary {
		s, err := Summarize(context.Background(), bytes.NewReader([]byte(csv)), rules)
		require.NoError(t, err, csv)
		return s
	}
	for range nSafe {
		tb := g.safe()
		fig.safe++
		alarm := false
		for _, w := range summarizeCSV(tb.csv).Warnings {
			if w.Severity == SeverityWarn || w.Severity == SeverityBlock {
				alarm = true
				fig.alarms[w.Rule]++
			}
		}
		if alarm {
			fig.falseAlarm++
		}
	}
	for _, rule := range plantedRules(rules) {
		for range nPerRule {
			tb := g.planted(rule)
			fig.planted[rule]++
			if flagged(summarizeCSV(tb.csv), tb) {
				fig.found[rule]++
			} else {
				fig.missed = append(fig.missed, tb)
			}
		}
	}
	return fig
}

// flagged reports whether the summary flags the planted problem: a warning of its rule at
// WARN or BLOCK that lists the planted cell (when the rule lists cells).
func flagged(s Summary, tb corpusTable) bool {
	for _, w := range s.Warnings {
		if w.Rule != tb.rule || (w.Severity != SeverityWarn && w.Severity != SeverityBlock) {
			continue
		}
		if tb.cell == nil || slices.Contains(w.Cells, *tb.cell) {
			return true
		}
	}
	return false
}

func TestCorpus(t *testing.T) {
	nSafe, nPerRule := 1000, 100
	if testing.Short() || raceEnabled {
		nSafe, nPerRule = 200, 20
	}
	for _, preset := range Presets {
		t.Run(preset, func(t *testing.T) {
			fig := runCorpus(t, preset, 20261202, nSafe, nPerRule)
			planted, found := 0, 0
			var lines []string
			for rule, n := range fig.planted {
				planted += n
				found += fig.found[rule]
				lines = append(lines, fmt.Sprintf("  %-22s %4d/%-4d %5.1f %%", rule, fig.found[rule], n, 100*float64(fig.found[rule])/float64(n)))
			}
			sort.Strings(lines)
			recall := float64(found) / float64(planted)
			falseRate := float64(fig.falseAlarm) / float64(fig.safe)
			t.Logf("preset %s: recall %d/%d = %.1f %% (goal ≥ 95 %%); false alarms %d/%d safe tables = %.1f %% (goal ≤ 5 %%); false alarms by rule %v\n%s",
				preset, found, planted, 100*recall, fig.falseAlarm, fig.safe, 100*falseRate, fig.alarms, strings.Join(lines, "\n"))
			t.Logf("outside the layouts the checks read (raised a WARN or BLOCK other than rounding): %v", blindSpots(t, preset, 7, nPerRule))
			for i, m := range fig.missed {
				if i >= 3 {
					break
				}
				t.Logf("missed %s (%s, cell %v):\n%s", m.rule, m.shape, m.cell, firstLines(m.csv, 8))
			}
			if recall < 0.95 {
				t.Errorf("recall %.1f %% is below the goal of 95 %%", 100*recall)
			}
			if falseRate > 0.05 {
				t.Errorf("false alarms on %.1f %% of safe tables, above the goal of 5 %%", 100*falseRate)
			}
			for rule, n := range fig.planted {
				if r := float64(fig.found[rule]) / float64(n); r < 0.8 {
					t.Errorf("rule %s finds %.0f %% of its planted problems", rule, 100*r)
				}
			}
		})
	}
}

// blindSpots are problems in layouts the checks do not read (docs/disclosure.md, "What the
// checks do not see"), generated to report how often they still raise a WARN or BLOCK; the
// figures are logged, not held to a goal.
func blindSpots(t *testing.T, preset string, seed uint64, n int) map[string]string {
	rules := corpusRules(t, preset)
	g := &corpusGen{r: rand.New(rand.NewPCG(seed, seed)), rules: rules, round: rules.compiled.severity(RuleRounding) != ""}
	T := rules.Threshold
	kinds := map[string]func() string{
		// Percentages of groups without their counts, one group of fewer than T people.
		"percentages-without-counts": func() string {
			t := &gtable{header: []string{"group", "percent_vaccinated"}}
			bad := g.r.IntN(6)
			for i := range 6 {
				d := 20 + g.r.IntN(500)
				if i == bad {
					d = 3 + g.r.IntN(T-3)
				}
				t.rows = append(t.rows, []string{fmt.Sprintf("G%d", i), strconv.FormatFloat(100*float64(1+g.r.IntN(d))/float64(d), 'f', 1, 64)})
			}
			return t.String()
		},
		// A total column not named as one, with one redacted cell.
		"unnamed-total-column": func() string {
			t := &gtable{header: []string{"region", "male", "female", "combined"}}
			bad := g.r.IntN(4)
			for i := range 4 {
				m, f := g.count(T, 400), g.count(T, 400)
				ms := strconv.Itoa(m)
				if i == bad {
					m = 1 + g.r.IntN(T-1)
					ms = "[REDACTED]"
				}
				t.rows = append(t.rows, []string{fmt.Sprintf("R%d", i), ms, strconv.Itoa(f), strconv.Itoa(g.roundCount(m + f))})
			}
			return t.String()
		},
	}
	out := map[string]string{}
	for name, gen := range kinds {
		hit := 0
		for range n {
			s, err := Summarize(context.Background(), bytes.NewReader([]byte(gen())), rules)
			require.NoError(t, err)
			for _, w := range s.Warnings {
				if w.Severity != SeverityInfo && w.Rule != RuleRounding {
					hit++
					break
				}
			}
		}
		out[name] = fmt.Sprintf("%d/%d", hit, n)
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// The generator is deterministic: the same seed gives the same corpus.
func TestCorpusIsDeterministic(t *testing.T) {
	rules := corpusRules(t, PresetOpenSAFELY)
	gen := func() string {
		g := &corpusGen{r: rand.New(rand.NewPCG(7, 7)), rules: rules, round: true}
		var b strings.Builder
		for range 20 {
			b.WriteString(g.safe().csv)
			b.WriteString(g.planted(RuleTotals).csv)
		}
		return b.String()
	}
	require.Equal(t, gen(), gen())
}
