package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestULIDs(t *testing.T) {
	var g ulids
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := g.next(at)
	b := g.next(at)
	c := g.next(at.Add(-time.Second))
	d := g.next(at.Add(time.Millisecond))
	assert.Len(t, a, 26)
	assert.Less(t, a, b, "same millisecond: still increasing")
	assert.Less(t, b, c, "clock going back: still increasing")
	assert.Less(t, c, d)
	assert.Equal(t, a[:10], b[:10], "the time part is shared")
	assert.NotEqual(t, a[:10], d[:10])
	assert.Equal(t, "00000000000000000000000000", encodeULID([16]byte{}))
	assert.Equal(t, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", encodeULID([16]byte{255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255}))
}
