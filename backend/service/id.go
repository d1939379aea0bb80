package service

import (
	"crypto/rand"
	"sync"
	"time"
)

// crockford is the ULID alphabet (Crockford's base32, no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulids generates ULIDs: 48 bits of milliseconds since the epoch followed by 80 random
// bits, so ids sort by creation time. Within one millisecond (or when the clock stands
// still or goes back) the random part of the previous id is incremented instead, so ids
// from one generator always increase.
type ulids struct {
	mu   sync.Mutex
	last [16]byte
}

func (g *ulids) next(t time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b [16]byte
	ms := uint64(max(t.UnixMilli(), 0))
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if string(b[:6]) <= string(g.last[:6]) && g.last != [16]byte{} {
		b = g.last
		for i := 15; i >= 6; i-- { // increment the random part
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	} else {
		_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	}
	g.last = b
	return encodeULID(b)
}

// encodeULID writes 128 bits as 26 base32 characters; the first carries the top 3 bits.
func encodeULID(b [16]byte) string {
	var out [26]byte
	var acc uint64
	bits := 2 // 130 bits of output: two zero bits at the top
	i := 0
	for _, c := range b {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[i] = crockford[(acc>>uint(bits))&31]
			i++
		}
	}
	return string(out[:])
}
