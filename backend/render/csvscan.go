package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// scanner reads CSV records (RFC 4180, as encoding/csv reads them with a variable number of
// fields and strict quotes) straight from a buffer, without allocating per record. It knows
// the byte offset where every record starts, so a page can later be read by seeking there.
//
// Fields returned by next are valid until the following call.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // parse position in buf
	end  int   // end of valid data in buf
	base int64 // file offset of buf[0]
	eof  bool
	rerr error

	line      int  // 1-based line number of buf[pos] (only meaningful when lines are known)
	knowLines bool // false after a seek into the middle of a file

	fields  [][]byte
	scratch []byte
	ends    []int
}

const (
	seqBufSize    = 256 << 10 // sequential scans
	randomBufSize = 8 << 10   // reading one page after a seek
	// maxRecordBytes bounds one record (the buffer grows to hold a whole record): a file
	// without line ends, or with a quote never closed, is refused rather than read whole
	// into memory.
	maxRecordBytes = 16 << 20
)

// errBareQuote and errQuote mirror encoding/csv's messages.
var nl = []byte{'\n'}

var (
	errBareQuote = errors.New(`bare " in non-quoted field`)
	errQuote     = errors.New(`extraneous or missing " in quoted field`)
	errTooLong   = fmt.Errorf("a record is longer than %d MiB (no line end, or a quote never closed)", maxRecordBytes>>20)
)

// parseError is a malformed-CSV error with the line it was found on.
type parseError struct {
	Line int
	Err  error
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *parseError) Unwrap() error { return e.Err }

func newScanner(r io.Reader, bufSize int) *scanner {
	return &scanner{r: r, buf: make([]byte, bufSize), line: 1, knowLines: true}
}

// resetReader makes the scanner read r from its start (reusing its buffers).
func (s *scanner) resetReader(r io.Reader) {
	s.r = r
	s.pos, s.end, s.base, s.eof, s.rerr = 0, 0, 0, false, nil
	s.line, s.knowLines = 1, true
}

// resetAt positions the scanner at file offset off of a seekable source.
func (s *scanner) resetAt(rs io.Seeker, off int64) error {
	if _, err := rs.Seek(off, io.SeekStart); err != nil {
		return err
	}
	s.pos, s.end, s.base, s.eof, s.rerr = 0, 0, off, false, nil
	s.knowLines = off == 0
	s.line = 1
	return nil
}

// fill reads more data, keeping buf[pos:end]; it grows the buffer when it is full, up to
// maxRecordBytes (then it fails with errTooLong in rerr). It returns false when no more data
// can be read; rerr then says whether that is an error rather than the end of the file.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end = n
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxRecordBytes {
			line := s.line
			if !s.knowLines {
				line = 0
			}
			s.eof, s.rerr = true, &parseError{Line: line, Err: errTooLong}
			return false
		}
		nb := make([]byte, min(2*len(s.buf), maxRecordBytes))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// offset is the file offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// skipEmptyLines moves past empty lines ("\n" or "\r\n", and a lone "\r" at EOF), like
// encoding/csv, to the first byte of the next record. At the end it returns the read error,
// or io.EOF.
func (s *scanner) skipEmptyLines() error {
	for {
		if s.pos >= s.end && !s.fill() {
			if s.rerr != nil {
				return s.rerr
			}
			return io.EOF
		}
		switch s.buf[s.pos] {
		case '\n':
			s.pos++
			s.line++
			continue
		case '\r':
			c2, ok := s.peek(1)
			if ok && c2 == '\n' {
				s.pos += 2
				s.line++
				continue
			}
			if !ok { // a lone "\r" at EOF is dropped
				s.pos++
				continue
			}
		}
		return nil
	}
}

// next reads one record. It returns io.EOF at the end, or a *parseError.
// start is the file offset of the record's first byte.
func (s *scanner) next() (fields [][]byte, start int64, err error) {
	if err := s.skipEmptyLines(); err != nil {
		return nil, 0, err
	}
	start = s.offset()
	// Fast path: the line is complete in the buffer, and any quoted field closes on it
	// without escaped quotes; fields are then slices of the buffer, nothing is copied.
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if i < 0 && !s.eof {
			if s.fill() {
				continue
			}
		}
		if i < 0 && s.rerr != nil {
			return nil, 0, s.rerr
		}
		var lineEnd, nextPos int
		if i < 0 {
			lineEnd, nextPos = s.end, s.end
		} else {
			lineEnd, nextPos = s.pos+i, s.pos+i+1
		}
		line := s.buf[s.pos:lineEnd]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if !s.splitLine(line) {
			break
		}
		s.pos = nextPos
		if i >= 0 {
			s.line++
		}
		return s.fields, start, nil
	}
	return s.slowRecord(start)
}

// splitLine splits a line into s.fields when it needs no unescaping; false means the slow
// path must parse it (escaped quotes, a quoted field going on to the next line, or an error).
func (s *scanner) splitLine(line []byte) bool {
	s.fields = s.fields[:0]
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			k := bytes.IndexByte(line[i+1:], '"')
			if k < 0 {
				return false // the field goes on to the next line
			}
			end := i + 1 + k // the closing quote
			if end+1 < len(line) && line[end+1] != ',' {
				return false // an escaped quote, or text after the closing quote
			}
			s.fields = append(s.fields, line[i+1:end])
			if end+1 == len(line) {
				return true
			}
			i = end + 2
			continue
		}
		// Fields are short: a plain loop beats a call per separator.
		start := i
		for ; i < len(line); i++ {
			if c := line[i]; c == ',' {
				break
			} else if c == '"' {
				return false // a quote inside an unquoted field is an error
			}
		}
		s.fields = append(s.fields, line[start:i])
		if i == len(line) {
			return true
		}
		i++
	}
}

// peek returns the byte at pos+k, filling as needed; ok is false at EOF.
func (s *scanner) peek(k int) (byte, bool) {
	if s.pos+k < s.end {
		return s.buf[s.pos+k], true
	}
	return s.peekSlow(k)
}

func (s *scanner) peekSlow(k int) (byte, bool) {
	for s.pos+k >= s.end {
		if !s.fill() {
			return 0, false
		}
	}
	return s.buf[s.pos+k], true
}

// slowRecord parses a record containing quotes, byte by byte, unescaping into scratch.
func (s *scanner) slowRecord(start int64) ([][]byte, int64, error) {
	s.scratch = s.scratch[:0]
	s.ends = s.ends[:0]
	lastNL := false
	peek := s.peek
	fail := func(err error) ([][]byte, int64, error) {
		if s.rerr != nil { // the end came from a read error, not from the data
			return nil, 0, s.rerr
		}
		line := s.line
		if !s.knowLines {
			line = 0
		}
		// Resynchronise: skip to the end of the current line so a caller could go on.
		for {
			c, ok := peek(0)
			if !ok {
				break
			}
			s.pos++
			if c == '\n' {
				s.line++
				break
			}
		}
		return nil, 0, &parseError{Line: line, Err: err}
	}
	for {
		// Start of a field.
		c, ok := peek(0)
		if ok && c == '"' {
			s.pos++
			for {
				c, ok := peek(0)
				if !ok {
					if lastNL {
						s.line-- // encoding/csv reports the last line that had content
					}
					return fail(errQuote)
				}
				if c != '"' && c != '\r' {
					// A run without quotes or carriage returns is copied in one step.
					seg := s.buf[s.pos:s.end]
					k := 0
					for k < len(seg) && seg[k] != '"' && seg[k] != '\r' {
						k++
					}
					seg = seg[:k]
					s.line += bytes.Count(seg, nl)
					s.scratch = append(s.scratch, seg...)
					s.pos += k
					lastNL = seg[k-1] == '\n'
					continue
				}
				wasNL := lastNL
				lastNL = false
				switch c {
				case '"':
					c2, ok2 := peek(1)
					if ok2 && c2 == '"' {
						s.scratch = append(s.scratch, '"')
						s.pos += 2
						continue
					}
					s.pos++
					// End of the quoted field: ',' or end of line or EOF.
					if !ok2 {
						s.ends = append(s.ends, len(s.scratch))
						return s.finish(start)
					}
					recordEnds, ended := s.endField(c2)
					if !ended {
						return fail(errQuote)
					}
					if recordEnds {
						return s.finish(start)
					}
					goto nextField
				case '\r':
					c2, ok2 := peek(1)
					if ok2 && c2 == '\n' {
						s.scratch = append(s.scratch, '\n')
						s.pos += 2
						s.line++
						lastNL = true
						continue
					}
					if !ok2 { // dropped before EOF, then the quote is missing
						s.pos++
						lastNL = wasNL
						continue
					}
					s.scratch = append(s.scratch, '\r')
					s.pos++
				case '\n':
					s.scratch = append(s.scratch, '\n')
					s.pos++
					s.line++
					lastNL = true
				default:
					s.scratch = append(s.scratch, c)
					s.pos++
				}
			}
		}
		// Unquoted field: up to ',' or end of line.
		for {
			c, ok := peek(0)
			if !ok {
				s.ends = append(s.ends, len(s.scratch))
				return s.finish(start)
			}
			if c != ',' && c != '\n' && c != '\r' && c != '"' {
				seg := s.buf[s.pos:s.end]
				k := 0
				for k < len(seg) && seg[k] != ',' && seg[k] != '\n' && seg[k] != '\r' && seg[k] != '"' {
					k++
				}
				s.scratch = append(s.scratch, seg[:k]...)
				s.pos += k
				continue
			}
			switch c {
			case ',', '\n', '\r':
				recordEnds, ended := s.endField(c)
				if !ended { // a '\r' inside a line is data
					s.scratch = append(s.scratch, c)
					s.pos++
					continue
				}
				if recordEnds {
					return s.finish(start)
				}
				goto nextField
			case '"':
				return fail(errBareQuote)
			default:
				s.scratch = append(s.scratch, c)
				s.pos++
			}
		}
	nextField:
	}
}

// endField ends the field in scratch at the separator c, the byte at pos: ',' (another field
// follows) or a line end ('\n', "\r\n", or '\r' as the last byte; recordEnds is set). It moves
// past the separator and records the field's end. Any other byte, or a '\r' that is followed
// by something but '\n', does not end a field: ended is false and nothing is consumed.
func (s *scanner) endField(c byte) (recordEnds, ended bool) {
	switch c {
	case ',':
		s.pos++
		s.ends = append(s.ends, len(s.scratch))
		return false, true
	case '\n':
		s.pos++
		s.line++
	case '\r':
		c2, ok := s.peek(1)
		if ok && c2 != '\n' {
			return false, false
		}
		s.pos++
		if ok {
			s.pos++
			s.line++
		}
	default:
		return false, false
	}
	s.ends = append(s.ends, len(s.scratch))
	return true, true
}

func (s *scanner) finish(start int64) ([][]byte, int64, error) {
	s.fields = s.fields[:0]
	prev := 0
	for _, e := range s.ends {
		s.fields = append(s.fields, s.scratch[prev:e])
		prev = e
	}
	return s.fields, start, nil
}

// skip moves past one record without splitting it into fields, checking its quotes the
// same way next does. It is how the row index is built: it looks only at quotes and line
// ends, so it runs close to the speed of a line count. raw is the record's bytes as they
// are in the file, without the line end (valid until the next call). It returns io.EOF at
// the end.
func (s *scanner) skip() (raw []byte, start int64, err error) {
	if err := s.skipEmptyLines(); err != nil {
		return nil, 0, err
	}
	start = s.offset()
	// Fast path: a whole line without quotes is a record.
	for {
		nl := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if nl < 0 {
			if !s.eof && s.fill() {
				continue
			}
			if s.rerr != nil {
				return nil, 0, s.rerr
			}
			break
		}
		line := s.buf[s.pos : s.pos+nl]
		if bytes.IndexByte(line, '"') >= 0 {
			break
		}
		s.pos += nl + 1
		s.line++
		return line, start, nil
	}
	i := 0 // cursor relative to s.pos (fill keeps buf[pos:] in place relative to pos)
	for {
		if s.pos+i >= s.end && !s.fill() {
			if s.rerr != nil {
				return nil, 0, s.rerr
			}
			raw = s.buf[s.pos:s.end]
			s.pos = s.end
			return raw, start, nil // last record without a line end
		}
		// Outside quotes only a quote or the line end matter: a quote must open a field.
		seg := s.buf[s.pos+i : s.end]
		n := bytes.IndexByte(seg, '\n')
		var q int
		if n >= 0 {
			q = bytes.IndexByte(seg[:n], '"') // only this line matters
		} else {
			q = bytes.IndexByte(seg, '"')
		}
		if n >= 0 && q < 0 {
			i += n
			raw = s.buf[s.pos : s.pos+i]
			s.pos += i + 1
			s.line++
			return raw, start, nil
		}
		if q < 0 {
			i += len(seg)
			continue
		}
		i += q
		{
			if i != 0 && s.buf[s.pos+i-1] != ',' {
				return nil, 0, s.skipFail(errBareQuote, false)
			}
			i++
			// Inside quotes: find the closing quote.
			for {
				if s.pos+i >= s.end && !s.fill() {
					return nil, 0, s.skipFail(errQuote, true)
				}
				seg := s.buf[s.pos+i : s.end]
				k := bytes.IndexByte(seg, '"')
				if k < 0 {
					s.line += bytes.Count(seg, nl)
					i += len(seg)
					continue
				}
				s.line += bytes.Count(seg[:k], nl)
				i += k + 1
				c, ok := s.peekRel(i)
				if ok && c == '"' {
					i++
					continue // escaped quote
				}
				if !ok || c == ',' || c == '\n' {
					break
				}
				if c == '\r' {
					c2, ok2 := s.peekRel(i + 1)
					if !ok2 || c2 == '\n' {
						break
					}
				}
				return nil, 0, s.skipFail(errQuote, false)
			}
		}
	}
}

// peekRel is peek for a cursor relative to pos.
func (s *scanner) peekRel(i int) (byte, bool) { return s.peek(i) }

// skipFail reports a quote error at the current line and resynchronises after it.
func (s *scanner) skipFail(err error, atEOF bool) error {
	if s.rerr != nil { // the end came from a read error, not from the data
		s.pos = s.end
		return s.rerr
	}
	line := s.line
	tail := s.buf[:s.end]
	if n := len(tail); n > 0 && tail[n-1] == '\r' {
		tail = tail[:n-1] // a final "\r" is dropped
	}
	if atEOF && len(tail) > 0 && tail[len(tail)-1] == '\n' {
		line-- // encoding/csv reports the last line that had content
	}
	if !s.knowLines {
		line = 0
	}
	s.pos = s.end
	return &parseError{Line: line, Err: err}
}
