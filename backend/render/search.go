package render

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf8"
)

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
