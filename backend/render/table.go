package render

import (
	"bytes"
	"cmp"
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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

// TablesConfig tunes a Tables engine. Zero values take the defaults.
type TablesConfig struct {
	// MemoryBudget bounds the bytes held by cached row indexes, sort orders and search
	// results together (default 128 MiB). Least recently used files are dropped first.
	MemoryBudget int64
	// SyncIndexBelow: files smaller than this are indexed before answering even a first page
	// (default 4 MiB), so small tables always get exact counts in one request.
	SyncIndexBelow int64
	// Background is the number of background indexing jobs at once (default 2).
	Background int
	// Rules are the disclosure checks of summaries.
	Rules DisclosureRules
}

// Tables pages, sorts and searches CSV files. It caches, per content hash, an index of row
// offsets and the sort orders and search results computed over it; it never holds a file's
// content in memory. Safe for concurrent use. Close stops background indexing.
type Tables struct {
	cfg TablesConfig

	mu       sync.Mutex
	entries  map[string]*list.Element // key -> *tableIndex in lru
	lru      *list.List               // front = most recently used
	used     int64
	building map[string]*indexBuild

	summaries    map[string]Summary
	summaryOrder []string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
}

type indexBuild struct {
	done chan struct{}
	idx  *tableIndex
	err  error
}

// tableIndex is what is cached for one file.
type tableIndex struct {
	key     string
	columns []string
	offsets []int64 // start of each data row

	mu      sync.Mutex
	derived map[string][]int32 // search results and sort orders by name
	extra   int64              // bytes held by derived
	order   []string           // names in derived, oldest first
}

type sortSpec struct {
	col  int
	desc bool
}

const maxDerivedPerIndex = 8

func (ix *tableIndex) bytes() int64 {
	return int64(len(ix.offsets))*8 + ix.extra + 256
}

// NewTables returns an engine; call Close when done.
func NewTables(cfg TablesConfig) *Tables {
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = 128 << 20
	}
	if cfg.SyncIndexBelow <= 0 {
		cfg.SyncIndexBelow = 4 << 20
	}
	if cfg.Background <= 0 {
		cfg.Background = 2
	}
	if cfg.Rules.compiled == nil {
		_ = cfg.Rules.Compile() // compiled once here; bad rules are reported by each Summary
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Tables{
		cfg: cfg, entries: map[string]*list.Element{}, lru: list.New(),
		building: map[string]*indexBuild{}, summaries: map[string]Summary{}, ctx: ctx, cancel: cancel,
		sem: make(chan struct{}, cfg.Background),
	}
}

// Close cancels background indexing and waits for it to stop.
func (t *Tables) Close() {
	t.cancel()
	t.wg.Wait()
}

// Indexed reports whether the row index of key is cached (for tests and metrics).
func (t *Tables) Indexed(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.entries[key]
	return ok
}

func (t *Tables) cached(key string) *tableIndex {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*tableIndex)
	}
	return nil
}

func (t *Tables) store(ix *tableIndex) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[ix.key]; ok {
		t.used -= el.Value.(*tableIndex).bytes()
		t.lru.Remove(el)
	}
	t.entries[ix.key] = t.lru.PushFront(ix)
	t.used += ix.bytes()
	t.evictLocked()
}

// grew accounts for derived data added to a cached index.
func (t *Tables) grew(ix *tableIndex, delta int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entries[ix.key]; ok {
		t.used += delta
		t.evictLocked()
	}
}

func (t *Tables) evictLocked() {
	for t.used > t.cfg.MemoryBudget && t.lru.Len() > 1 {
		el := t.lru.Back()
		ix := el.Value.(*tableIndex)
		t.lru.Remove(el)
		delete(t.entries, ix.key)
		ix.mu.Lock()
		t.used -= ix.bytes()
		ix.mu.Unlock()
	}
}

// Table answers one page. key identifies the content (its SHA-256); src is the file, and
// Table takes ownership of it: it is closed before Table returns, or by the background
// indexer that Table may start for a large file's first page.
func (t *Tables) Table(ctx context.Context, key string, src io.ReadSeekCloser, q TableQuery) (Table, error) {
	owned := true
	defer func() {
		if owned {
			_ = src.Close()
		}
	}()
	ix := t.cached(key)
	if ix == nil && q.Sort < 0 && q.Q == "" && q.Offset == 0 {
		size, err := src.Seek(0, io.SeekEnd)
		if err != nil {
			return Table{}, err
		}
		if size >= t.cfg.SyncIndexBelow {
			tbl, err := firstPage(src, q.Limit)
			if err != nil {
				return Table{}, err
			}
			if t.startBackground(key, src) {
				owned = false
			}
			return tbl, nil
		}
	}
	if ix == nil {
		// Build the index, collecting what this query needs in the same pass.
		var cols []collector
		if terms := searchTerms(q.Q); len(terms) > 0 {
			cols = append(cols, newSearchCollector(terms))
		}
		if q.Sort >= 0 {
			cols = append(cols, &sortCollector{spec: sortSpec{col: q.Sort, desc: q.Desc}})
		}
		var err error
		if ix, err = t.index(ctx, key, src, cols); err != nil {
			return Table{}, err
		}
	}
	return t.page(ctx, ix, src, q)
}

// collector gathers a search result or a sort order during a pass over the rows.
type collector interface {
	name() string
	visit(row int, f [][]byte)
	result() []int32
	// grow makes room for about n rows.
	grow(n int)
}

// maxCachedSummaries bounds the summary cache (a summary is small: per column, not per row).
const maxCachedSummaries = 256

// Summary returns the summary of a CSV file, cached by key (its content hash). Like Table,
// it takes ownership of src and closes it.
func (t *Tables) Summary(ctx context.Context, key string, src io.ReadSeekCloser) (Summary, error) {
	defer func() { _ = src.Close() }()
	t.mu.Lock()
	s, ok := t.summaries[key]
	t.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := Summarize(ctx, src, t.cfg.Rules)
	if err != nil {
		return Summary{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.summaries[key]; !ok {
		t.summaries[key] = s
		t.summaryOrder = append(t.summaryOrder, key)
		if len(t.summaryOrder) > maxCachedSummaries {
			delete(t.summaries, t.summaryOrder[0])
			t.summaryOrder = t.summaryOrder[1:]
		}
	}
	return s, nil
}

// firstPage reads the header and the first limit rows, and peeks whether more follow.
func firstPage(src io.ReadSeeker, limit int) (Table, error) {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return Table{}, err
	}
	s := newScanner(src, randomBufSize)
	tbl := Table{Columns: []string{}, Rows: [][]string{}, RowIndexes: []int{}}
	f, _, err := s.next()
	if errors.Is(err, io.EOF) {
		tbl.TotalRowsExact = true
		return tbl, nil
	}
	if err != nil {
		return Table{}, csvError(err)
	}
	tbl.Columns = header(f)
	for len(tbl.Rows) <= limit {
		f, _, err := s.next()
		if errors.Is(err, io.EOF) {
			tbl.TotalRowsExact = true
			break
		}
		if err != nil {
			return Table{}, csvError(err)
		}
		if len(tbl.Rows) == limit {
			break // there is more
		}
		tbl.RowIndexes = append(tbl.RowIndexes, len(tbl.Rows))
		tbl.Rows = append(tbl.Rows, strs(f))
	}
	tbl.TotalRows = len(tbl.Rows)
	if !tbl.TotalRowsExact {
		tbl.TotalRows++
	}
	tbl.MatchedRows = tbl.TotalRows
	return tbl, nil
}

// startBackground indexes key from src in a goroutine that then closes src. It returns
// false (and leaves src to the caller) when a build is already running or no slot is free.
func (t *Tables) startBackground(key string, src io.ReadSeekCloser) bool {
	t.mu.Lock()
	if _, busy := t.building[key]; busy || t.ctx.Err() != nil {
		t.mu.Unlock()
		return false
	}
	select {
	case t.sem <- struct{}{}:
	default:
		t.mu.Unlock()
		return false
	}
	b := &indexBuild{done: make(chan struct{})}
	t.building[key] = b
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer func() { <-t.sem }()
		defer func() { _ = src.Close() }()
		t.runBuild(t.ctx, key, src, b, nil)
	}()
	return true
}

// index returns the cached index of key, building it from src (or waiting for a build of
// the same content already under way).
func (t *Tables) index(ctx context.Context, key string, src io.ReadSeeker, cols []collector) (*tableIndex, error) {
	for {
		if ix := t.cached(key); ix != nil {
			return ix, nil
		}
		t.mu.Lock()
		if b, ok := t.building[key]; ok {
			t.mu.Unlock()
			select {
			case <-b.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if b.err != nil && !errors.Is(b.err, context.Canceled) {
				return nil, b.err
			}
			continue // built (or cancelled elsewhere): look again
		}
		b := &indexBuild{done: make(chan struct{})}
		t.building[key] = b
		t.mu.Unlock()
		t.runBuild(ctx, key, src, b, cols)
		return b.idx, b.err
	}
}

func (t *Tables) runBuild(ctx context.Context, key string, src io.ReadSeeker, b *indexBuild, cols []collector) {
	b.idx, b.err = buildIndex(ctx, key, src, cols)
	if b.err == nil {
		for _, c := range cols {
			b.idx.add(c.name(), c.result())
		}
		t.store(b.idx)
	}
	t.mu.Lock()
	delete(t.building, key)
	t.mu.Unlock()
	close(b.done)
}

// buildIndex reads src once, recording where each data row starts. Without collectors it
// only looks at quotes and line ends; with them it parses every row and shows it to them.
func buildIndex(ctx context.Context, key string, src io.ReadSeeker, cols []collector) (*tableIndex, error) {
	ix := &tableIndex{key: key, columns: []string{}, derived: map[string][]int32{}}
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	s := newScanner(src, seqBufSize)
	f, _, err := s.next()
	if errors.Is(err, io.EOF) {
		return ix, nil
	}
	if err != nil {
		return nil, csvError(err)
	}
	ix.columns = header(f)
	rawOnly := true // skip records unless a collector needs them parsed
	for _, c := range cols {
		if _, ok := c.(rawVisitor); !ok {
			rawOnly = false
		}
	}
	for n := 0; ; n++ {
		if n&0xffff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var start int64
		var raw []byte
		if rawOnly {
			raw, start, err = s.skip()
		} else {
			f, start, err = s.next()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		ix.offsets = append(ix.offsets, start)
		for _, c := range cols {
			if rawOnly {
				if err := c.(rawVisitor).visitRaw(n, raw); err != nil {
					return nil, csvError(err)
				}
			} else {
				c.visit(n, f)
			}
		}
		if n == 1023 {
			// Size everything once from the average row length so far.
			if per := (s.offset() - ix.offsets[0]) / 1024; per > 0 {
				rows := int((size - ix.offsets[0]) / per)
				est := rows + rows/16 + 16
				ix.offsets = slices.Grow(ix.offsets, est-len(ix.offsets))
				for _, c := range cols {
					c.grow(est)
				}
			}
		}
	}
	ix.offsets = slices.Clip(ix.offsets)
	return ix, nil
}

// add stores a derived result, dropping the oldest beyond the per-file limit; it returns the
// change in bytes held.
func (ix *tableIndex) add(name string, v []int32) int64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.derived[name]; ok {
		return 0
	}
	ix.derived[name] = v
	ix.order = append(ix.order, name)
	delta := int64(len(v)) * 4
	for len(ix.order) > maxDerivedPerIndex {
		old := ix.order[0]
		ix.order = ix.order[1:]
		delta -= int64(len(ix.derived[old])) * 4
		delete(ix.derived, old)
	}
	ix.extra += delta
	return delta
}

// page answers q from a built index.
func (t *Tables) page(ctx context.Context, ix *tableIndex, src io.ReadSeeker, q TableQuery) (Table, error) {
	if q.Sort >= 0 && q.Sort >= len(ix.columns) {
		return Table{}, airlock.Errorf(airlock.CodeInvalid, "sort must be a column index below %d", len(ix.columns))
	}
	total := len(ix.offsets)
	tbl := Table{Columns: ix.columns, Rows: [][]string{}, RowIndexes: []int{}, TotalRows: total,
		MatchedRows: total, Offset: q.Offset, TotalRowsExact: true}

	var order []int32 // nil means file order
	var matches []int32
	terms := searchTerms(q.Q)
	if len(terms) > 0 {
		m, err := t.derived(ctx, ix, src, newSearchCollector(terms))
		if err != nil {
			return Table{}, err
		}
		matches = m
		tbl.MatchedRows = len(m)
	}
	if q.Sort >= 0 {
		spec := sortSpec{col: q.Sort, desc: q.Desc}
		o, err := t.derived(ctx, ix, src, &sortCollector{spec: spec})
		if err != nil {
			return Table{}, err
		}
		order = o
		if matches != nil {
			in := make([]bool, total)
			for _, r := range matches {
				in[r] = true
			}
			filtered := make([]int32, 0, len(matches))
			for _, r := range order {
				if in[r] {
					filtered = append(filtered, r)
				}
			}
			order = filtered
		}
	} else if matches != nil {
		order = matches
	}

	n := tbl.MatchedRows
	if q.Offset >= n {
		return tbl, nil
	}
	end := min(n, q.Offset+q.Limit)
	rows := make([]int, 0, end-q.Offset)
	for i := q.Offset; i < end; i++ {
		if order == nil {
			rows = append(rows, i)
		} else {
			rows = append(rows, int(order[i]))
		}
	}
	s := newScanner(src, randomBufSize)
	next := int64(-1) // offset the scanner is positioned at
	for _, r := range rows {
		off := ix.offsets[r]
		if off != next {
			if err := s.resetAt(src, off); err != nil {
				return Table{}, err
			}
		}
		f, _, err := s.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return Table{}, airlock.WrapError(airlock.CodeInvalid, err, "the file changed while it was being read; reload it")
		}
		tbl.Rows = append(tbl.Rows, strs(f))
		tbl.RowIndexes = append(tbl.RowIndexes, r)
		next = s.offset()
	}
	return tbl, nil
}

// derived returns a cached search result or sort order of ix, computing it with one pass
// when missing.
func (t *Tables) derived(ctx context.Context, ix *tableIndex, src io.ReadSeeker, c collector) ([]int32, error) {
	ix.mu.Lock()
	v, ok := ix.derived[c.name()]
	ix.mu.Unlock()
	if ok {
		return v, nil
	}
	c.grow(len(ix.offsets))
	var err error
	if rv, ok := c.(rawVisitor); ok {
		err = scanRaw(ctx, src, rv.visitRaw)
	} else {
		err = scanData(ctx, src, c.visit)
	}
	if err != nil {
		return nil, err
	}
	v = c.result()
	if delta := ix.add(c.name(), v); delta != 0 {
		t.grew(ix, delta)
	}
	return v, nil
}

// scanData calls fn for every data row of src in file order.
func scanData(ctx context.Context, src io.ReadSeeker, fn func(row int, f [][]byte)) error {
	return scanRows(ctx, src, func(s *scanner, row int) error {
		f, _, err := s.next()
		if err == nil {
			fn(row, f)
		}
		return err
	})
}

// rawVisitor is a collector that can work from a record's raw bytes.
type rawVisitor interface {
	visitRaw(row int, raw []byte) error
}

// scanRaw calls fn with the raw bytes of every data row of src in file order.
func scanRaw(ctx context.Context, src io.ReadSeeker, fn func(row int, raw []byte) error) error {
	return scanRows(ctx, src, func(s *scanner, row int) error {
		raw, _, err := s.skip()
		if err == nil {
			err = fn(row, raw)
		}
		return err
	})
}

// scanRows reads src from the start, past its header, and calls step to take each data row
// from the scanner in file order, until step returns io.EOF (done) or another error (a
// CSV error). It stops early when ctx ends.
func scanRows(ctx context.Context, src io.ReadSeeker, step func(s *scanner, row int) error) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s := newScanner(src, seqBufSize)
	if _, _, err := s.next(); err != nil { // header
		if errors.Is(err, io.EOF) {
			return nil
		}
		return csvError(err)
	}
	for row := 0; ; row++ {
		if row&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := step(s, row)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
	}
}

// searchTerms splits a search into lower-cased terms.
func searchTerms(q string) []string {
	terms := strings.Fields(strings.ToLower(q))
	slices.Sort(terms)
	return slices.Compact(terms)
}

type searchCollector struct {
	terms   []string
	needles [][]byte
	out     []int32
	lowered []byte
	// prefilter: every term can be looked for in a record's raw bytes first (no term has a
	// quote, comma or line end); only records holding every term are parsed.
	prefilter bool
	rawReader bytes.Reader
	rawParser *scanner
}

func newSearchCollector(terms []string) *searchCollector {
	c := &searchCollector{terms: terms, out: []int32{}, prefilter: true, rawParser: newScanner(nil, randomBufSize)}
	for _, t := range terms {
		c.needles = append(c.needles, []byte(t))
		if strings.ContainsAny(t, "\",\r\n") {
			c.prefilter = false
		}
	}
	return c
}

// visitRaw looks at one record's raw bytes: records lacking a term are passed over without
// being parsed; the others are parsed and matched cell by cell.
func (c *searchCollector) visitRaw(row int, raw []byte) error {
	if c.prefilter {
		hay := raw
		ascii := isASCII(raw)
		if !ascii {
			c.lowered = append(c.lowered[:0], bytes.ToLower(raw)...)
			hay = c.lowered
		}
		for _, n := range c.needles {
			if ascii && !containsFoldASCII(hay, n) || !ascii && !bytes.Contains(hay, n) {
				return nil
			}
		}
	}
	c.rawReader.Reset(raw)
	c.rawParser.resetReader(&c.rawReader)
	f, _, err := c.rawParser.next()
	if err != nil {
		return err
	}
	c.visit(row, f)
	return nil
}

func (c *searchCollector) name() string { return "q:" + strings.Join(c.terms, " ") }

func (c *searchCollector) visit(row int, f [][]byte) {
	for _, n := range c.needles {
		found := false
		for _, cell := range f {
			if isASCII(cell) {
				found = containsFoldASCII(cell, n)
			} else {
				c.lowered = append(c.lowered[:0], bytes.ToLower(cell)...)
				found = bytes.Contains(c.lowered, n)
			}
			if found {
				break
			}
		}
		if !found {
			return
		}
	}
	c.out = append(c.out, int32(row))
}

func (c *searchCollector) result() []int32 { return slices.Clip(c.out) }

func (c *searchCollector) grow(int) {}

func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// containsFoldASCII reports whether hay contains needle (already lower case), ignoring the
// case of hay's ASCII letters. Candidates for the first byte are found with IndexByte.
func containsFoldASCII(hay, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	lo := needle[0]
	up := lo
	if 'a' <= lo && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	for i := 0; i+len(needle) <= len(hay); {
		rest := hay[i : len(hay)-len(needle)+1]
		k := bytes.IndexByte(rest, lo)
		if up != lo {
			if ku := bytes.IndexByte(rest, up); ku >= 0 && (k < 0 || ku < k) {
				k = ku
			}
		}
		if k < 0 {
			return false
		}
		i += k
		j := 1
		for ; j < len(needle); j++ {
			if lowerASCII(hay[i+j]) != needle[j] {
				break
			}
		}
		if j == len(needle) {
			return true
		}
		i++
	}
	return false
}

// Sort keys: numbers first (by value), then text (ignoring case, by the first
// maxSortKeyBytes bytes), then empty cells, in both directions: descending reverses the
// order within numbers and within text, so markers like "[REDACTED]" and empty cells stay
// at the bottom. Ties keep file order.
const (
	kindNumber uint8 = iota
	kindText
	kindEmpty
)

const maxSortKeyBytes = 1024

// sortCollector keeps 9 bytes per row plus one arena holding the case-folded text cells,
// so sorting a column allocates no string per row.
type sortCollector struct {
	spec  sortSpec
	kinds []uint8
	vals  []uint64 // float64 bits, or arena start<<16 | length for text
	arena []byte
}

func (c *sortCollector) name() string {
	return "s:" + strconv.Itoa(c.spec.col) + ":" + strconv.FormatBool(c.spec.desc)
}

func (c *sortCollector) visit(_ int, f [][]byte) {
	var cell []byte
	if c.spec.col < len(f) {
		cell = bytes.TrimSpace(f[c.spec.col])
	}
	if len(cell) == 0 {
		c.kinds = append(c.kinds, kindEmpty)
		c.vals = append(c.vals, 0)
		return
	}
	if v, ok := parseNumber(cell); ok {
		c.kinds = append(c.kinds, kindNumber)
		c.vals = append(c.vals, math.Float64bits(v))
		return
	}
	start := len(c.arena)
	c.arena = appendFold(c.arena, cell)
	if len(c.arena)-start > maxSortKeyBytes {
		c.arena = c.arena[:start+maxSortKeyBytes]
	}
	c.kinds = append(c.kinds, kindText)
	c.vals = append(c.vals, uint64(start)<<16|uint64(len(c.arena)-start))
}

func (c *sortCollector) grow(n int) {
	c.kinds = slices.Grow(c.kinds, n-len(c.kinds))
	c.vals = slices.Grow(c.vals, n-len(c.vals))
}

// appendFold appends b in lower case.
func appendFold(dst, b []byte) []byte {
	if isASCII(b) {
		for _, ch := range b {
			dst = append(dst, lowerASCII(ch))
		}
		return dst
	}
	return append(dst, bytes.ToLower(b)...)
}

func (c *sortCollector) text(v uint64) []byte {
	start, n := v>>16, v&0xffff
	return c.arena[start : start+n]
}

// result sorts the row numbers: numbers by a stable radix sort of their ordered bits, then
// text by comparison with ties broken by row number, then empty cells in file order.
func (c *sortCollector) result() []int32 {
	nums := make([]radixItem, 0, len(c.kinds))
	var texts, empties []int32
	for i, k := range c.kinds {
		switch k {
		case kindNumber:
			v := math.Float64frombits(c.vals[i])
			if v == 0 {
				v = 0 // -0 sorts with 0
			}
			key := orderedBits(v)
			if c.spec.desc {
				key = ^key
			}
			nums = append(nums, radixItem{key: key, row: int32(i)})
		case kindText:
			texts = append(texts, int32(i))
		default:
			empties = append(empties, int32(i))
		}
	}
	nums = radixSort(nums)
	sign := 1
	if c.spec.desc {
		sign = -1
	}
	vals := c.vals
	slices.SortFunc(texts, func(a, b int32) int {
		if r := bytes.Compare(c.text(vals[a]), c.text(vals[b])); r != 0 {
			return sign * r
		}
		return cmp.Compare(a, b)
	})
	order := make([]int32, 0, len(c.kinds))
	for _, it := range nums {
		order = append(order, it.row)
	}
	order = append(order, texts...)
	order = append(order, empties...)
	c.kinds, c.vals, c.arena = nil, nil, nil
	return order
}

type radixItem struct {
	key uint64
	row int32
}

// orderedBits maps a float64 to a uint64 whose unsigned order is the numeric order.
func orderedBits(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSort sorts items by key, stably (LSD, one byte per pass; passes where every key has
// the same byte are skipped).
func radixSort(items []radixItem) []radixItem {
	if len(items) < 2 {
		return items
	}
	tmp := make([]radixItem, len(items))
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, it := range items {
			count[byte(it.key>>shift)]++
		}
		if count[byte(items[0].key>>shift)] == len(items) {
			continue
		}
		pos := 0
		for i, n := range count {
			count[i] = pos
			pos += n
		}
		for _, it := range items {
			d := byte(it.key >> shift)
			tmp[count[d]] = it
			count[d]++
		}
		items, tmp = tmp, items
	}
	return items
}

func header(f [][]byte) []string {
	cols := strs(f)
	if len(cols) > 0 {
		cols[0] = strings.TrimPrefix(cols[0], "\ufeff")
	}
	return cols
}

func strs(f [][]byte) []string {
	// One allocation for the whole record; the cells are substrings of it.
	n := 0
	for _, c := range f {
		n += len(c)
	}
	buf := make([]byte, 0, n)
	for _, c := range f {
		buf = append(buf, c...)
	}
	all := string(buf)
	out := make([]string, len(f))
	pos := 0
	for i, c := range f {
		out[i] = all[pos : pos+len(c)]
		pos += len(c)
	}
	return out
}

// csvError turns a scanner error into the API's error: malformed CSV is invalid, with the
// line number.
func csvError(err error) error {
	var pe *parseError
	if errors.As(err, &pe) {
		if pe.Line > 0 {
			return airlock.WrapError(airlock.CodeInvalid, err, "This is not a valid CSV file: line %d: %v", pe.Line, pe.Err)
		}
		return airlock.WrapError(airlock.CodeInvalid, err, "This is not a valid CSV file: %v", pe.Err)
	}
	return err
}
