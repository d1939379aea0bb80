package render

import (
	"container/list"
	"context"
	"errors"
	"io"
	"sync"
)

// TablesConfig tunes a Tables engine. Zero values take the defaults.
type TablesConfig struct {
	// MemoryBudget bounds the bytes held by cached row indexes, sort orders and search
	// results together (default 128 MiB). Least recently used files are dropped first.
	MemoryBudget int64
	// SyncIndexBelow: files smaller than this are indexed before answering even a first page
	// (default 4 MiB), so small tables always get exact counts in one request.
	SyncIndexBelow int64
	// Background is the number of background indexing jobs at once (default 2).
	Background int
	// Rules are the disclosure checks of summaries.
	Rules DisclosureRules
}

// Tables pages, sorts and searches CSV files. It caches, per content hash, an index of row
// offsets and the sort orders and search results computed over it; it never holds a file's
// content in memory. Safe for concurrent use. Close stops background indexing.
type Tables struct {
	cfg TablesConfig

	mu       sync.Mutex
	entries  map[string]*list.Element // key -> *tableIndex in lru
	lru      *list.List               // front = most recently used
	used     int64
	building map[string]*indexBuild

	summaries    map[string]Summary
	summaryOrder []string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
}

type indexBuild struct {
	done chan struct{}
	idx  *tableIndex
	err  error
}

// NewTables returns an engine; call Close when done.
func NewTables(cfg TablesConfig) *Tables {
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = 128 << 20
	}
	if cfg.SyncIndexBelow <= 0 {
		cfg.SyncIndexBelow = 4 << 20
	}
	if cfg.Background <= 0 {
		cfg.Background = 2
	}
	if cfg.Rules.compiled == nil {
		_ = cfg.Rules.Compile() // compiled once here; bad rules are reported by each Summary
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Tables{
		cfg: cfg, entries: map[string]*list.Element{}, lru: list.New(),
		building: map[string]*indexBuild{}, summaries: map[string]Summary{}, ctx: ctx, cancel: cancel,
		sem: make(chan struct{}, cfg.Background),
	}
}

// Close cancels background indexing and waits for it to stop.
func (t *Tables) Close() {
	t.cancel()
	t.wg.Wait()
}

// Indexed reports whether the row index of key is cached (for tests and metrics).
func (t *Tables) Indexed(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.entries[key]
	return ok
}

func (t *Tables) cached(key string) *tableIndex {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*tableIndex)
	}
	return nil
}

func (t *Tables) store(ix *tableIndex) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[ix.key]; ok {
		t.used -= el.Value.(*tableIndex).bytes()
		t.lru.Remove(el)
	}
	t.entries[ix.key] = t.lru.PushFront(ix)
	t.used += ix.bytes()
	t.evictLocked()
}

// grew accounts for derived data added to a cached index.
func (t *Tables) grew(ix *tableIndex, delta int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entries[ix.key]; ok {
		t.used += delta
		t.evictLocked()
	}
}

func (t *Tables) evictLocked() {
	for t.used > t.cfg.MemoryBudget && t.lru.Len() > 1 {
		el := t.lru.Back()
		ix := el.Value.(*tableIndex)
		t.lru.Remove(el)
		delete(t.entries, ix.key)
		ix.mu.Lock()
		t.used -= ix.bytes()
		ix.mu.Unlock()
	}
}

// maxCachedSummaries bounds the summary cache (a summary is small: per column, not per row).
const maxCachedSummaries = 256

// Summary returns the summary of a CSV file, cached by key (its content hash). Like Table,
// it takes ownership of src and closes it.
func (t *Tables) Summary(ctx context.Context, key string, src io.ReadSeekCloser) (Summary, error) {
	defer func() { _ = src.Close() }()
	t.mu.Lock()
	s, ok := t.summaries[key]
	t.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := Summarize(ctx, src, t.cfg.Rules)
	if err != nil {
		return Summary{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.summaries[key]; !ok {
		t.summaries[key] = s
		t.summaryOrder = append(t.summaryOrder, key)
		if len(t.summaryOrder) > maxCachedSummaries {
			delete(t.summaries, t.summaryOrder[0])
			t.summaryOrder = t.summaryOrder[1:]
		}
	}
	return s, nil
}

// startBackground indexes key from src in a goroutine that then closes src. It returns
// false (and leaves src to the caller) when a build is already running or no slot is free.
func (t *Tables) startBackground(key string, src io.ReadSeekCloser) bool {
	t.mu.Lock()
	if _, busy := t.building[key]; busy || t.ctx.Err() != nil {
		t.mu.Unlock()
		return false
	}
	select {
	case t.sem <- struct{}{}:
	default:
		t.mu.Unlock()
		return false
	}
	b := &indexBuild{done: make(chan struct{})}
	t.building[key] = b
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer func() { <-t.sem }()
		defer func() { _ = src.Close() }()
		t.runBuild(t.ctx, key, src, b, nil)
	}()
	return true
}

// index returns the cached index of key, building it from src (or waiting for a build of
// the same content already under way).
func (t *Tables) index(ctx context.Context, key string, src io.ReadSeeker, cols []collector) (*tableIndex, error) {
	for {
		if ix := t.cached(key); ix != nil {
			return ix, nil
		}
		t.mu.Lock()
		if b, ok := t.building[key]; ok {
			t.mu.Unlock()
			select {
			case <-b.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if b.err != nil && !errors.Is(b.err, context.Canceled) {
				return nil, b.err
			}
			continue // built (or cancelled elsewhere): look again
		}
		b := &indexBuild{done: make(chan struct{})}
		t.building[key] = b
		t.mu.Unlock()
		t.runBuild(ctx, key, src, b, cols)
		return b.idx, b.err
	}
}

func (t *Tables) runBuild(ctx context.Context, key string, src io.ReadSeeker, b *indexBuild, cols []collector) {
	b.idx, b.err = buildIndex(ctx, key, src, cols)
	if b.err == nil {
		for _, c := range cols {
			b.idx.add(c.name(), c.result())
		}
		t.store(b.idx)
	}
	t.mu.Lock()
	delete(t.building, key)
	t.mu.Unlock()
	close(b.done)
}
