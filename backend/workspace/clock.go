package workspace

import "time"

// Clock is where the watcher's time comes from: the real clock in production; tests give
// a manual one and advance it instead of waiting.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that is not running.
	NewTimer() Timer
}

// Timer sends the time on C when it fires.
type Timer interface {
	C() <-chan time.Time
	// Reset makes the timer fire once, d from now, replacing any earlier setting (a value
	// of the earlier setting not yet received may still arrive on the manual clock).
	Reset(d time.Duration)
	Stop()
}

// RealClock is the system clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer returns a stopped time.Timer.
func (RealClock) NewTimer() Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return realTimer{t}
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r realTimer) Stop()                 { r.t.Stop() }
