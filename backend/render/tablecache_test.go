package render

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTables_LargeFileFirstPageReadsOnlyTheStart(t *testing.T) {
	content := genCSV(20000, 3)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{SyncIndexBelow: 1000})
	defer tables.Close()

	fx.read.Store(0)
	src := fx.open(t)
	tbl, err := tables.Table(context.Background(), "big", src, TableQuery{Limit: 50, Sort: -1})
	require.NoError(t, err)
	assert.Len(t, tbl.Rows, 50)
	assert.False(t, tbl.TotalRowsExact, "not indexed yet")
	assert.Equal(t, 51, tbl.TotalRows, "rows seen, and one more because the file goes on")

	// The background indexer owns the file until it is done, then closes it.
	require.Eventually(t, func() bool { return tables.Indexed("big") && fx.closed.Load() }, timeoutIndex, tick)

	// Once indexed, a page deep in the file reads only what it shows.
	fx.read.Store(0)
	tbl = query(t, tables, fx, "big", "offset=15000&limit=100")
	assert.True(t, tbl.TotalRowsExact)
	assert.Equal(t, 20000, tbl.TotalRows)
	assert.Equal(t, 15000, tbl.RowIndexes[0])
	assert.Less(t, fx.read.Load(), fx.size(t)/10, "a page after indexing does not scan the file")
	recs, _ := readAllStd(content)
	assert.Equal(t, recs[15001:15101], tbl.Rows)

	// A first page of an indexed file is exact.
	tbl = query(t, tables, fx, "big", "")
	assert.True(t, tbl.TotalRowsExact)
	assert.Equal(t, 20000, tbl.TotalRows)
}

func TestTables_FirstPageOfLargeFileDoesNotScan(t *testing.T) {
	content := genCSV(50000, 4)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{SyncIndexBelow: 1000, Background: 1})
	tables.Close() // no background indexing: measure the first page alone
	fx.read.Store(0)
	tbl, err := tables.Table(context.Background(), "big", fx.open(t), TableQuery{Limit: 100, Sort: -1})
	require.NoError(t, err)
	assert.Len(t, tbl.Rows, 100)
	assert.Less(t, fx.read.Load(), fx.size(t)/20)
	assert.True(t, fx.closed.Load())
}

func TestTables_MemoryBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	fx := writeCSV(t, genCSV(2000, 5))
	tables := NewTables(TablesConfig{MemoryBudget: 2000*8 + 1000})
	defer tables.Close()
	query(t, tables, fx, "a", "")
	require.True(t, tables.Indexed("a"))
	query(t, tables, fx, "b", "")
	assert.True(t, tables.Indexed("b"))
	assert.False(t, tables.Indexed("a"), "the older index was dropped to stay within budget")
}

func TestTables_ConcurrentRequestsShareOneIndex(t *testing.T) {
	content := genCSV(5000, 9)
	fx := writeCSV(t, content)
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	want := referenceOrder(t, content, 2, false, "")[:20]
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			f, err := os.Open(fx.path)
			if err != nil {
				errs <- err
				return
			}
			tbl, err := tables.Table(context.Background(), "c", f, TableQuery{Limit: 20, Sort: 2})
			if err == nil && !slices.Equal(tbl.RowIndexes, want) {
				err = fmt.Errorf("got %v", tbl.RowIndexes)
			}
			errs <- err
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
}

const (
	timeoutIndex = 10 * time.Second
	tick         = 5 * time.Millisecond
)
