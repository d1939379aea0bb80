package render

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
)

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

const maxDerivedPerIndex = 8

func (ix *tableIndex) bytes() int64 {
	return int64(len(ix.offsets))*8 + ix.extra + 256
}

// buildIndex reads src once, recording where each data row starts. Without collectors it
// only looks at quotes and line ends; with them it parses every row and shows it to them.
func buildIndex(ctx context.Context, key string, src io.ReadSeeker, cols []collector) (*tableIndex, error) {
	ix := &tableIndex{key: key, columns: []string{}, derived: map[string][]int32{}}
	s, size, names, err := openCSV(src)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return ix, nil // an empty file
	}
	ix.columns = names
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
		var f [][]byte
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

// openCSV measures src, rewinds it and reads its header line, leaving the scanner at the
// first data row; no scanner (and no error) for an empty file. A header that is not CSV is
// a csvError.
func openCSV(src io.ReadSeeker) (s *scanner, size int64, cols []string, err error) {
	if size, err = src.Seek(0, io.SeekEnd); err != nil {
		return nil, 0, nil, err
	}
	if _, err = src.Seek(0, io.SeekStart); err != nil {
		return nil, 0, nil, err
	}
	s = newScanner(src, seqBufSize)
	f, _, err := s.next()
	if errors.Is(err, io.EOF) {
		return nil, size, nil, nil
	}
	if err != nil {
		return nil, 0, nil, csvError(err)
	}
	return s, size, header(f), nil
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
