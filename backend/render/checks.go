package render

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// The disclosure checks (docs/disclosure.md). They run in the same pass as the column
// statistics: cell rules are recorded for every column whose name allows it to be a count
// while no cell has said otherwise (text, a fraction, a negative), and kept at the end for the
// columns that are counts. Row totals also depend on which columns are counts; they are
// checked with the columns known so far, and checked again in a second pass only when a
// column that took part turned out not to be a count (rare: a label column is text from its
// first row).

// colInfo is what a column's name says about it.
type colInfo struct {
	eligible   bool // may be a count: named as one, or not named as something else
	named      bool // named as a count
	totalWord  bool // named as a total
	extremes   bool
	identifier bool
	dof        bool
	percent    bool
	rate       bool
	mean       bool
	mid6       int // 0: not a midpoint-6 column; 1: *_midpoint6; 2: *_midpoint6_derived
}

// cellVal is one cell of the current row.
type cellVal struct {
	kind  cellKind
	isInt bool
	iv    int64
	v     float64
}

// lineRef names a line of cells with a total, for messages: a data row, or a column.
type lineRef struct {
	row    int
	column string
	above  int // with column: the block of rows above this total row (0: the whole column)
}

func (l lineRef) String() string {
	if l.column != "" && l.above > 0 {
		return fmt.Sprintf("column %q above row %d", l.column, l.above+1)
	}
	if l.column != "" {
		return fmt.Sprintf("column %q", l.column)
	}
	return fmt.Sprintf("row %d", l.row+1)
}

// lineFindings gathers what the total checks of one kind of line (rows or columns) found.
type lineFindings struct {
	recover   cellList // redacted cells, then their total cell
	nRecover  int
	exRecover string
	// Lines without redactions: the total is the sum (match), differs by no more than
	// rounding each cell could explain (near), or by more (far).
	match, near, far    int
	nearCells, farCells cellList
	exNear, exFar       string
	assumePartition     bool // column totals: a row labelled Total is a sum of the rows
}

// domCols are the columns the dominance hints look at (-1 when absent).
type domCols struct {
	n, sum, mean, largest, topTwo int
}

type checker struct {
	cr      *compiledRules
	names   []string
	n       int
	info    []colInfo
	stats   []colStats
	vals    []cellVal
	scratch []byte

	qualified []bool // may still be a count
	negQual   []bool // no text or fraction yet: the negative rule may apply
	qual      []int  // the qualified columns
	count     []bool // after finish: the count columns

	small, zeros, rounded, notMid6, negatives, missing, dofLow, patterns []cellList
	pctSmall                                                             []cellList // by the small count's column
	pctRedact                                                            []cellList
	pctDecimals                                                          []int
	derived                                                              []int // percent and rate columns

	// Column totals: a single row labelled as the total.
	totalRows, totalRow int
	colVisible          []int64
	colCells            []int
	totalCell           []int64
	hasTotalCell        []bool
	colRedact           []cellList
	// With several total rows (subtotals of a long table): each totals the rows since the
	// previous one.
	blockVisible []int64
	blockCells   []int
	blockRed     [][]Cell
	blockLines   []lineFindings

	// Row totals.
	curTotal, usedTotal int
	contributed         []bool
	recheck             bool
	rowsSeen            int
	redBuf              []Cell
	rowLines            lineFindings
	colLines            lineFindings
	pctRecover          []pctRecovered

	dom       domCols
	domActive bool
	domCells  cellList
	domEx     string

	ragged cellList

	// Text cells of a count-like column that start with a count, "12 (3.4%)".
	embedded      []int
	embeddedSmall []cellList
}

func newChecker(names []string, cr *compiledRules) *checker {
	n := len(names)
	ck := &checker{cr: cr, names: names, n: n, info: make([]colInfo, n), stats: make([]colStats, n),
		vals: make([]cellVal, n), qualified: make([]bool, n), negQual: make([]bool, n),
		small: make([]cellList, n), zeros: make([]cellList, n), rounded: make([]cellList, n),
		notMid6: make([]cellList, n), negatives: make([]cellList, n), missing: make([]cellList, n),
		dofLow: make([]cellList, n), pctSmall: make([]cellList, n), pctRedact: make([]cellList, n),
		pctDecimals: make([]int, n), colVisible: make([]int64, n), colCells: make([]int, n),
		totalCell: make([]int64, n), hasTotalCell: make([]bool, n), colRedact: make([]cellList, n),
		blockVisible: make([]int64, n), blockCells: make([]int, n), blockRed: make([][]Cell, n),
		blockLines: make([]lineFindings, n), contributed: make([]bool, n), curTotal: -1,
		embedded: make([]int, n), embeddedSmall: make([]cellList, n), usedTotal: -1, totalRow: -1,
		dom: domCols{-1, -1, -1, -1, -1}}
	if len(cr.patterns) > 0 {
		ck.patterns = make([]cellList, n)
	}
	w := cr.words
	toks := make([][]string, n)
	for i, name := range names {
		t := headerTokens(name)
		toks[i] = t
		ck.stats[i] = newColStats()
		in := &ck.info[i]
		in.named = w["count"].match(t)
		in.eligible = in.named || !w["notCount"].match(t)
		in.totalWord = w["total"].match(t)
		in.extremes = w["extremes"].match(t)
		in.identifier = w["identifier"].match(t)
		in.dof = w["degreesOfFreedom"].match(t)
		in.percent = w["percent"].match(t) || strings.Contains(name, "%")
		in.rate = !in.percent && w["rate"].match(t)
		in.mean = w["mean"].match(t)
		low := strings.ToLower(name)
		switch {
		case strings.HasSuffix(low, "midpoint6_derived"):
			in.mid6 = 2
		case strings.HasSuffix(low, "midpoint6"):
			in.mid6 = 1
		}
		if in.percent || in.rate {
			ck.derived = append(ck.derived, i)
		}
		ck.qualified[i], ck.negQual[i] = in.eligible, in.eligible
	}
	ck.requalify()
	ck.findDominance(toks)
	return ck
}

// findDominance picks the columns of the dominance hints: a record count, a sum or a mean,
// and the largest contributor or the two largest of the same magnitude (the same words
// once the role words are taken out: mean_cost and max_cost).
func (ck *checker) findDominance(toks [][]string) {
	w := ck.cr.words
	role := map[string]bool{}
	for _, l := range [][]string{ck.cr.Words.Sum, ck.cr.Words.Mean, ck.cr.Words.Largest, ck.cr.Words.TopTwo} {
		for _, e := range l {
			for _, t := range headerTokens(e) {
				role[t] = true
			}
		}
	}
	subject := func(t []string) string {
		var b strings.Builder
		for _, x := range t {
			if !role[x] {
				b.WriteString(x)
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	d := &ck.dom
	for i, t := range toks {
		isSum, isMean := w["sum"].match(t), w["mean"].match(t)
		isTop, isLargest := w["topTwo"].match(t), w["largest"].match(t)
		switch {
		case isSum && d.sum < 0:
			d.sum = i
		case isMean && !isSum && d.mean < 0:
			d.mean = i
		case ck.info[i].named && !isSum && !isMean && !isTop && !isLargest && !ck.info[i].percent && !ck.info[i].rate && d.n < 0:
			d.n = i
		}
	}
	mag := d.sum
	if mag < 0 {
		mag = d.mean
	}
	if mag < 0 || (d.sum < 0 && d.n < 0) {
		return
	}
	ck.domActive = true
	want := subject(toks[mag])
	for i, t := range toks {
		if i == mag || subject(t) != want {
			continue
		}
		if w["topTwo"].match(t) && d.topTwo < 0 {
			d.topTwo = i
		} else if w["largest"].match(t) && d.largest < 0 {
			d.largest = i
		}
	}
}

// requalify rebuilds the list of columns that may still be counts and the row-total column.
func (ck *checker) requalify() {
	ck.qual = ck.qual[:0]
	total := -1
	for c := range ck.n {
		if ck.qualified[c] {
			ck.qual = append(ck.qual, c)
			if total < 0 && ck.info[c].totalWord {
				total = c
			}
		}
	}
	if total != ck.curTotal && ck.rowsSeen > 0 {
		ck.recheck = true // earlier rows were checked against another total column
	}
	ck.curTotal = total
}

// row takes one data row in the first pass.
func (ck *checker) row(r int, f [][]byte) {
	if len(f) != ck.n {
		ck.ragged.add(r, min(len(f), ck.n))
	}
	isTotal, changed := false, false
	cr := ck.cr
	threshold, base := int64(cr.Threshold), int64(cr.RoundBase)
	for c := range ck.n {
		st := &ck.stats[c]
		cv := &ck.vals[c]
		if c >= len(f) {
			cv.kind = cellMissing
			st.missing++
			if ck.qualified[c] {
				ck.missing[c].add(r, c)
			}
			continue
		}
		// Unsigned whole numbers, the commonest cells, without a call.
		var kind cellKind
		var iv int64
		var v float64
		var isInt bool
		if raw := f[c]; len(raw) > 0 && len(raw) <= 18 {
			var m int64
			i := 0
			for ; i < len(raw); i++ {
				d := raw[i] - '0'
				if d > 9 {
					break
				}
				m = m*10 + int64(d)
			}
			if i == len(raw) {
				kind, iv, v, isInt = cellNumber, m, float64(m), true
			} else {
				kind, iv, v, isInt = cr.classify(raw, &ck.scratch)
			}
		} else {
			kind, iv, v, isInt = cr.classify(raw, &ck.scratch)
		}
		cv.kind, cv.iv, cv.v, cv.isInt = kind, iv, v, isInt
		switch kind {
		case cellNumber:
			if isInt {
				st.addInt(iv)
				if ck.negQual[c] {
					switch {
					case iv < 0:
						ck.negatives[c].add(r, c)
						if ck.qualified[c] {
							ck.qualified[c], changed = false, true
						}
					case ck.qualified[c]:
						if iv == 0 {
							ck.zeros[c].add(r, c)
						} else if iv < threshold {
							ck.small[c].add(r, c)
						}
						if (base == 5 && iv%5 != 0) || (base != 5 && iv%base != 0) {
							ck.rounded[c].add(r, c)
						}
						if m := ck.info[c].mid6; m != 0 && ((m == 1 && iv != 0 && (iv-3)%6 != 0) || (m == 2 && iv%6 != 0)) {
							ck.notMid6[c].add(r, c)
						}
					}
				}
			} else {
				st.addFloat(v)
				if ck.negQual[c] {
					ck.negQual[c] = false
					if ck.qualified[c] {
						ck.qualified[c], changed = false, true
					}
				}
			}
			in := &ck.info[c]
			if in.dof && v >= 0 && v < float64(cr.DofThreshold) {
				ck.dofLow[c].add(r, c)
			}
			if in.percent {
				ck.pctDecimals[c] = max(ck.pctDecimals[c], decimals(f[c]))
			}
		case cellMissing:
			st.missing++
			if ck.qualified[c] {
				ck.missing[c].add(r, c)
			}
		case cellRedacted:
			st.redacted++
			if ck.info[c].percent {
				ck.pctRedact[c].add(r, c)
			}
		default:
			st.text++
			isTotal = isTotal || kind == cellTotalLabel
			if ck.info[c].eligible {
				if n, ok := leadingCount(f[c]); ok {
					ck.embedded[c]++
					if n >= 1 && n < threshold {
						ck.embeddedSmall[c].add(r, c)
					}
				}
			}
			if ck.negQual[c] {
				ck.negQual[c] = false
				if ck.qualified[c] {
					ck.qualified[c], changed = false, true
				}
			}
		}
		if ck.patterns != nil && kind != cellMissing {
			t := bytes.TrimSpace(f[c])
			for _, re := range cr.patterns {
				if re.Match(t) {
					ck.patterns[c].add(r, c)
					break
				}
			}
		}
	}
	if changed {
		ck.requalify()
	}
	ck.rowsSeen++
	for _, c := range ck.qual {
		switch cv := &ck.vals[c]; cv.kind {
		case cellNumber:
			if isTotal {
				ck.totalCell[c], ck.hasTotalCell[c] = cv.iv, true
			} else {
				ck.colVisible[c] += cv.iv
				ck.colCells[c]++
				ck.blockVisible[c] += cv.iv
				ck.blockCells[c]++
			}
		case cellRedacted:
			if !isTotal {
				ck.colRedact[c].add(r, c)
				if len(ck.blockRed[c]) < maxWarningCells {
					ck.blockRed[c] = append(ck.blockRed[c], Cell{Row: r, Column: c})
				}
			}
		}
	}
	if isTotal {
		ck.totalRows++
		ck.totalRow = r
		ck.blockTotals(r)
	}
	ck.rowTotal(r, isTotal, true)
	if len(ck.derived) > 0 {
		ck.percentOfSmall(r)
	}
	if ck.domActive {
		ck.dominance(r)
	}
}

// leadingCount reads the count of a "count (percentage)" cell: a whole number, then "(".
func leadingCount(raw []byte) (int64, bool) {
	t := bytes.TrimSpace(raw)
	var n int64
	i := 0
	for ; i < len(t) && i < 18 && '0' <= t[i] && t[i] <= '9'; i++ {
		n = n*10 + int64(t[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	for i < len(t) && t[i] == ' ' {
		i++
	}
	return n, i < len(t) && t[i] == '('
}

// decimals counts the digits after the point of a plain decimal cell.
func decimals(raw []byte) int {
	t := bytes.TrimSpace(raw)
	i := bytes.IndexByte(t, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range t[i+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	return n
}

// rowTotal checks the row against its total column (when the table has one).
func (ck *checker) rowTotal(r int, isTotal, speculative bool) {
	tc := ck.curTotal
	if tc < 0 || isTotal {
		return
	}
	tv := &ck.vals[tc]
	if tv.kind != cellNumber {
		return
	}
	if speculative {
		if ck.usedTotal < 0 {
			ck.usedTotal = tc
		} else if ck.usedTotal != tc {
			ck.recheck = true
		}
	}
	var visible int64
	cells := 0
	red := ck.redBuf[:0]
	for _, c := range ck.qual {
		if c == tc {
			continue
		}
		switch cv := &ck.vals[c]; cv.kind {
		case cellNumber:
			visible += cv.iv
			cells++
			ck.contributed[c] = true
		case cellRedacted:
			red = append(red, Cell{Row: r, Column: c})
			ck.contributed[c] = true
		}
	}
	ck.redBuf = red
	ck.checkLine(&ck.rowLines, lineRef{row: r}, tv.iv, visible, cells, red, Cell{Row: r, Column: tc})
}

// checkLine looks at one line of cells that has a total: with one redacted cell the total
// gives it away, with more the total says what they add up to; with none the total should
// be the sum of the cells.
func (ck *checker) checkLine(lf *lineFindings, where lineRef, total, visible int64, cells int, redacted []Cell, totalCell Cell) {
	switch {
	case len(redacted) == 1:
		lf.nRecover++
		lf.recover.add(redacted[0].Row, redacted[0].Column)
		lf.recover.add(totalCell.Row, totalCell.Column)
		if lf.exRecover == "" {
			lf.exRecover = fmt.Sprintf("in %s the redacted value is %d", where, total-visible)
		}
	case len(redacted) > 1:
		gap := total - visible
		if gap < 0 || gap >= int64(ck.cr.Threshold) {
			return
		}
		lf.nRecover++
		for _, c := range redacted {
			lf.recover.add(c.Row, c.Column)
		}
		lf.recover.add(totalCell.Row, totalCell.Column)
		if lf.exRecover == "" {
			lf.exRecover = fmt.Sprintf("in %s the %d redacted values add up to %d", where, len(redacted), gap)
		}
	case visible == total:
		lf.match++
	default:
		diff := total - visible
		if diff < 0 {
			diff = -diff
		}
		if 2*diff <= int64(ck.cr.RoundBase)*int64(cells+1) {
			lf.near++
			lf.nearCells.add(totalCell.Row, totalCell.Column)
			if lf.exNear == "" {
				lf.exNear = fmt.Sprintf("in %s the total is %d but the counts add up to %d", where, total, visible)
			}
		} else {
			lf.far++
			lf.farCells.add(totalCell.Row, totalCell.Column)
			if lf.exFar == "" {
				lf.exFar = fmt.Sprintf("in %s the total is %d but the counts add up to %d", where, total, visible)
			}
		}
	}
}

// percentOfSmall flags the percentages and rates of a row that has a small or redacted count.
func (ck *checker) percentOfSmall(r int) {
	threshold := int64(ck.cr.Threshold)
	sc := -1
	for _, c := range ck.qual {
		cv := &ck.vals[c]
		if cv.kind == cellRedacted || (cv.kind == cellNumber && cv.iv >= 1 && cv.iv < threshold) {
			sc = c
			break
		}
	}
	if sc < 0 {
		return
	}
	for _, d := range ck.derived {
		if cv := &ck.vals[d]; cv.kind == cellNumber && cv.v != 0 {
			ck.pctSmall[sc].add(r, d)
		}
	}
}

// dominance applies N-K and p% where the row carries what they need.
func (ck *checker) dominance(r int) {
	d, cr := ck.dom, ck.cr
	num := func(c int) (float64, bool) {
		if c < 0 || ck.vals[c].kind != cellNumber {
			return 0, false
		}
		return ck.vals[c].v, true
	}
	mag := d.sum
	if mag < 0 {
		mag = d.mean
	}
	magV, okMag := num(mag)
	if !okMag || magV == 0 {
		return
	}
	n, okN := num(d.n)
	flag := func(format string, args ...any) {
		ck.domCells.add(r, mag)
		if ck.domEx == "" {
			ck.domEx = fmt.Sprintf("row %d: ", r+1) + fmt.Sprintf(format, args...)
		}
	}
	if okN && n >= 1 && n <= float64(cr.NKn) {
		flag("%g records, so each can work out the others' share", n)
		return
	}
	total := magV
	if d.sum < 0 {
		if !okN {
			return
		}
		total = magV * n
	}
	if total <= 0 {
		return
	}
	top2, ok2 := num(d.topTwo)
	largest, okL := num(d.largest)
	switch {
	case ok2 && top2/total > cr.NKk:
		flag("the two largest contributors are %.0f%% of the total", 100*top2/total)
	case ok2 && okL && largest > 0 && (total-top2)/largest < cr.PRatio:
		flag("the contributors after the two largest are %.1f%% of the largest", 100*(total-top2)/largest)
	case !ok2 && okL && largest/total > cr.NKk:
		flag("the largest contributor is %.0f%% of the total", 100*largest/total)
	}
}

// finish decides which columns are counts; it reports whether the row totals must be
// checked again in a second pass (recheckRow).
func (ck *checker) finish() bool {
	ck.count = make([]bool, ck.n)
	final := -1
	var counts []int
	needAgain := ck.recheck
	for c := range ck.n {
		st := &ck.stats[c]
		ck.count[c] = ck.qualified[c] && (st.numeric > 0 || st.redacted > 0)
		if ck.count[c] {
			counts = append(counts, c)
			if final < 0 && ck.info[c].totalWord {
				final = c
			}
		} else if ck.contributed[c] {
			needAgain = true
		}
	}
	if final < 0 {
		ck.rowLines = lineFindings{}
		return false
	}
	if !needAgain && ck.usedTotal == final {
		return false
	}
	ck.rowLines = lineFindings{}
	ck.qual, ck.curTotal = counts, final
	return true
}

// recheckRow is the second pass: the row totals with the count columns known.
func (ck *checker) recheckRow(r int, f [][]byte) {
	isTotal := false
	for c := range ck.n {
		cv := &ck.vals[c]
		if c >= len(f) {
			cv.kind = cellMissing
			continue
		}
		cv.kind, cv.iv, cv.v, cv.isInt = ck.cr.classify(f[c], &ck.scratch)
		isTotal = isTotal || cv.kind == cellTotalLabel
	}
	ck.rowTotal(r, isTotal, false)
}

// warnings turns what was found into the summary's warnings.
func (ck *checker) warnings(rows int, size int64) []Warning {
	cr := ck.cr
	out := []Warning{}
	col := func(i int) *int { return &i }
	add := func(rule, sev string, cells []Cell, column *int, format string, args ...any) {
		if sev == "" {
			return
		}
		if cells == nil {
			cells = []Cell{}
		}
		out = append(out, Warning{Rule: rule, Severity: sev, Cells: cells, Column: column, Message: fmt.Sprintf(format, args...)})
	}
	sev := cr.severity
	if rows > cr.BlockRows {
		add(RuleRowCount, sev(RuleRowCount), nil, nil, "The file has %d rows, more than the %d allowed for an aggregate output.", rows, cr.BlockRows)
	} else if rows > cr.WarnRows {
		add(RuleRowCount, lesser(sev(RuleRowCount)), nil, nil, "The file has %d rows: check that it holds aggregates, not individual-level data.", rows)
	}
	if size > cr.MaxFileBytes {
		add(RuleFileSize, sev(RuleFileSize), nil, nil, "The file is %s, larger than the %s allowed for an output.", mib(size), mib(cr.MaxFileBytes))
	}
	if ck.ragged.n > 0 {
		add(RuleRagged, sev(RuleRagged), ck.ragged.list(), nil, "%d rows have a different number of cells than the header.", ck.ragged.n)
	}
	threshold := cr.Threshold
	for i, name := range ck.names {
		in, st := &ck.info[i], &ck.stats[i]
		if in.extremes {
			add(RuleExtremes, sev(RuleExtremes), nil, col(i), "Column %q looks like a minimum or maximum; extreme values often describe a single person.", name)
		}
		if in.identifier {
			add(RuleIdentifierColumn, sev(RuleIdentifierColumn), nil, col(i), "Column %q looks like a person-level identifier; aggregate outputs should not carry one.", name)
		}
		if ck.patterns != nil && ck.patterns[i].n > 0 {
			l := &ck.patterns[i]
			add(RuleIdentifierPattern, sev(RuleIdentifierPattern), l.list(), col(i), "Column %q has %d values matching an identifier pattern of the rules.", name, l.n)
		}
		if l := &ck.negatives[i]; l.n > 0 && ck.negQual[i] {
			add(RuleNegative, sev(RuleNegative), l.list(), col(i), "Column %q has %d negative values; a count cannot be negative, and dominance checks are undefined for them.", name, l.n)
		}
		if l := &ck.dofLow[i]; l.n > 0 {
			add(RuleDegreesOfFreedom, sev(RuleDegreesOfFreedom), l.list(), col(i), "Column %q has %d residual degrees of freedom below %d: the model may describe few people.", name, l.n, cr.DofThreshold)
		}
		if in.percent {
			ck.percentSum(i, add)
		}
		if l := &ck.embeddedSmall[i]; !ck.count[i] && l.n > 0 && ck.embedded[i] == st.text {
			s := sev(RuleSmallCount)
			if !in.named {
				s = lesser(s)
			}
			add(RuleSmallCount, s, l.list(), col(i), "Column %q has %d cells that start with a count from 1 to %d (like \"3 (1.2%%)\"); counts of %d or fewer must be redacted.", name, l.n, threshold-1, threshold-1)
		}
		if !ck.count[i] {
			if in.mean && st.text == 0 && st.numeric >= 3 && st.min == st.max {
				add(RuleSameValue, sev(RuleSameValue), nil, col(i), "Every value of column %q is %s: when all contributors share one value, each is disclosed.", name, fnum(st.min).String())
			}
			continue
		}
		if l := &ck.small[i]; l.n > 0 && !ck.looksMid6(i) {
			s := sev(RuleSmallCount)
			if !in.named {
				s = lesser(s)
			}
			add(RuleSmallCount, s, l.list(), col(i), "Column %q has %d counts from 1 to %d; counts of %d or fewer must be redacted.", name, l.n, threshold-1, threshold-1)
		}
		if l := &ck.zeros[i]; l.n > 0 && cr.ZerosDisclosive {
			add(RuleZero, sev(RuleZero), l.list(), col(i), "Column %q has %d zero counts; under these rules a zero is disclosive (everyone in the group shares the other outcome).", name, l.n)
		}
		if l := &ck.rounded[i]; l.n > 0 && in.mid6 == 0 && !ck.looksMid6(i) {
			add(RuleRounding, sev(RuleRounding), l.list(), col(i), "Column %q has %d counts that are not multiples of %d (nor midpoint-6 rounded).", name, l.n, cr.RoundBase)
		}
		if l := &ck.notMid6[i]; l.n > 0 {
			what := "midpoint-6 rounded (0, 3, 9, 15, …)"
			if in.mid6 == 2 {
				what = "multiples of 6 (midpoint-6 derived)"
			}
			add(RuleMidpoint6, sev(RuleMidpoint6), l.list(), col(i), "Column %q is named as midpoint-6 rounded but %d values are not %s.", name, l.n, what)
		}
		if l := &ck.missing[i]; l.n > 0 {
			add(RuleMissing, sev(RuleMissing), l.list(), col(i), "Column %q has %d empty cells: check whether they are counts suppressed without a marker.", name, l.n)
		}
		if st.numeric >= 3 && st.text == 0 && st.min == st.max {
			add(RuleSameValue, sev(RuleSameValue), nil, col(i), "Every count of column %q is %s: a whole column of one value can disclose a class of people.", name, fnum(st.min).String())
		}
	}
	ck.columnTotals()
	ck.lineWarnings(&ck.rowLines, add)
	var pct cellList
	for c := range ck.n {
		if ck.count[c] && !ck.looksMid6(c) {
			pct.merge(&ck.pctSmall[c])
		}
	}
	if pct.n > 0 {
		add(RulePercentSmall, sev(RulePercentSmall), pct.list(), nil, "%d percentages or rates are shown beside a small or redacted count; rates calculated from counts of %d or fewer must be redacted too.", pct.n, threshold-1)
	}
	if ck.domCells.n > 0 {
		add(RuleDominance, sev(RuleDominance), ck.domCells.list(), nil, "%d sums or means are dominated by their largest contributors (N-K %d/%.0f%%, p %.0f%%; %s).", ck.domCells.n, cr.NKn, 100*cr.NKk, 100*cr.PRatio, ck.domEx)
	} else if ck.domActive && ck.dom.largest < 0 && ck.dom.topTwo < 0 && ck.dom.n >= 0 {
		s := sev(RuleDominance)
		if s != "" {
			s = SeverityInfo
		}
		add(RuleDominance, s, nil, nil, "The table has sums or means with record counts: dominance (N-K %d/%.0f%%, p %.0f%%) needs the contributions behind each cell, ask for them or for ACRO's results.", cr.NKn, 100*cr.NKk, 100*cr.PRatio)
	}
	return out
}

// looksMid6 reports whether a count column is midpoint-6 rounded: named so, or every value
// 0 or 3 more than a multiple of 6, with at least three values that are not 0 (fewer are
// so by chance too often: 135 and 75 are). Its 3s stand for 1 to 6, not small counts.
func (ck *checker) looksMid6(c int) bool {
	st := &ck.stats[c]
	return ck.info[c].mid6 != 0 || (st.mid6 && st.numeric >= 3 && st.hasNonZero)
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// blockTotals checks the total row r against the rows since the previous total row, and
// starts the next block.
func (ck *checker) blockTotals(r int) {
	for _, c := range ck.qual {
		cv := &ck.vals[c]
		if cv.kind == cellNumber && (ck.blockCells[c] > 0 || len(ck.blockRed[c]) > 0) {
			ck.checkLine(&ck.blockLines[c], lineRef{column: ck.names[c], above: r}, cv.iv, ck.blockVisible[c], ck.blockCells[c], ck.blockRed[c], Cell{Row: r, Column: c})
		}
	}
	for c := range ck.n {
		ck.blockVisible[c], ck.blockCells[c], ck.blockRed[c] = 0, 0, ck.blockRed[c][:0]
	}
}

// merge adds other's findings to lf.
func (lf *lineFindings) merge(o *lineFindings) {
	lf.recover.merge(&o.recover)
	lf.nRecover += o.nRecover
	lf.match, lf.near, lf.far = lf.match+o.match, lf.near+o.near, lf.far+o.far
	lf.nearCells.merge(&o.nearCells)
	lf.farCells.merge(&o.farCells)
	for _, p := range []struct{ dst, src *string }{{&lf.exRecover, &o.exRecover}, {&lf.exNear, &o.exNear}, {&lf.exFar, &o.exFar}} {
		if *p.dst == "" {
			*p.dst = *p.src
		}
	}
}

// columnTotals checks each count column against a single row labelled as the total, or,
// with several, each block of rows against the total row below it.
func (ck *checker) columnTotals() {
	lf := lineFindings{assumePartition: true}
	defer func() { ck.colLines = lf }()
	if ck.totalRows > 1 {
		for c := range ck.n {
			if ck.count[c] {
				lf.merge(&ck.blockLines[c])
			}
		}
		return
	}
	if ck.totalRows != 1 {
		return
	}
	for c := range ck.n {
		if !ck.count[c] || !ck.hasTotalCell[c] {
			continue
		}
		red := &ck.colRedact[c]
		if red.n > maxWarningCells {
			continue
		}
		ck.checkLine(&lf, lineRef{column: ck.names[c]}, ck.totalCell[c], ck.colVisible[c], ck.colCells[c], red.cells, Cell{Row: ck.totalRow, Column: c})
	}
}

// lineWarnings reports the total checks: a redacted cell a total gives away, and totals that
// are not the sum of their cells. Row totals are taken as sums when most rows add up (or
// nearly, as rounding would); a total column that never adds up is likely not a breakdown
// of the row (a denominator beside a numerator), and its findings are only INFO.
func (ck *checker) lineWarnings(rows *lineFindings, add func(string, string, []Cell, *int, string, ...any)) {
	sev := ck.cr.severity
	for _, lf := range []*lineFindings{&ck.colLines, rows} {
		partition := lf.assumePartition || lf.match+lf.near >= lf.far
		if lf.nRecover > 0 {
			s := sev(RuleSecondary)
			if !partition {
				s = SeverityInfo
			}
			add(RuleSecondary, s, lf.recover.list(), nil, "%d redacted values can be worked out from a total shown beside them (%s). Redact a second cell in the same row or column, or the total.", lf.nRecover, lf.exRecover)
		}
		var cells cellList
		cells.merge(&lf.nearCells)
		cells.merge(&lf.farCells)
		if cells.n == 0 {
			continue
		}
		ex := lf.exNear
		if ex == "" {
			ex = lf.exFar
		}
		s := sev(RuleTotals)
		if !partition {
			s = SeverityInfo
		}
		add(RuleTotals, s, cells.list(), nil, "%d totals are not the sum of their counts (%s). Totals should be the sum of the rounded counts: a total of unrounded values lets a reader difference out cells.", cells.n, ex)
	}
	for _, p := range ck.pctRecover {
		if p.within > 0 {
			add(RuleSecondary, sev(RuleSecondary), []Cell{p.count, p.cell}, &p.cell.Column, "Column %q is a percentage with one redacted value, beside a redacted count: the other rows' counts and shares put that count at about %.0f (±%.1f).", ck.names[p.cell.Column], p.est, p.within)
			continue
		}
		add(RuleSecondary, sev(RuleSecondary), []Cell{p.cell}, &p.cell.Column, "Column %q is a percentage with one redacted value and the others add up to %s: the redacted share is %s%%.", ck.names[p.cell.Column], fmtPct(p.sum), fmtPct(100-p.sum))
	}
}

func fmtPct(v float64) string { return fmt.Sprintf("%.4g", v) }

// pctRecovered is a percentage column whose one redacted value is 100 minus the others.
type pctRecovered struct {
	cell Cell
	sum  float64
	// With a redacted count beside it: the count, its estimate and how far it may be off.
	count       Cell
	est, within float64
}

// percentSum checks a percentage column: with one redacted value, the others say what it is;
// without, the values should add up to 100 (or a multiple, one distribution per group).
func (ck *checker) percentSum(c int, add func(string, string, []Cell, *int, string, ...any)) {
	st := &ck.stats[c]
	if st.text > 0 || st.numeric < 1 || st.min < 0 || st.max > 100 {
		return
	}
	tol := ck.cr.PercentTolerance + float64(st.numeric)*0.5*math.Pow(10, -float64(ck.pctDecimals[c]))
	switch st.redacted {
	case 0:
		k := math.Max(1, math.Round(st.sum/100))
		if math.Abs(st.sum-100*k) > tol*k {
			i := c
			add(RulePercentSum, ck.cr.severity(RulePercentSum), nil, &i, "Column %q looks like percentages but adds up to %s, not 100: if it is one distribution, a category may be missing.", ck.names[c], fmtPct(st.sum))
		}
	case 1:
		if len(ck.pctRedact[c].cells) != 1 {
			return
		}
		red := ck.pctRedact[c].cells[0]
		if gap := 100 - st.sum; gap > tol && st.sum >= 50 {
			ck.pctRecover = append(ck.pctRecover, pctRecovered{cell: red, sum: st.sum})
			return
		}
		// The count of the same row redacted too: the other rows' counts and shares give
		// the whole, and so the redacted count, to within what rounding the shares allows.
		for cc := range ck.n {
			if !ck.count[cc] || ck.colRedact[cc].n != 1 || ck.colRedact[cc].cells[0].Row != red.Row || st.sum <= 0 || st.sum >= 100 {
				continue
			}
			// Each shown share is off by at most half its last digit, each count by half
			// the rounding base.
			visible, n := float64(ck.colVisible[cc]), float64(st.numeric)
			shareErr := n * 0.5 * math.Pow(10, -float64(ck.pctDecimals[c]))
			est := visible * (100 - st.sum) / st.sum
			within := (visible*shareErr + float64(ck.cr.RoundBase)/2*n*(100-st.sum)) / st.sum
			if within < float64(ck.cr.Threshold) {
				ck.pctRecover = append(ck.pctRecover, pctRecovered{cell: red, sum: st.sum, count: Cell{Row: red.Row, Column: cc}, est: est, within: within})
			}
			return
		}
	}
}
