package render

import (
	"math"
	"strconv"
	"unsafe"
)

// bstr views b as a string without copying, for parsing calls that do not keep it.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// numberShape classifies b (already trimmed) as a plain decimal number: an optional sign,
// digits with at most one decimal point, and an optional exponent. Words like "inf", "nan",
// hex, underscores and thousands separators are not numbers.
func numberShape(b []byte) (ok, integer bool) {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false, false
	}
	if i == len(b) {
		return true, !dot
	}
	if b[i] != 'e' && b[i] != 'E' {
		return false, false
	}
	i++
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	expDigits := 0
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		expDigits++
	}
	if expDigits == 0 || i != len(b) {
		return false, false
	}
	return true, false
}

// parseNumber parses a trimmed cell as a finite number.
func parseNumber(b []byte) (float64, bool) {
	ok, _ := numberShape(b)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(bstr(b), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}
