package workspace

import (
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
)

func TestDebouncerSettlesQuietPaths(t *testing.T) {
	const quiet, ceiling = 50 * time.Millisecond, time.Second
	d := newDebouncer(quiet, ceiling)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := pathKey{"ws", "a.csv"}, pathKey{"ws", "b.csv"}

	assert.Equal(t, t0.Add(quiet), d.mark(a, fsnotify.Create, t0))
	assert.Equal(t, t0.Add(40*time.Millisecond+quiet), d.mark(a, fsnotify.Write, t0.Add(40*time.Millisecond)))
	d.mark(b, fsnotify.Write, t0.Add(10*time.Millisecond))
	assert.Equal(t, 2, d.unsettled("ws"))
	assert.Equal(t, t0.Add(60*time.Millisecond), d.next(), "b settles first")

	assert.Empty(t, d.due(t0.Add(59*time.Millisecond)))
	assert.Equal(t, []settled{{pathKey: b, ops: fsnotify.Write}}, d.due(t0.Add(60*time.Millisecond)))
	assert.Equal(t, 1, d.unsettled("ws"))
	assert.Empty(t, d.due(t0.Add(89*time.Millisecond)), "a was written again at 40 ms")
	assert.Equal(t, []settled{{pathKey: a, ops: fsnotify.Create | fsnotify.Write}}, d.due(t0.Add(90*time.Millisecond)))
	assert.Zero(t, d.unsettled("ws"))
	assert.Zero(t, d.len())
	assert.True(t, d.next().IsZero(), "nothing pending")
}

func TestDebouncerCeilingReportsBusyPaths(t *testing.T) {
	const quiet, ceiling = 50 * time.Millisecond, 300 * time.Millisecond
	d := newDebouncer(quiet, ceiling)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	k := pathKey{"ws", "growing.csv"}
	var at time.Time
	for ms := 0; ms < 300; ms += 20 { // never quiet for 50 ms
		at = d.mark(k, fsnotify.Write, t0.Add(time.Duration(ms)*time.Millisecond))
		assert.Empty(t, d.due(t0.Add(time.Duration(ms)*time.Millisecond)))
	}
	assert.Equal(t, t0.Add(ceiling), at, "the ceiling comes before the quiet time")
	assert.Equal(t, []settled{{pathKey: k, ops: fsnotify.Write, busy: true}}, d.due(t0.Add(ceiling)))
}

func TestDebouncerDueIsInPathOrderAcrossWorkspaces(t *testing.T) {
	d := newDebouncer(time.Millisecond, time.Second)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range []pathKey{{"b", "x"}, {"a", "z"}, {"a", ""}, {"b", "a"}} {
		d.mark(k, fsnotify.Create, t0)
	}
	assert.Equal(t, 2, d.unsettled("a"))
	assert.Equal(t, 2, d.unsettled("b"))
	var got []pathKey
	for _, s := range d.due(t0.Add(time.Millisecond)) {
		got = append(got, s.pathKey)
	}
	assert.Equal(t, []pathKey{{"a", ""}, {"a", "z"}, {"b", "a"}, {"b", "x"}}, got)
}
