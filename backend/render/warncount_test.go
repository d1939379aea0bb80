package render

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

type nopReadSeekCloser struct{ io.ReadSeeker }

func (nopReadSeekCloser) Close() error { return nil }

func src(s string) io.ReadSeekCloser { return nopReadSeekCloser{strings.NewReader(s)} }

// smallCounts has two counts under the threshold: the small-count check's BLOCK.
const smallCounts = "band,count\na,3\nb,7\nc,410\nd,455\n"

func TestWarningCounter_CountsBySeverityAndCaches(t *testing.T) {
	c := NewWarningCounter(WarningCounterConfig{})
	defer c.Close()
	ctx := context.Background()

	sum, err := Summarize(ctx, strings.NewReader(smallCounts), DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	want := CountWarnings(sum.Warnings)
	if want.Block == 0 {
		t.Fatalf("the planted small counts carry no BLOCK warning: %+v", sum.Warnings)
	}
	got, err := c.Count(ctx, "k1", "out/t.csv", src(smallCounts))
	if err != nil || got != want {
		t.Fatalf("Count = %+v, %v; want %+v", got, err, want)
	}
	if w, ok := c.Cached("k1"); !ok || w != want {
		t.Fatalf("Cached = %+v, %v", w, ok)
	}
	// Cached by key: the same key answers the cached count whatever src holds.
	if got, _ := c.Count(ctx, "k1", "out/t.csv", src("x\n1000\n")); got != want {
		t.Fatalf("second Count = %+v, want the cached %+v", got, want)
	}

	// A file without checks has none; a malformed CSV has none (its view says why).
	if got, err := c.Count(ctx, "k2", "out/t.png", src(smallCounts)); err != nil || got != (airlock.WarningCounts{}) {
		t.Fatalf("png: %+v, %v", got, err)
	}
	if got, err := c.Count(ctx, "k3", "out/bad.csv", src("a,b\n\"never closed\n")); err != nil || got != (airlock.WarningCounts{}) {
		t.Fatalf("malformed: %+v, %v", got, err)
	}
	if !c.Applies("x/Y.CSV") || c.Applies("x/y.txt") {
		t.Fatal("Applies: CSV files only, any case")
	}
}

func TestWarningCounter_CountLater(t *testing.T) {
	c := NewWarningCounter(WarningCounterConfig{})
	defer c.Close()
	p := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(p, []byte(smallCounts), 0o600); err != nil {
		t.Fatal(err)
	}
	var opens atomic.Int32
	open := func() (io.ReadSeekCloser, error) { opens.Add(1); return os.Open(p) }
	done := make(chan struct{}, 2)
	require.True(t, c.CountLater("k", "t.csv", open, func(ok bool) { assert.True(t, ok); done <- struct{}{} }))
	<-done
	w, ok := c.Cached("k")
	if !ok || w.Block == 0 {
		t.Fatalf("after CountLater: %+v, %v", w, ok)
	}
	// Cached: no second job, no second open.
	assert.False(t, c.CountLater("k", "t.csv", open, func(bool) { t.Error("done called for a job never started") }))
	if n := opens.Load(); n != 1 {
		t.Fatalf("opened %d times, want 1", n)
	}
	// A failing open caches nothing and says so.
	failed := make(chan bool, 1)
	require.True(t, c.CountLater("k-missing", "t.csv", func() (io.ReadSeekCloser, error) { return os.Open(p + ".none") }, func(ok bool) { failed <- ok }))
	assert.False(t, <-failed, "done reports the failed count")
	c.Close()
	if _, ok := c.Cached("k-missing"); ok {
		t.Fatal("a failed count was cached")
	}
}

func TestWarningCounter_BoundedCache(t *testing.T) {
	c := NewWarningCounter(WarningCounterConfig{Cached: 2})
	defer c.Close()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := c.Count(context.Background(), k, "t.csv", src(smallCounts)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.Cached("a"); ok {
		t.Fatal("oldest count kept past the bound")
	}
	if _, ok := c.Cached("c"); !ok {
		t.Fatal("newest count dropped")
	}
}
