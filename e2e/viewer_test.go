package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The job log of the viewer test: 3,000 numbered lines (far over the 10,000 characters the
// viewer shows), ANSI colours, and a job summary at the end.
const (
	logPath       = "logs/job.log"
	logFirstLine  = "line 00000 starting the job"
	logLastLine   = "line 02999 \x1b[32mfinished\x1b[0m"
	logSummaryEnd = "outputs: 4 files written"
)

func writeViewerFiles(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(logFirstLine + "\n")
	for i := 1; i < 2999; i++ {
		fmt.Fprintf(&b, "line %05d \x1b[31mworking\x1b[0m on step %d\n", i, i)
	}
	b.WriteString(logLastLine + "\n")
	b.WriteString("=============JOB SUMMARY=============\nstatus: succeeded\n" + logSummaryEnd + "\n")
	return os.WriteFile(filepath.Join(dir, filepath.FromSlash(logPath)), []byte(b.String()), 0o644)
}

// A long log shows only its end (from the API's log route) with the job summary, says it was
// truncated, and colours ANSI sequences instead of printing them.
func TestLogViewerShowsTheEndAndTheJobSummary(t *testing.T) {
	need(t)
	u := newUser(t, "logs")
	u.login(env.researcher())
	u.open(hashWorkspace(secWS, logPath))
	u.do("log shown",
		waitText(`[data-testid=log-truncated]`, "Log truncated"),
		waitText(`[data-testid=log-summary]`, logSummaryEnd),
		waitText(`[data-testid=text-view]`, "line 02999 finished"),
	)
	var got struct {
		Text      string `json:"text"`
		Red       int    `json:"red"`
		Green     string `json:"green"`
		Truncated string `json:"truncated"`
	}
	u.do("read the log view", chromedp.Evaluate(`({
		text: document.querySelector('[data-testid=text-view]').textContent,
		red: document.querySelectorAll('[data-testid=text-view] .fg31').length,
		green: (document.querySelector('[data-testid=text-view] .fg32') || {}).textContent || '',
		truncated: document.querySelector('[data-testid=log-truncated]').textContent,
	})`, &got))
	if strings.Contains(got.Text, logFirstLine) {
		t.Error("the start of a long log is shown: the viewer should show only its end")
	}
	if strings.Contains(got.Text, "\x1b[") || strings.Contains(got.Text, "[31m") {
		t.Error("ANSI escape sequences are printed as text")
	}
	if got.Red == 0 || got.Green != "finished" {
		t.Errorf("ANSI colours are not shown: %d red runs, green run %q", got.Red, got.Green)
	}
	// the end above the summary is at most 10,000 characters (plus the summary itself)
	body := got.Text[:strings.Index(got.Text, "Job summary")]
	if len(body) > 10_000 || len(body) < 5_000 {
		t.Errorf("the log body shown is %d characters, want the last (up to) 10,000", len(body))
	}
	if !strings.Contains(got.Truncated, "KiB") {
		t.Errorf("the truncation notice does not give the log's size: %q", got.Truncated)
	}
	u.screenshot("18-log-truncated")
}

// A workspace path that is not there goes to the nearest folder that is, saying why.
func TestInvalidWorkspacePathGoesToTheNearestFolder(t *testing.T) {
	need(t)
	u := newUser(t, "paths")
	u.login(env.researcher())
	u.open(hashWorkspace(secWS, "output/no-such-folder/missing.csv"))
	u.do("redirected with a message",
		waitText(`[data-testid=flash-warning]`, "Path 'output/no-such-folder/missing.csv' is not a valid file or directory path in this workspace."),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return waitHash(ctx, hashWorkspace(secWS, "output"))
		}),
		waitText(`.content h2`, "output"),
	)
}

// The accessibility check of every screenshot catches what it claims to: a control without
// a name, a badge without text and a page wider than the window.
func TestAccessibilityCheckCatchesProblems(t *testing.T) {
	need(t)
	u := newUser(t, "a11y-control")
	u.login(env.researcher())
	u.open(hashWorkspace(secWS, ""))
	u.do("workspace", waitVisible(`nav.tree`))
	if p := u.accessibilityProblems(); len(p) != 0 {
		t.Fatalf("the workspace page has accessibility problems: %v", p)
	}
	u.do("break the page", chromedp.Evaluate(`(() => {
		const m = document.querySelector('main');
		const b = document.createElement('button'); b.innerHTML = '<span aria-hidden="true">✕</span>'; m.prepend(b);
		const p = document.createElement('span'); p.className = 'pill tone-good'; m.prepend(p);
		const w = document.createElement('div'); w.style.width = '2000px'; w.style.height = '1px'; m.append(w);
	})()`, nil))
	problems := strings.Join(u.accessibilityProblems(), "\n")
	for _, want := range []string{"controls without an accessible name", "status badges without text", "scrolls sideways"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the check did not report %q; it reported:\n%s", want, problems)
		}
	}
}

// Keyboard: focus is visible on every control reached with Tab, and a dialog keeps focus
// inside, closes on Escape and gives focus back to the button that opened it.
func TestKeyboardFocusAndDialogs(t *testing.T) {
	need(t)
	u := newUser(t, "keyboard")
	u.login(env.researcher())
	// Tab through the whole page from its start: every stop shows a focus outline of at
	// least 2px, and the stops go skip link, navigation, tree, actions, viewer
	u.open(hashWorkspace(secWS, "output/counts.csv"))
	u.do("reloaded", chromedp.Evaluate(`window.__beforeReload = 1`, nil), chromedp.Reload(),
		poll("the reloaded document", `({ok: !window.__beforeReload, seen: 'the document from before the reload'})`),
		waitVisible(`[data-testid=add-file]:not([disabled])`), waitVisible(`[data-testid=csv-row] [role=gridcell]:not(.loading)`))
	var stops []string
	for i := 0; i < 60; i++ {
		var st struct {
			Tag     string  `json:"tag"`
			Text    string  `json:"text"`
			Outline string  `json:"outline"`
			Width   float64 `json:"width"`
		}
		u.do("tab", chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`(() => {
			const a = document.activeElement; const cs = getComputedStyle(a);
			return { tag: a.tagName, text: (a.getAttribute('aria-label') || a.textContent || a.id || '').trim().slice(0, 40), outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth) || 0 };
		})()`, &st))
		if st.Tag == "BODY" {
			break // past the last control
		}
		stops = append(stops, st.Text)
		if st.Outline == "none" || st.Width < 2 {
			t.Errorf("no visible focus on %s %q (outline %s %.0fpx)", st.Tag, st.Text, st.Outline, st.Width)
		}
	}
	order := []string{"Skip to content", "Workspaces & Requests", "Account", "Resize file tree", "Add File to Request", "csv-search"}
	at := 0
	for _, s := range stops {
		if at < len(order) && strings.Contains(s, order[at]) {
			at++
		}
	}
	if at < len(order) {
		t.Errorf("focus order: %q not reached in order; stops were %q", order[at], stops)
	}

	// the add dialog: focus stays inside while tabbing, Escape closes it, focus returns
	u.do("open the add dialog", typeInto(`[data-testid=add-file]`, kb.Enter),
		waitVisible(`dialog[open][data-testid=add-dialog]`))
	for i := 0; i < 12; i++ {
		var inside bool
		u.do("tab in dialog", chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`!!document.activeElement.closest('dialog[open]')`, &inside))
		if !inside {
			var where string
			u.do("where", chromedp.Evaluate(`document.activeElement.outerHTML.slice(0, 120)`, &where))
			t.Fatalf("focus left the open dialog after %d Tab presses: %s", i+1, where)
		}
	}
	// focus goes back to the Add File button that opened the dialog
	u.do("escape closes", chromedp.KeyEvent(kb.Escape), waitGone(`dialog[open]`), waitFocus(`[data-testid=add-file]`))
}

// waitHash waits until location.hash is want.
func waitHash(ctx context.Context, want string) error {
	var last string
	for {
		if err := chromedp.Evaluate(`location.hash`, &last).Do(ctx); err == nil && last == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for location %q (last %q): %w", want, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
