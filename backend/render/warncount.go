package render

import (
	"context"
	"io"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
)

// WarningCounter counts the disclosure-check warnings of files by severity, for the places
// that show how many warnings a file has without showing them (the workspace tree, the
// request overview, the review queue) and for the rule that approving a file with a BLOCK
// warning needs an acknowledgement.
//
// Counts are cached by content key (a content hash, or for workspace files not hashed yet
// their place, size and time, as the table caches name them). A count is a few integers,
// so thousands fit in a few hundred kilobytes. Counting in the background (CountLater) runs
// at most Background jobs at once, each deduplicated by key, so a directory listing never
// waits for a large file: it shows the count once it is ready.
type WarningCounter struct {
	cfg WarningCounterConfig

	mu      sync.Mutex
	counts  map[string]airlock.WarningCounts
	order   []string // keys of counts, oldest first
	running map[string]bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
}

// WarningCounterConfig tunes a WarningCounter; zero values take the defaults.
type WarningCounterConfig struct {
	// Rules are the disclosure checks (the same as the summaries'), through Summarize.
	Rules DisclosureRules
	// Background is the number of files counted at once in the background (default 1: the
	// machine's other work comes first).
	Background int
	// Cached bounds the number of cached counts (default 65536: a count is a few integers,
	// and a folder of many thousand CSV files must not evict its own counts on every listing).
	Cached int
}

// NewWarningCounter makes a counter; Close stops its background work.
func NewWarningCounter(cfg WarningCounterConfig) *WarningCounter {
	if cfg.Background <= 0 {
		cfg.Background = 1
	}
	if cfg.Cached <= 0 {
		cfg.Cached = 1 << 16
	}
	if cfg.Rules.compiled == nil {
		_ = cfg.Rules.Compile() // once here, not on every count; bad rules fail each count
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &WarningCounter{
		cfg: cfg, counts: map[string]airlock.WarningCounts{}, running: map[string]bool{},
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, cfg.Background),
	}
}

// Close cancels background counting and waits for it to stop.
func (c *WarningCounter) Close() {
	c.cancel()
	c.wg.Wait()
}

// Applies reports whether files at relpath have disclosure checks (CSV files).
func (c *WarningCounter) Applies(relpath string) bool { return IsCSV(relpath) }

// Cached returns the counts cached under key.
func (c *WarningCounter) Cached(key string) (airlock.WarningCounts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.counts[key]
	return w, ok
}

// Count counts the warnings of src (the content of relpath), caching them under key. It
// takes ownership of src and closes it. A file without checks has no warnings (src is not
// read). A CSV file the checks cannot read as a table (malformed) has none either: its
// table view says why it cannot be shown, and the checker sees that instead of a grid.
func (c *WarningCounter) Count(ctx context.Context, key, relpath string, src io.ReadSeekCloser) (airlock.WarningCounts, error) {
	defer func() { _ = src.Close() }()
	if w, ok := c.Cached(key); ok {
		return w, nil
	}
	if !c.Applies(relpath) {
		return airlock.WarningCounts{}, nil
	}
	sum, err := Summarize(ctx, src, c.cfg.Rules)
	if err != nil && airlock.ErrorCode(err) != airlock.CodeInvalid {
		return airlock.WarningCounts{}, err
	}
	var w airlock.WarningCounts
	if err == nil {
		w = CountWarnings(sum.Warnings)
	}
	c.store(key, w)
	return w, nil
}

// CountLater counts relpath's content in the background unless it is cached or already
// being counted, opening it with open. It reports whether it started a job; a started job
// calls done when it ends, with whether the count is cached now (false when it failed: the
// next listing tries again).
func (c *WarningCounter) CountLater(key, relpath string, open func() (io.ReadSeekCloser, error), done func(counted bool)) bool {
	c.mu.Lock()
	_, cached := c.counts[key]
	if cached || c.running[key] || c.ctx.Err() != nil {
		c.mu.Unlock()
		return false
	}
	c.running[key] = true
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		counted := false
		defer func() {
			c.mu.Lock()
			delete(c.running, key)
			c.mu.Unlock()
			if done != nil {
				done(counted)
			}
		}()
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		defer func() { <-c.sem }()
		src, err := open()
		if err != nil {
			return
		}
		if _, err := c.Count(c.ctx, key, relpath, src); err != nil {
			return
		}
		counted = true
	}()
	return true
}

func (c *WarningCounter) store(key string, w airlock.WarningCounts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.counts[key]; ok {
		return
	}
	c.counts[key] = w
	c.order = append(c.order, key)
	if len(c.order) > c.cfg.Cached {
		delete(c.counts, c.order[0])
		c.order = c.order[1:]
	}
}

// CountWarnings counts ws by severity (an unknown severity counts as WARN: never lower
// than a hint that something needs looking at).
func CountWarnings(ws []Warning) airlock.WarningCounts {
	var w airlock.WarningCounts
	for _, x := range ws {
		switch x.Severity {
		case SeverityInfo:
			w.Info++
		case SeverityBlock:
			w.Block++
		default:
			w.Warn++
		}
	}
	return w
}
