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
)

// errBareQuote and errQuote mirror encoding/csv's messages.
var (
	errBareQuote = errors.New(`bare " in non-quoted field`)
	errQuote     = errors.New(`extraneous or missing " in quoted field`)
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

// fill reads more data, keeping buf[pos:end]; it grows the buffer when it is full.
// It returns false when no more data can be read.
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
		nb := make([]byte, 2*len(s.buf))
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

// next reads one record. It returns io.EOF at the end, or a *parseError.
// start is the file offset of the record's first byte.
func (s *scanner) next() (fields [][]byte, start int64, err error) {
	// Skip empty lines ("\n" or "\r\n"), like encoding/csv.
	for {
		if s.pos >= s.end && !s.fill() {
			if s.rerr != nil {
				return nil, 0, s.rerr
			}
			return nil, 0, io.EOF
		}
		c := s.buf[s.pos]
		if c == '\n' {
			s.pos++
			s.line++
			continue
		}
		if c == '\r' {
			if s.pos+1 >= s.end {
				s.fill()
			}
			if s.pos+1 < s.end && s.buf[s.pos+1] == '\n' {
				s.pos += 2
				s.line++
				continue
			}
			if s.pos+1 >= s.end { // a lone "\r" at EOF is dropped
				s.pos++
				continue
			}
		}
		break
	}
	start = s.offset()
	// Fast path: the line is complete in the buffer and has no quote.
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if i < 0 && !s.eof {
			if s.fill() {
				continue
			}
		}
		var lineEnd, nextPos int
		if i < 0 {
			lineEnd, nextPos = s.end, s.end
		} else {
			lineEnd, nextPos = s.pos+i, s.pos+i+1
		}
		line := s.buf[s.pos:lineEnd]
		if bytes.IndexByte(line, '"') >= 0 {
			break
		}
		if n := len(line); n > 0 && line[n-1] == '\r' && (i >= 0 || s.eof) {
			line = line[:n-1]
		}
		s.fields = s.fields[:0]
		for {
			j := bytes.IndexByte(line, ',')
			if j < 0 {
				s.fields = append(s.fields, line)
				break
			}
			s.fields = append(s.fields, line[:j])
			line = line[j+1:]
		}
		s.pos = nextPos
		if i >= 0 {
			s.line++
		}
		return s.fields, start, nil
	}
	return s.slowRecord(start)
}

// slowRecord parses a record containing quotes, byte by byte, unescaping into scratch.
func (s *scanner) slowRecord(start int64) ([][]byte, int64, error) {
	s.scratch = s.scratch[:0]
	s.ends = s.ends[:0]
	lastNL := false
	// peek returns the byte at pos+k, filling as needed; ok false at EOF.
	peek := func(k int) (byte, bool) {
		for s.pos+k >= s.end {
			if !s.fill() {
				return 0, false
			}
		}
		return s.buf[s.pos+k], true
	}
	fail := func(err error) ([][]byte, int64, error) {
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
					switch c2 {
					case ',':
						s.pos++
						s.ends = append(s.ends, len(s.scratch))
						goto nextField
					case '\n':
						s.pos++
						s.line++
						s.ends = append(s.ends, len(s.scratch))
						return s.finish(start)
					case '\r':
						c3, ok3 := peek(1)
						if !ok3 || c3 == '\n' {
							s.pos++
							if ok3 {
								s.pos++
								s.line++
							}
							s.ends = append(s.ends, len(s.scratch))
							return s.finish(start)
						}
						return fail(errQuote)
					default:
						return fail(errQuote)
					}
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
			switch c {
			case ',':
				s.pos++
				s.ends = append(s.ends, len(s.scratch))
				goto nextField
			case '\n':
				s.pos++
				s.line++
				s.ends = append(s.ends, len(s.scratch))
				return s.finish(start)
			case '\r':
				c2, ok2 := peek(1)
				if !ok2 || c2 == '\n' {
					s.pos++
					if ok2 {
						s.pos++
						s.line++
					}
					s.ends = append(s.ends, len(s.scratch))
					return s.finish(start)
				}
				s.scratch = append(s.scratch, c)
				s.pos++
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

func (s *scanner) finish(start int64) ([][]byte, int64, error) {
	s.fields = s.fields[:0]
	prev := 0
	for _, e := range s.ends {
		s.fields = append(s.fields, s.scratch[prev:e])
		prev = e
	}
	return s.fields, start, nil
}
