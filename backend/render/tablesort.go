package render

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strconv"
)

// sortSpec names a sort: the column and the direction.
type sortSpec struct {
	col  int
	desc bool
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
