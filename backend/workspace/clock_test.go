package workspace

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manualClock is a Clock that moves only when the test advances it.
type manualClock struct {
	t      testing.TB
	done   chan struct{} // closed when the test ends: late sends give up
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	c     *manualClock
	ch    chan time.Time
	at    time.Time
	armed bool
}

func newManualClock(t testing.TB) *manualClock {
	c := &manualClock{t: t, done: make(chan struct{}), now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
	t.Cleanup(func() { close(c.done) })
	return c
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer() Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &manualTimer{c: c, ch: make(chan time.Time)}
	c.timers = append(c.timers, tm)
	return tm
}

func (tm *manualTimer) C() <-chan time.Time { return tm.ch }

// Reset sets the timer; one already due (d <= 0) fires at once, on its own goroutine (the
// owner is the caller, busy resetting it).
func (tm *manualTimer) Reset(d time.Duration) {
	tm.c.mu.Lock()
	defer tm.c.mu.Unlock()
	tm.at, tm.armed = tm.c.now.Add(d), d > 0
	if d <= 0 {
		now := tm.c.now
		go func() {
			select {
			case tm.ch <- now:
			case <-tm.c.done:
			}
		}()
	}
}

func (tm *manualTimer) Stop() {
	tm.c.mu.Lock()
	defer tm.c.mu.Unlock()
	tm.armed = false
}

// Advance moves the clock on by d and fires, earliest first, every timer due by then. It
// returns once each fired timer's value has been received: the owner (the watcher's loop)
// has taken it, and whatever is asked of the loop next is answered after it.
func (c *manualClock) Advance(d time.Duration) {
	c.t.Helper()
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due []*manualTimer
	for _, tm := range c.timers {
		if tm.armed && !tm.at.After(now) {
			tm.armed = false
			due = append(due, tm)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b *manualTimer) int { return a.at.Compare(b.at) })
	for _, tm := range due {
		select {
		case tm.ch <- now:
		case <-time.After(waitFor):
			c.t.Fatalf("a timer that fired was not received within %v", waitFor)
		}
	}
}

func TestManualClockFiresDueTimersInOrder(t *testing.T) {
	c := newManualClock(t)
	a, b := c.NewTimer(), c.NewTimer()
	start := c.Now()
	a.Reset(30 * time.Millisecond)
	b.Reset(10 * time.Millisecond)
	got := make(chan string, 2)
	go func() {
		for range 2 {
			select {
			case <-a.C():
				got <- "a"
			case <-b.C():
				got <- "b"
			}
		}
	}()
	c.Advance(20 * time.Millisecond)
	assert.Equal(t, "b", <-got)
	c.Advance(20 * time.Millisecond)
	assert.Equal(t, "a", <-got)
	assert.Equal(t, start.Add(40*time.Millisecond), c.Now())

	// A stopped timer does not fire; one reset into the past fires at once.
	a.Reset(time.Millisecond)
	a.Stop()
	c.Advance(time.Second)
	b.Reset(0)
	require.Equal(t, start.Add(1040*time.Millisecond), <-b.C())
	select {
	case <-a.C():
		t.Fatal("a stopped timer fired")
	default:
	}
}

func TestRealClockTimerFires(t *testing.T) {
	c := RealClock{}
	tm := c.NewTimer()
	defer tm.Stop()
	before := c.Now()
	tm.Reset(time.Millisecond)
	select {
	case at := <-tm.C():
		assert.False(t, at.Before(before.Add(time.Millisecond)))
	case <-time.After(waitFor):
		t.Fatal("the timer did not fire")
	}
}
