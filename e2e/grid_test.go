package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The grid test's table: 640 rows (more than three of the grid's 200-row pages) of
// area,age_band,sex,count,population. Every count is a multiple of 5 from 10 up except four
// planted small counts; area A<nnn> is the row's 0-based number in the file, so every row on
// screen says which row of the file it is.
const (
	gridWS       = "e2e-grid"
	gridPath     = "output/planted_counts.csv"
	gridRowCount = 640
)

// gridPlanted: file data row -> its small count. Rows 215 and 631 are "80+" and "F".
var gridPlanted = map[int]string{3: "2", 215: "6", 430: "4", 631: "1"}

var gridBands = []string{"18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "75-79", "80+"}

func fileGridRow(r int) []string {
	count := strconv.Itoa(10 + 5*((r*17)%300))
	if c, ok := gridPlanted[r]; ok {
		count = c
	}
	sex := "F"
	if (r/8)%2 == 1 {
		sex = "M"
	}
	return []string{fmt.Sprintf("A%03d", r), gridBands[r%8], sex, count, strconv.Itoa(5000 + 5*r)}
}

func writeGridFiles(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("area,age_band,sex,count,population\n")
	for r := range gridRowCount {
		b.WriteString(strings.Join(fileGridRow(r), ",") + "\n")
	}
	return os.WriteFile(filepath.Join(dir, filepath.FromSlash(gridPath)), []byte(b.String()), 0o644)
}

// gridState is what the grid shows: the column headers and the rows drawn.
type gridState struct {
	Heads []string  `json:"heads"`
	Count string    `json:"count"`
	Rows  []gridRow `json:"rows"`
}

type gridRow struct {
	Num     string     `json:"num"`
	Loading bool       `json:"loading"`
	Cells   []gridCell `json:"cells"`
}

type gridCell struct {
	Value   string `json:"value"`
	Flagged bool   `json:"flagged"` // highlighted (the flag style)
	Mark    bool   `json:"mark"`    // carries the ⚑ mark
}

// readGrid reads the grid as a person sees it: the row number, each cell's text (without the
// mark and the screen-reader prefix) and whether it is highlighted.
const readGrid = `(() => {
	const grid = document.querySelector('[data-testid=csv-grid]');
	if (!grid) return { heads: [], count: '', rows: [] };
	const heads = Array.from(grid.querySelectorAll('.head [role=columnheader]')).slice(1)
		.map(h => h.querySelector('button').textContent.replace(/[▲▼]/g, '').trim());
	const text = (c) => { const k = c.cloneNode(true); k.querySelectorAll('.mark, .sr-only').forEach(e => e.remove()); return k.textContent.trim(); };
	const rows = Array.from(grid.querySelectorAll('[data-testid=csv-row]')).map(r => ({
		num: r.querySelector('[role=rowheader]').textContent.trim(),
		loading: !!r.querySelector('.loading'),
		cells: Array.from(r.querySelectorAll('[role=gridcell]:not(.loading)')).map(c => ({
			value: text(c), flagged: c.classList.contains('flag'), mark: !!c.querySelector('.mark') })),
	}));
	return { heads, count: document.querySelector('[data-testid=csv-count]').textContent.trim(), rows };
})()`

// problems checks the rule the grid must keep in every state: each row's number is its
// row in the file (its area code plus one), and exactly the planted cells of the count
// column are highlighted, with their planted values. It returns the highlighted cells as
// "number/column=value", top to bottom.
func (st gridState) problems() (flagged []string, problems []string) {
	col := map[string]int{}
	for i, h := range st.Heads {
		col[h] = i
	}
	areaCol, hasArea := col["area"]
	countCol, hasCount := col["count"]
	for _, r := range st.Rows {
		if r.Loading {
			continue
		}
		if len(r.Cells) != len(st.Heads) {
			problems = append(problems, fmt.Sprintf("row %q has %d cells for %d columns", r.Num, len(r.Cells), len(st.Heads)))
			continue
		}
		fileRow := -1
		if hasArea {
			n, err := strconv.Atoi(strings.TrimPrefix(r.Cells[areaCol].Value, "A"))
			if err != nil {
				problems = append(problems, fmt.Sprintf("row %q: area %q", r.Num, r.Cells[areaCol].Value))
				continue
			}
			fileRow = n
			if r.Num != strconv.Itoa(n+1) {
				problems = append(problems, fmt.Sprintf("the row of %s (file row %d) is numbered %q", r.Cells[areaCol].Value, n+1, r.Num))
			}
			if want := fileGridRow(n); hasCount && r.Cells[countCol].Value != want[3] {
				problems = append(problems, fmt.Sprintf("row %s shows count %q, the file holds %q", r.Num, r.Cells[countCol].Value, want[3]))
			}
		}
		for i, c := range r.Cells {
			if c.Flagged != c.Mark {
				problems = append(problems, fmt.Sprintf("row %s, %s: highlighted %v but marked %v", r.Num, st.Heads[i], c.Flagged, c.Mark))
			}
			planted, isPlanted := gridPlanted[fileRow]
			want := hasArea && isPlanted && i == countCol && hasCount
			if c.Flagged {
				flagged = append(flagged, fmt.Sprintf("%s/%s=%s", r.Num, st.Heads[i], c.Value))
			}
			switch {
			case c.Flagged && !want:
				problems = append(problems, fmt.Sprintf("row %s, %s=%q is highlighted but holds no planted small count", r.Num, st.Heads[i], c.Value))
			case want && !c.Flagged:
				problems = append(problems, fmt.Sprintf("row %s, %s=%q (a planted small count) is not highlighted", r.Num, st.Heads[i], c.Value))
			case want && c.Value != planted:
				problems = append(problems, fmt.Sprintf("row %s: the highlighted count is %q, the planted one %q", r.Num, c.Value, planted))
			}
		}
	}
	return flagged, problems
}

// firstNums is the row numbers of the first n rows drawn.
func (st gridState) firstNums(n int) []string {
	var out []string
	for _, r := range st.Rows[:min(n, len(st.Rows))] {
		out = append(out, r.Num)
	}
	return out
}

// waitGrid waits until the grid has no row loading, keeps the rule above, and want (the
// step's own expectation) has nothing to say; it fails the test with the last state.
func waitGrid(u *user, step string, want func(st gridState, flagged []string) string) gridState {
	u.t.Helper()
	var st gridState
	var why string
	u.do(step, chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			st = gridState{}
			if err := chromedp.Evaluate(readGrid, &st).Do(ctx); err != nil {
				return err
			}
			flagged, problems := st.problems()
			loading := slices.ContainsFunc(st.Rows, func(r gridRow) bool { return r.Loading })
			switch {
			case len(st.Rows) == 0 || loading || strings.HasPrefix(st.Count, "Loading"):
				why = "rows still loading"
			case len(problems) > 0:
				why = strings.Join(problems, "; ")
			default:
				why = want(st, flagged)
			}
			if why == "" {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s (highlighted %v, first rows %v, count %q): %w", why, flagged, st.firstNums(5), st.Count, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	return st
}

// expectFlagged is a step's expectation: the count says count, the first rows drawn are
// numbered first, and the highlighted cells are exactly flagged, in this order.
func expectFlagged(count string, first []string, flagged ...string) func(gridState, []string) string {
	return func(st gridState, got []string) string {
		if !strings.Contains(st.Count, count) {
			return fmt.Sprintf("the count says %q, want %q", st.Count, count)
		}
		if len(first) > 0 && !slices.Equal(st.firstNums(len(first)), first) {
			return fmt.Sprintf("the first rows are numbered %v, want %v", st.firstNums(len(first)), first)
		}
		if !slices.Equal(got, flagged) {
			return fmt.Sprintf("highlighted %v, want %v", got, flagged)
		}
		return ""
	}
}

// scrollGridTo scrolls the grid so that position (0-based, in the current order) is at the top.
func scrollGridTo(position int) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector('[data-testid=csv-grid] [role=grid]');
		const h = s.querySelector('[data-testid=csv-row]').getBoundingClientRect().height;
		s.scrollTop = %d * h; s.dispatchEvent(new Event('scroll')); })()`, position), nil)
}

// search types text into the table's search box (an empty text clears it).
func searchGrid(text string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const i = document.querySelector('[data-testid=csv-search]');
		i.value = %q; i.dispatchEvent(new Event('input', { bubbles: true })); })()`, text), nil)
}

// The CSV grid's row numbers and small-count highlights belong to rows of the file: after a
// sort, a search, paging and hiding columns, the highlighted cells are the planted small
// counts (by value) and each row is numbered with its row in the file.
func TestCSVGridMarksFollowTheFileRow(t *testing.T) {
	need(t)
	u := newUser(t, "grid")
	u.login(env.researcher())
	u.open(hashWorkspace(gridWS, gridPath))

	// file order: the first screen holds file row 3 (count 2), numbered 4
	waitGrid(u, "file order", expectFlagged("Showing all 640 rows", []string{"1", "2", "3", "4", "5"}, "4/count=2"))
	u.do("summary", waitText(`[data-testid=summary-stats]`, "warning"))

	// sort by count, ascending: the four small counts come first, keeping their numbers
	u.do("sort by count", click(`[title="Sort by count"]`))
	// (then the smallest other count, 10, on file rows 0, 300 and 600, in file order)
	waitGrid(u, "sorted ascending", expectFlagged("Showing all 640 rows", []string{"632", "4", "431", "216", "1", "301", "601"},
		"632/count=1", "4/count=2", "431/count=4", "216/count=6"))

	// descending: no small count on the first screen; the last page (rows 600-639 of the
	// order, the grid's fourth page) ends with them
	u.do("sort descending", click(`[title="Sort by count"]`))
	waitGrid(u, "sorted descending, top", func(st gridState, got []string) string {
		if len(got) != 0 {
			return fmt.Sprintf("highlighted %v on the first screen of a descending sort, want none", got)
		}
		if st.Rows[0].Cells[3].Value != "1505" {
			return fmt.Sprintf("the first count is %q, want the largest, 1505", st.Rows[0].Cells[3].Value)
		}
		return ""
	})
	u.do("scroll to the end", scrollGridTo(gridRowCount))
	waitGrid(u, "sorted descending, end", func(st gridState, got []string) string {
		last := st.Rows[len(st.Rows)-1]
		if last.Num != "632" {
			return fmt.Sprintf("the last row is numbered %q, want 632 (count 1)", last.Num)
		}
		return expectFlagged("Showing all 640 rows", nil, "216/count=6", "431/count=4", "4/count=2", "632/count=1")(st, got)
	})

	// search "80+ F" (the sort stays): 40 rows, two of them planted, at the end
	matches := func(st gridState) string {
		for _, r := range st.Rows {
			if r.Cells[1].Value != "80+" || r.Cells[2].Value != "F" {
				return fmt.Sprintf("row %s (%s %s) does not match the search", r.Num, r.Cells[1].Value, r.Cells[2].Value)
			}
		}
		return ""
	}
	u.do("search", searchGrid("80+ F"))
	waitGrid(u, "searched, sorted descending, top", func(st gridState, got []string) string {
		if m := matches(st); m != "" {
			return m
		}
		return expectFlagged("Showing 40 rows (out of 640)", nil)(st, got)
	})
	u.do("scroll to the end of the search", scrollGridTo(40))
	waitGrid(u, "searched, sorted descending, end", func(st gridState, got []string) string {
		if m := matches(st); m != "" {
			return m
		}
		if last := st.Rows[len(st.Rows)-1]; last.Num != "632" {
			return fmt.Sprintf("the last match is numbered %q, want 632 (count 1)", last.Num)
		}
		return expectFlagged("Showing 40 rows (out of 640)", nil, "216/count=6", "632/count=1")(st, got)
	})
	// the search in file order: rows 7, 23, 39, ... numbered 8, 24, 40, ...; 215 and 631
	// (numbered 216 and 632) are the 14th and the 40th
	u.do("file order", click(`[title="File order"]`), scrollGridTo(0))
	waitGrid(u, "searched, file order", expectFlagged("Showing 40 rows (out of 640)", []string{"8", "24", "40"}, "216/count=6"))
	u.do("scroll to the end of the search in file order", scrollGridTo(40))
	waitGrid(u, "searched, file order, end", func(st gridState, got []string) string {
		if last := st.Rows[len(st.Rows)-1]; last.Num != "632" {
			return fmt.Sprintf("the last match is numbered %q, want 632", last.Num)
		}
		if !slices.Contains(got, "632/count=1") {
			return fmt.Sprintf("highlighted %v, want 632/count=1 among them", got)
		}
		return ""
	})

	// no search, file order, paging: row 430 is on the third page (rows 400-599)
	u.do("clear the search", searchGrid(""))
	waitGrid(u, "cleared", expectFlagged("Showing all 640 rows", []string{"1", "2", "3"}, "4/count=2"))
	u.do("scroll to row 431", scrollGridTo(425))
	waitGrid(u, "third page", func(st gridState, got []string) string {
		if !slices.Contains(st.firstNums(len(st.Rows)), "431") {
			return fmt.Sprintf("row 431 is not drawn (rows %v…)", st.firstNums(3))
		}
		return expectFlagged("Showing all 640 rows", nil, "431/count=4")(st, got)
	})

	// hidden columns: the highlight stays on the count column (now the third shown), never
	// on the column that moves into its place
	u.do("hide age_band and sex", click(`[aria-label="Hide column age_band"]`), click(`[aria-label="Hide column sex"]`))
	waitGrid(u, "columns hidden", func(st gridState, got []string) string {
		if !slices.Equal(st.Heads, []string{"area", "count", "population"}) {
			return fmt.Sprintf("columns %v, want area, count, population", st.Heads)
		}
		return expectFlagged("Showing all 640 rows", nil, "431/count=4")(st, got)
	})
	u.do("sort by count with columns hidden", scrollGridTo(0), click(`[title="Sort by count"]`))
	waitGrid(u, "columns hidden, sorted", expectFlagged("Showing all 640 rows", []string{"632", "4", "431", "216", "1"},
		"632/count=1", "4/count=2", "431/count=4", "216/count=6"))
}
