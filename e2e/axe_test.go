package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// axePath is axe-core's browser build, from the frontend's devDependencies (npm ci installs it).
var axePath = filepath.Join("..", "frontend", "node_modules", "axe-core", "axe.min.js")

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

func axeScript() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile(axePath)
		if err != nil {
			axeErr = fmt.Errorf("axe-core is not installed (cd frontend && npm ci): %w", err)
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

// axeResults is every page and dialog checked in this run: what it was called and how many
// violations it had; TestMain prints the table at the end.
var axeResults = struct {
	sync.Mutex
	rows map[string]int
}{rows: map[string]int{}}

func recordAxe(name string, violations int) {
	axeResults.Lock()
	defer axeResults.Unlock()
	axeResults.rows[name] += violations
}

// axeTable is the pages × violations table of this run.
func axeTable() string {
	axeResults.Lock()
	defer axeResults.Unlock()
	if len(axeResults.rows) == 0 {
		return ""
	}
	names := make([]string, 0, len(axeResults.rows))
	for n := range axeResults.rows {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("axe-core (WCAG 2.1 A and AA), pages and dialogs checked:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-48s %d violation(s)\n", n, axeResults.rows[n])
	}
	return b.String()
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeProblems runs axe-core in the page as it is now (the open dialog included) against the
// WCAG 2.1 A and AA rules and returns one line per violation. Sandboxed frames (a workspace's
// own HTML output) are not entered: their content is the researcher's, not the app's.
func (u *user) axeProblems(name string) []string {
	u.t.Helper()
	src, err := axeScript()
	if err != nil {
		u.t.Fatal(err)
	}
	var violations []axeViolation
	u.do("axe-core "+name, chromedp.ActionFunc(func(ctx context.Context) error {
		var loaded bool
		if err := chromedp.Evaluate(`typeof window.axe === 'object'`, &loaded).Do(ctx); err != nil {
			return err
		}
		if !loaded {
			if err := chromedp.Evaluate(src+"\n;true", nil).Do(ctx); err != nil {
				return fmt.Errorf("injecting axe-core: %w", err)
			}
		}
		var out string
		err := chromedp.Evaluate(`axe.run(document, {
				runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
				iframes: false,
				resultTypes: ['violations'],
			}).then(r => JSON.stringify(r.violations))`, &out,
			awaitPromise).Do(ctx)
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(out), &violations)
	}))
	recordAxe(name, len(violations))
	var problems []string
	for _, v := range violations {
		var where []string
		for i, n := range v.Nodes {
			if i == 5 {
				where = append(where, fmt.Sprintf("… %d more", len(v.Nodes)-5))
				break
			}
			where = append(where, fmt.Sprintf("%v %s", n.Target, n.HTML))
		}
		problems = append(problems, fmt.Sprintf("axe %s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(where, "\n    ")))
	}
	return problems
}

// awaitPromise makes Evaluate wait for the promise the expression returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// checkAxe fails the test on any axe-core violation of the page as it is now.
func (u *user) checkAxe(name string) {
	u.t.Helper()
	for _, p := range u.axeProblems(name) {
		u.t.Errorf("%s: %s", name, p)
	}
}

// TestAxe: axe-core runs and reports what it should (a page made to break two rules fails
// them), and the pages no other test checks pass: a copilot's workspaces and an unknown route.
// Every other page and dialog is checked where a test takes its screenshot.
func TestAxe(t *testing.T) {
	need(t)
	u := newUser(t, "copilot")
	u.open("#/login")
	u.do("login page", waitVisible(`#login-user`))
	u.do("break two rules", chromedp.Evaluate(`(() => {
		const img = document.createElement('img');
		img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
		img.width = 10; img.height = 10;
		const p = document.createElement('p');
		p.textContent = 'faint text';
		p.style.color = '#ddd'; p.style.background = '#fff';
		img.id = 'axe-bait-img'; p.id = 'axe-bait-text';
		document.querySelector('main').append(img, p);
	})()`, nil))
	got := strings.Join(u.axeProblems("(login page made to fail two rules)"), "\n")
	u.do("mend the page", chromedp.Evaluate(`document.getElementById('axe-bait-img').remove(); document.getElementById('axe-bait-text').remove()`, nil))
	for _, rule := range []string{"axe image-alt", "axe color-contrast"} {
		if !strings.Contains(got, rule) {
			t.Errorf("axe-core did not report %s on a page made to fail it; it reported:\n%s", rule, got)
		}
	}

	var copilot string
	for _, n := range env.names() {
		if len(env.users[n].Details.Copiloted) > 0 && len(env.users[n].Details.Workspaces) == 0 {
			copilot = n
			break
		}
	}
	if copilot == "" {
		t.Fatal("the demo has no copilot")
	}
	u.login(copilot)
	u.open("#/copiloted")
	u.do("copiloted workspaces", waitVisible(`[data-testid=nav-copiloted-workspaces][aria-current=page]`), waitText(`h1`, "Copiloted Workspaces"), u.settled())
	u.checkAxe("copiloted workspaces")
	u.open("#/no-such-page")
	u.do("unknown route", waitText(`h1`, "Page not found"), u.settled())
	u.checkAxe("page not found")
}
