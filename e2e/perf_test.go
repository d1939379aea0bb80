package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Time to first rows of the CSV viewer, measured in Chromium (logged, never asserted):
// from the navigation to the file until the first data cell is on screen.
func TestCSVTimeToFirstRows(t *testing.T) {
	need(t)
	u := newUser(t, "perf")
	u.login(env.researcher())
	u.open(hashWorkspace(bigWS, "output"))
	u.do("listing", waitVisible(`[data-testid=select-file]`))
	for _, f := range []struct{ name, path, firstColumn, firstCell string }{
		{"5,000 rows x 100 columns", "output/wide_5000x100.csv", "col00", "0"},
		{"1,000,000 rows x 4 columns", "output/long_1m.csv", "id", "1"},
	} {
		var ms float64
		js := fmt.Sprintf(`new Promise(resolve => {
			const t0 = performance.now();
			location.hash = %q;
			const tick = () => {
				const grid = document.querySelector('[role=grid][aria-label="Table ' + %q + '"]');
				const head = grid && grid.querySelector('[role=columnheader] + [role=columnheader]');
				const cell = grid && grid.querySelector('[data-testid=csv-row] [role=gridcell]:not(.loading)');
				if (head && head.textContent.trim().startsWith(%q) && cell && cell.textContent.trim() === %q) resolve(performance.now() - t0);
				else requestAnimationFrame(tick);
			};
			tick();
		})`, hashWorkspace(bigWS, f.path), f.path, f.firstColumn, f.firstCell)
		u.do("time "+f.name, chromedp.Evaluate(js, &ms, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		var count string
		countStart := time.Now()
		u.do("count", waitText(`[data-testid=csv-count]`, "Showing all"), chromedp.Evaluate(`document.querySelector('[data-testid=csv-count]').innerText`, &count))
		line := fmt.Sprintf("CSV time to first rows, %s: %.0f ms (%s; exact count after a further %d ms)", f.name, ms, count, time.Since(countStart).Milliseconds())
		t.Log(line)
		if f.path == "output/long_1m.csv" {
			// scroll to the far end: the last rows arrive by paging
			var dbg string
			u.do("scroll to end", chromedp.Evaluate(`(() => { const s = document.querySelector('[role=grid]'); s.scrollTop = s.scrollHeight; return s.scrollTop + ' ' + s.scrollHeight + ' ' + s.clientHeight; })()`, &dbg))
			t.Logf("scrolled: %s", dbg)
			u.do("last rows arrive", waitText(`[data-testid=csv-row] [role=gridcell]`, "1000000"))
			u.screenshot("14-csv-1m-rows-end")
		} else {
			u.screenshot("15-csv-5000x100")
		}
	}
}
