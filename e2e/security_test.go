package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An HTML output with a script, an SVG with a script and a file whose name is markup run
// nothing in the app: no dialog, no console message, no message posted to the app.
func TestUntrustedContentRunsNothing(t *testing.T) {
	need(t)
	u := newUser(t, "security")
	u.login(env.researcher())

	// A positive control: the listener does see a console message from the page itself.
	u.do("control", chromedp.Evaluate(`console.log('control-line'); window.__posted = []; window.addEventListener('message', e => window.__posted.push(String(e.data)))`, nil))
	u.do("wait for control line", u.waitConsole("control-line"))
	if !containsAny(u.consoleLines(), "control-line") {
		t.Fatalf("the console listener does not work: %v", u.consoleLines())
	}

	// the folder listing and the tree show the markup file name as text
	u.open(hashWorkspace(secWS, "output"))
	u.do("listing", waitVisible(`[data-testid=select-file]`), waitText(`main`, "onerror"))
	u.do("listener", chromedp.Evaluate(`window.__posted = []; window.addEventListener('message', e => window.__posted.push(String(e.data)))`, nil))
	var imgs int
	u.do("no injected img", chromedp.Evaluate(`document.querySelectorAll('main img[src="x"]').length`, &imgs))
	if imgs != 0 {
		t.Fatal("the file name became an <img> element")
	}

	// the markup-named text file, in the viewer
	u.do("open markup-named file", clickText(`nav.tree a`, "XSS-RAN-name"), waitText(`[data-testid=text-view]`, "plain text in a file whose name is markup"))
	// the HTML report, in the sandboxed iframe
	u.do("open report", chromedp.Evaluate(`location.hash = '`+hashWorkspace(secWS, "output/report.html")+`'`, nil),
		waitVisible(`[data-testid=sandboxed-frame]`))
	var sandbox string
	u.do("iframe sandbox", chromedp.Evaluate(`document.querySelector('[data-testid=sandboxed-frame]').getAttribute('sandbox')`, &sandbox))
	if strings.Contains(sandbox, "allow-scripts") {
		t.Fatalf("iframe sandbox allows scripts: %q", sandbox)
	}
	u.do("let the frame load", waitVisible(`[data-testid=sandboxed-frame][data-state=loaded][src*="report.html"]`))
	u.screenshot("13-html-output-sandboxed")
	u.do("open svg", chromedp.Evaluate(`location.hash = '`+hashWorkspace(secWS, "output/figure.svg")+`'`, nil),
		waitVisible(`[data-testid=sandboxed-frame][data-state=loaded][src*="figure.svg"]`))
	var posted []string
	u.do("posted messages", chromedp.Evaluate(`window.__posted || []`, &posted))
	var title string
	u.do("title", chromedp.Title(&title))

	// The raw content URL opened at the top level: served with CSP sandbox, nothing runs.
	u.do("raw content", chromedp.Navigate(env.url+"/api/v1/workspaces/"+secWS+"/content/output/report.html")) // returns after the page's load event
	var rawTitle string
	u.do("raw title", chromedp.Title(&rawTitle))

	if d := u.dialogMessages(); len(d) > 0 {
		t.Errorf("a dialog opened: %v", d)
	}
	if containsAny(u.consoleLines(), xssMarker) {
		t.Errorf("an injected script wrote to the console: %v", u.consoleLines())
	}
	if containsAny(posted, xssMarker) {
		t.Errorf("an injected script posted to the app: %v", posted)
	}
	if title == "pwned" || rawTitle == "pwned" {
		t.Errorf("an injected script changed the document title (%q, %q)", title, rawTitle)
	}
}

func containsAny(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
