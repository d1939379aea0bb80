package render

import (
	"context"
	"errors"
	"io"

	"github.com/trelab/airlock/backend/airlock"
)

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
