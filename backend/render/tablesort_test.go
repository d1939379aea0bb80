package render

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRadixSortOrdersFloatsStably(t *testing.T) {
	vals := []float64{3, -1, 0, 2.5, math.Copysign(0, -1), 1e300, -1e-300, 3, -7.25, 0}
	items := make([]radixItem, len(vals))
	for i, v := range vals {
		if v == 0 {
			v = 0
		}
		items[i] = radixItem{key: orderedBits(v), row: int32(i)}
	}
	got := radixSort(items)
	rows := make([]int32, len(got))
	for i, it := range got {
		rows[i] = it.row
	}
	assert.Equal(t, []int32{8, 1, 6, 2, 4, 9, 3, 0, 7, 5}, rows)
}
