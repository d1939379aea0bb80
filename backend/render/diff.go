package render

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path"
	"slices"
	"strings"
)

// What changed between two versions of a file (the version reviewed and the one on the
// request now): for CSV files the rows added, removed and changed and the cells that changed,
// aligned by column name; for text files the lines; for anything else the sizes and hashes.
//
// Both versions are read as streams, twice at most: the first pass keeps one 128-bit hash
// per row or line (16 bytes each, never the content) and aligns the two sequences (common
// start and end, then Myers's O(ND) difference algorithm within an edit budget); the second
// pass reads the content of the differing rows or lines only (at most DiffLimits.Edits of
// them) and lists the first DiffLimits.Changes. So the answer is bounded whatever the size
// of the files; the counts are always whole.

// Diff kinds.
const (
	DiffCSV    = "csv"
	DiffText   = "text"
	DiffBinary = "binary"
)

// Kinds of a changed row or line.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed" // CSV rows only
	ChangeContext = "context" // text lines only: unchanged lines around a change
)

// DiffLimits bound a diff's answer and work.
type DiffLimits struct {
	// Changes is how many changed rows (CSV) or changed lines (text) are listed with their
	// content; the counts cover every change.
	Changes int
	// Edits is the largest number of inserted plus deleted rows or lines the aligner looks
	// for; versions further apart are compared as sets of rows or lines instead.
	Edits int
	// CellBytes truncates each listed cell or line to this many bytes.
	CellBytes int
}

// DefaultDiffLimits are the API's bounds.
var DefaultDiffLimits = DiffLimits{Changes: 500, Edits: 2000, CellBytes: 4096}

// diffContext is how many unchanged lines are shown around each change of a text file.
const diffContext = 3

// Version is one side of a diff.
type Version struct {
	SHA256 string
	Size   int64
}

// Diff is what changed from Old (the reviewed version) to New.
type Diff struct {
	Kind     string
	Old, New Version
	// Table is set for CSV files, Text for text files.
	Table *TableDiff
	Text  *TextDiff
}

// TableDiff is what changed between two versions of a CSV file. Rows are numbered as the
// data rows of their version, from 1 (the header is not a row).
type TableDiff struct {
	OldColumns, NewColumns []string
	// ColumnsAdded and ColumnsRemoved are the columns only the new or only the old version
	// has, by name; rows are compared on the columns both have.
	ColumnsAdded, ColumnsRemoved []string
	OldRows, NewRows             int
	RowsAdded, RowsRemoved       int
	// RowsChanged counts rows changed in place (a removed row paired with a row added at
	// the same place that keeps at least half of the columns both versions have);
	// CellsChanged the cells that differ in them.
	RowsChanged, CellsChanged int
	// Aligned is false when the versions differ by more than DiffLimits.Edits rows: rows are
	// then compared as sets (RowsAdded: rows only the new version has, RowsRemoved: only the
	// old one), none are paired as changed, and Changes lists none.
	Aligned bool
	// Changes lists the first changes in file order; Truncated says there are more.
	Changes   []RowChange
	Truncated bool
	// Invalid is set (and nothing else compared) when a version is not valid CSV.
	Invalid string
}

// RowChange is one added, removed or changed row.
type RowChange struct {
	Kind string
	// OldRow and NewRow are the row's numbers in each version (0 where it is not there).
	OldRow, NewRow int
	// Old and New are the rows' cells (on the version's own columns).
	Old, New []string
	// Cells are, for a changed row, the indexes in NewColumns of the cells that differ.
	Cells []int
}

// TextDiff is what changed between two versions of a text file. Lines are numbered from 1.
type TextDiff struct {
	OldLines, NewLines       int
	LinesAdded, LinesRemoved int
	// Aligned: as for TableDiff (Hunks is then empty).
	Aligned bool
	// Hunks are the first changes in file order, each with up to three unchanged lines
	// around it; Truncated says there are more changed lines than listed.
	Hunks     []Hunk
	Truncated bool
}

// Hunk is a run of changed lines with their context.
type Hunk struct {
	OldStart, NewStart int
	Lines              []DiffLine
}

// DiffLine is one line of a hunk: OldLine and NewLine are 0 where it is not there.
type DiffLine struct {
	Kind             string
	OldLine, NewLine int
	Text             string
}

// DiffKind is how two versions of the file at p are compared: DiffCSV for CSV files,
// DiffText for the text types, DiffBinary for anything else.
func DiffKind(p string) string {
	if IsCSV(p) {
		return DiffCSV
	}
	if strings.EqualFold(path.Ext(p), ".svgz") {
		return DiffBinary
	}
	ct := ContentType(p)
	if strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "image/svg+xml") {
		return DiffText
	}
	return DiffBinary
}

// DiffFiles compares the reviewed version old with new of the file at p. Both are read
// from their start; the caller closes them.
func DiffFiles(p string, old, new io.ReadSeeker, oldV, newV Version, lim DiffLimits) (Diff, error) {
	d := Diff{Kind: DiffKind(p), Old: oldV, New: newV}
	var err error
	switch d.Kind {
	case DiffCSV:
		d.Table, err = diffTables(old, new, lim)
	case DiffText:
		var bin bool
		d.Text, bin, err = diffTexts(old, new, lim)
		if bin {
			d.Kind, d.Text, err = DiffBinary, nil, nil
		}
	}
	return d, err
}

// rowKey is the 128-bit hash of a row or line.
type rowKey struct{ a, b uint64 }

type hasher struct {
	a, b maphash.Hash
	n    [4]byte
}

func newHasher() *hasher {
	h := &hasher{}
	seed := maphash.MakeSeed()
	h.a.SetSeed(seed)
	h.b.SetSeed(maphash.MakeSeed())
	return h
}

func (h *hasher) reset() { h.a.Reset(); h.b.Reset() }

// field adds one field, length first, so that field boundaries count.
func (h *hasher) field(f []byte) {
	binary.LittleEndian.PutUint32(h.n[:], uint32(len(f)))
	h.a.Write(h.n[:])
	h.b.Write(h.n[:])
	h.a.Write(f)
	h.b.Write(f)
}

func (h *hasher) write(p []byte) { h.a.Write(p); h.b.Write(p) }

func (h *hasher) sum() rowKey { return rowKey{h.a.Sum64(), h.b.Sum64()} }

// ---------------------------------------------------------------------------------------
// Alignment

// edit is one deleted row of the old sequence (del) or inserted row of the new one, at
// positions i (old) and j (new) of the alignment: rows before it are paired in lockstep.
type edit struct {
	del  bool
	i, j int
}

// align returns the edits turning a into b, in order, or ok false when more than maxEdits
// are needed where both versions differ (or the search would take too long). Rows only
// added, or only removed, between a common start and end are always aligned, however many.
func align(a, b []rowKey, maxEdits int) (edits []edit, ok bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma) == 0 || len(mb) == 0 {
		// Only one side has rows between the common start and end.
		for i := range ma {
			edits = append(edits, edit{del: true, i: pre + i, j: pre})
		}
		for j := range mb {
			edits = append(edits, edit{i: pre, j: pre + j})
		}
		return edits, true
	}
	es, ok := myers(ma, mb, maxEdits)
	if !ok {
		return nil, false
	}
	for k := range es {
		es[k].i += pre
		es[k].j += pre
	}
	return es, true
}

// myers is Myers's greedy O(ND) difference of a and b, giving up past maxD edits or a
// budget of comparisons. The trace keeps, for each d, the furthest points of round d-1 on
// the diagonals -d-1..d+1 (O(D²) memory).
func myers(a, b []rowKey, maxD int) ([]edit, bool) {
	n, m := len(a), len(b)
	maxD = min(maxD, n+m)
	budget := 64 << 20 // snake steps
	off := maxD + 2
	v := make([]int32, 2*maxD+5)
	var trace [][]int32
	for d := 0; d <= maxD; d++ {
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = int(v[off+k+1])
			} else {
				x = int(v[off+k-1]) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
				budget--
			}
			v[off+k] = int32(x)
			if x >= n && y >= m {
				return backtrack(trace, n, m), true
			}
		}
		if budget < 0 {
			return nil, false
		}
	}
	return nil, false
}

func backtrack(trace [][]int32, n, m int) []edit {
	var out []edit
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		v := trace[d] // index 0 is diagonal -d-1
		at := func(k int) int { return int(v[k+d+1]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
		}
		if x == px {
			out = append(out, edit{i: px, j: py}) // insert b[py]
		} else {
			out = append(out, edit{del: true, i: px, j: py}) // delete a[px]
		}
		x, y = px, py
	}
	slices.Reverse(out)
	return out
}

// setDifference counts the rows only a has and only b has, as multisets.
func setDifference(a, b []rowKey) (onlyA, onlyB int) {
	sa, sb := slices.Clone(a), slices.Clone(b)
	cmp := func(x, y rowKey) int {
		switch {
		case x.a != y.a:
			if x.a < y.a {
				return -1
			}
			return 1
		case x.b < y.b:
			return -1
		case x.b > y.b:
			return 1
		}
		return 0
	}
	slices.SortFunc(sa, cmp)
	slices.SortFunc(sb, cmp)
	i, j := 0, 0
	for i < len(sa) && j < len(sb) {
		switch c := cmp(sa[i], sb[j]); {
		case c == 0:
			i, j = i+1, j+1
		case c < 0:
			onlyA, i = onlyA+1, i+1
		default:
			onlyB, j = onlyB+1, j+1
		}
	}
	return onlyA + len(sa) - i, onlyB + len(sb) - j
}

// ---------------------------------------------------------------------------------------
// CSV

// diffTables compares two CSV files on the columns both have.
func diffTables(old, new io.ReadSeeker, lim DiffLimits) (*TableDiff, error) {
	td := &TableDiff{OldColumns: []string{}, NewColumns: []string{}, ColumnsAdded: []string{},
		ColumnsRemoved: []string{}, Changes: []RowChange{}}
	oldHead, err := readHeader(old)
	if err != nil {
		return invalidTable(td, "The reviewed version", err)
	}
	newHead, err := readHeader(new)
	if err != nil {
		return invalidTable(td, "The new version", err)
	}
	td.OldColumns, td.NewColumns = oldHead, newHead
	// Columns both have, by name (the first of repeated names), in the new order.
	oldAt := map[string]int{}
	for i, c := range oldHead {
		if _, ok := oldAt[c]; !ok {
			oldAt[c] = i
		}
	}
	newAt := map[string]int{}
	var common [][2]int // old index, new index
	for j, c := range newHead {
		if _, dup := newAt[c]; dup {
			continue
		}
		newAt[c] = j
		if i, ok := oldAt[c]; ok {
			common = append(common, [2]int{i, j})
		} else {
			td.ColumnsAdded = append(td.ColumnsAdded, c)
		}
	}
	for _, c := range oldHead {
		if _, ok := newAt[c]; !ok && !slices.Contains(td.ColumnsRemoved, c) {
			td.ColumnsRemoved = append(td.ColumnsRemoved, c)
		}
	}
	oldCols, newCols := make([]int, len(common)), make([]int, len(common))
	for k, c := range common {
		oldCols[k], newCols[k] = c[0], c[1]
	}

	h := newHasher()
	a, err := hashRows(old, oldCols, h)
	if err != nil {
		return invalidTable(td, "The reviewed version", err)
	}
	b, err := hashRows(new, newCols, h)
	if err != nil {
		return invalidTable(td, "The new version", err)
	}
	td.OldRows, td.NewRows = len(a), len(b)
	edits, ok := align(a, b, lim.Edits)
	if !ok {
		td.RowsRemoved, td.RowsAdded = setDifference(a, b)
		return td, nil
	}
	td.Aligned = true

	// Runs of edits with no unchanged row between them.
	type run struct{ dels, ins []int }
	var runs []run
	for k := 0; k < len(edits); {
		var rn run
		for start := k; k < len(edits) && (k == start || edits[k].follows(edits[k-1])); k++ {
			if e := edits[k]; e.del {
				rn.dels = append(rn.dels, e.i)
			} else {
				rn.ins = append(rn.ins, e.j)
			}
		}
		runs = append(runs, rn)
	}
	// A removed row and a later added row of the same run that keep at least half of the
	// common cells are one row changed in place. Pairing needs the rows' content: read for
	// runs with both, up to lim.Edits rows of each version (beyond that rows are not paired).
	wantOld, wantNew := map[int][]string{}, map[int][]string{}
	for _, rn := range runs {
		if len(rn.dels) == 0 || len(rn.ins) == 0 {
			continue
		}
		for _, i := range rn.dels[:min(len(rn.dels), max(lim.Edits-len(wantOld), 0))] {
			wantOld[i] = nil
		}
		for _, j := range rn.ins[:min(len(rn.ins), max(lim.Edits-len(wantNew), 0))] {
			wantNew[j] = nil
		}
	}
	if err := readRows(old, wantOld, lim.CellBytes); err != nil {
		return invalidTable(td, "The reviewed version", err)
	}
	if err := readRows(new, wantNew, lim.CellBytes); err != nil {
		return invalidTable(td, "The new version", err)
	}
	// differing lists the cells (new column indexes) where two rows differ.
	differing := func(or, nr []string) []int {
		cells := []int{}
		for k := range common {
			if cell(or, oldCols[k]) != cell(nr, newCols[k]) {
				cells = append(cells, newCols[k])
			}
		}
		return cells
	}
	var changes []RowChange // content filled below for the listed ones
	add := func(rc RowChange) {
		switch rc.Kind {
		case ChangeChanged:
			td.RowsChanged++
			td.CellsChanged += len(rc.Cells)
		case ChangeRemoved:
			td.RowsRemoved++
		case ChangeAdded:
			td.RowsAdded++
		}
		if len(changes) < lim.Changes {
			changes = append(changes, rc)
		} else {
			td.Truncated = true
		}
	}
	for _, rn := range runs {
		next := 0
		for _, i := range rn.dels {
			paired := false
			if _, read := wantOld[i]; read && len(common) > 0 {
				for k := next; k < len(rn.ins); k++ {
					j := rn.ins[k]
					if _, read := wantNew[j]; !read {
						break
					}
					cells := differing(wantOld[i], wantNew[j])
					if 2*len(cells) > len(common) {
						continue
					}
					for _, before := range rn.ins[next:k] {
						add(RowChange{Kind: ChangeAdded, OldRow: -1, NewRow: before})
					}
					add(RowChange{Kind: ChangeChanged, OldRow: i, NewRow: j, Cells: cells})
					next, paired = k+1, true
					break
				}
			}
			if !paired {
				add(RowChange{Kind: ChangeRemoved, OldRow: i, NewRow: -1})
			}
		}
		for _, j := range rn.ins[next:] {
			add(RowChange{Kind: ChangeAdded, OldRow: -1, NewRow: j})
		}
	}
	// The content of the listed rows (at most lim.Changes more of each version).
	for _, c := range changes {
		if _, ok := wantOld[c.OldRow]; c.OldRow >= 0 && !ok {
			wantOld[c.OldRow] = nil
		}
		if _, ok := wantNew[c.NewRow]; c.NewRow >= 0 && !ok {
			wantNew[c.NewRow] = nil
		}
	}
	if err := readRows(old, wantOld, lim.CellBytes); err != nil {
		return invalidTable(td, "The reviewed version", err)
	}
	if err := readRows(new, wantNew, lim.CellBytes); err != nil {
		return invalidTable(td, "The new version", err)
	}
	for _, c := range changes {
		if c.Cells == nil {
			c.Cells = []int{}
		}
		if c.OldRow >= 0 {
			c.Old = wantOld[c.OldRow]
		}
		if c.NewRow >= 0 {
			c.New = wantNew[c.NewRow]
		}
		c.OldRow, c.NewRow = c.OldRow+1, c.NewRow+1 // from 1; 0 where absent
		td.Changes = append(td.Changes, c)
	}
	return td, nil
}

// follows reports whether e comes right after prev, with no unchanged row between them.
func (e edit) follows(prev edit) bool {
	if prev.del {
		return e.i == prev.i+1 && e.j == prev.j
	}
	return e.i == prev.i && e.j == prev.j+1
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func invalidTable(td *TableDiff, which string, err error) (*TableDiff, error) {
	var pe *parseError
	if errors.As(err, &pe) {
		td.Invalid = fmt.Sprintf("%s is not a valid CSV file (%v)", which, pe)
		return td, nil
	}
	return nil, err
}

// readHeader reads the first record of a CSV file from its start.
func readHeader(r io.ReadSeeker) ([]string, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	s := newScanner(r, randomBufSize)
	fields, _, err := s.next()
	if err == io.EOF {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f)
	}
	return out, nil
}

// hashRows hashes every data row of a CSV file on the columns cols (a missing cell counts
// as empty).
func hashRows(r io.ReadSeeker, cols []int, h *hasher) ([]rowKey, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	s := newScanner(r, seqBufSize)
	if _, _, err := s.next(); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	var out []rowKey
	for {
		fields, _, err := s.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		h.reset()
		for _, c := range cols {
			if c < len(fields) {
				h.field(fields[c])
			} else {
				h.field(nil)
			}
		}
		out = append(out, h.sum())
	}
}

// rewindFor rewinds r to read the entries of want (keyed by 0-based row or line) and
// returns the last of them; -1, without rewinding, when want is empty.
func rewindFor[V any](r io.Seeker, want map[int]V) (last int, err error) {
	if len(want) == 0 {
		return -1, nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return -1, err
	}
	last = -1
	for i := range want {
		last = max(last, i)
	}
	return last, nil
}

// readRows fills want (0-based data row → cells) from a CSV file.
func readRows(r io.ReadSeeker, want map[int][]string, cellBytes int) error {
	last, err := rewindFor(r, want)
	if err != nil || last < 0 {
		return err
	}
	s := newScanner(r, seqBufSize)
	if _, _, err := s.next(); err != nil {
		return err
	}
	for row := 0; row <= last; row++ {
		fields, _, err := s.next()
		if err != nil {
			return err
		}
		if _, ok := want[row]; !ok {
			continue
		}
		cells := make([]string, len(fields))
		for i, f := range fields {
			cells[i] = clip(f, cellBytes)
		}
		want[row] = cells
	}
	return nil
}

// clip is b as a string of at most n bytes (cut at a rune boundary, with an ellipsis).
func clip(b []byte, n int) string {
	if n <= 0 || len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && b[cut]&0xC0 == 0x80 {
		cut--
	}
	return string(b[:cut]) + "…"
}

// ---------------------------------------------------------------------------------------
// Text

// maxLineBytes is how much of a line is read at once; longer lines are hashed whole but
// only their start is kept for showing.
const maxLineBytes = 64 << 10

// diffTexts compares two text files line by line. bin reports that a version holds a NUL
// byte: it is not text, and is compared by size and hash only.
func diffTexts(old, new io.ReadSeeker, lim DiffLimits) (td *TextDiff, bin bool, err error) {
	h := newHasher()
	a, bin, err := hashLines(old, h)
	if err != nil || bin {
		return nil, bin, err
	}
	b, bin, err := hashLines(new, h)
	if err != nil || bin {
		return nil, bin, err
	}
	td = &TextDiff{OldLines: len(a), NewLines: len(b), Hunks: []Hunk{}}
	edits, ok := align(a, b, lim.Edits)
	if !ok {
		td.LinesRemoved, td.LinesAdded = setDifference(a, b)
		return td, false, nil
	}
	td.Aligned = true
	for _, e := range edits {
		if e.del {
			td.LinesRemoved++
		} else {
			td.LinesAdded++
		}
	}
	listed := edits
	if len(listed) > lim.Changes {
		listed, td.Truncated = listed[:lim.Changes], true
	}

	// Hunks: each edit with the unchanged lines around it; edits closer than twice the
	// context share a hunk.
	type span struct{ oldFrom, oldTo, newFrom, newTo int } // lines [from, to), 0-based
	var spans []span
	var groups [][]edit
	for _, e := range listed {
		// Unchanged lines before an edit are paired in lockstep in both versions.
		c := min(diffContext, e.i, e.j)
		oldFrom, newFrom := e.i-c, e.j-c
		if n := len(groups); n > 0 {
			sp := &spans[n-1]
			if oldFrom <= sp.oldTo {
				groups[n-1] = append(groups[n-1], e)
				sp.oldTo, sp.newTo = endOf(e, len(a), len(b))
				continue
			}
		}
		sp := span{oldFrom: oldFrom, newFrom: newFrom}
		sp.oldTo, sp.newTo = endOf(e, len(a), len(b))
		spans = append(spans, sp)
		groups = append(groups, []edit{e})
	}
	wantOld, wantNew := map[int]string{}, map[int]string{}
	for _, sp := range spans {
		for i := sp.oldFrom; i < sp.oldTo; i++ {
			wantOld[i] = ""
		}
		for j := sp.newFrom; j < sp.newTo; j++ {
			wantNew[j] = ""
		}
	}
	if err := readLines(old, wantOld, lim.CellBytes); err != nil {
		return nil, false, err
	}
	if err := readLines(new, wantNew, lim.CellBytes); err != nil {
		return nil, false, err
	}
	for g, sp := range spans {
		hk := Hunk{OldStart: sp.oldFrom + 1, NewStart: sp.newFrom + 1}
		i, j := sp.oldFrom, sp.newFrom
		for _, e := range groups[g] {
			for i < e.i && j < e.j { // unchanged lines before the edit
				hk.Lines = append(hk.Lines, DiffLine{ChangeContext, i + 1, j + 1, wantOld[i]})
				i, j = i+1, j+1
			}
			if e.del {
				hk.Lines = append(hk.Lines, DiffLine{ChangeRemoved, e.i + 1, 0, wantOld[e.i]})
				i = e.i + 1
			} else {
				hk.Lines = append(hk.Lines, DiffLine{ChangeAdded, 0, e.j + 1, wantNew[e.j]})
				j = e.j + 1
			}
		}
		for i < sp.oldTo && j < sp.newTo {
			hk.Lines = append(hk.Lines, DiffLine{ChangeContext, i + 1, j + 1, wantOld[i]})
			i, j = i+1, j+1
		}
		td.Hunks = append(td.Hunks, hk)
	}
	return td, false, nil
}

// endOf is where the context after edit e ends (exclusive) in each version.
func endOf(e edit, n, m int) (oldTo, newTo int) {
	if e.del {
		return min(e.i+1+diffContext, n), min(e.j+diffContext, m)
	}
	return min(e.i+diffContext, n), min(e.j+1+diffContext, m)
}

// hashLines hashes every line of a text file (without its line end; "\r\n" counts as
// "\n"). bin reports a NUL byte.
func hashLines(r io.ReadSeeker, h *hasher) (keys []rowKey, bin bool, err error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, false, err
	}
	br := bufio.NewReaderSize(r, seqBufSize)
	open := false // a line was started
	for {
		chunk, err := br.ReadSlice('\n')
		if bytes.IndexByte(chunk, 0) >= 0 {
			return nil, true, nil
		}
		if len(chunk) > 0 {
			if !open {
				h.reset()
				open = true
			}
			body := chunk
			ended := body[len(body)-1] == '\n'
			if ended {
				body = bytes.TrimSuffix(body[:len(body)-1], []byte{'\r'})
			}
			h.write(body)
			if ended {
				keys = append(keys, h.sum())
				open = false
			}
		}
		switch {
		case err == nil || errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if open {
				keys = append(keys, h.sum())
			}
			return keys, false, nil
		default:
			return nil, false, err
		}
	}
}

// readLines fills want (0-based line → text) from a text file, each line clipped.
func readLines(r io.ReadSeeker, want map[int]string, cellBytes int) error {
	last, err := rewindFor(r, want)
	if err != nil || last < 0 {
		return err
	}
	br := bufio.NewReaderSize(r, seqBufSize)
	var cur []byte
	line := 0
	for line <= last {
		chunk, err := br.ReadSlice('\n')
		if _, ok := want[line]; ok && len(cur) < maxLineBytes {
			cur = append(cur, chunk...)
		}
		ended := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if ended || (errors.Is(err, io.EOF) && len(chunk) > 0) {
			if _, ok := want[line]; ok {
				body := bytes.TrimSuffix(bytes.TrimSuffix(cur, []byte{'\n'}), []byte{'\r'})
				want[line] = clip(body, cellBytes)
			}
			cur = cur[:0]
			line++
		}
		switch {
		case err == nil || errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
	return nil
}
