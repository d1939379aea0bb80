package e2e

// Waiting, the one way: every step waits on a condition that the page exposes (an element,
// a text, a data- state, a focused control, no network request in flight), polled in the
// page with JavaScript. Nothing here relies on chromedp's own DOM mirror (built from DOM
// events, whose set grows with each Chromium release) or on a guess at how long something
// takes: a busy machine only makes a step slower, never wrong. A step that times out says
// what it waited for and what it last saw.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one step. The waits are on conditions, so a generous limit costs a
// quick page nothing; it only ends a step that can never succeed.
var stepTimeout = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("AIRLOCK_E2E_STEP_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 90 * time.Second
}()

// pollEvery is how often a condition is evaluated again.
const pollEvery = 50 * time.Millisecond

// state is what a probe reports: whether the condition holds, and what it saw.
type state struct {
	OK   bool   `json:"ok"`
	Seen string `json:"seen"`
}

// poll evaluates probe (a JavaScript expression that yields {ok, seen}) until ok. On timeout
// the error names what it waited for and the last thing it saw.
func poll(what, probe string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := pollState(ctx, what, probe)
		return err
	})
}

func pollState(ctx context.Context, what, probe string) (state, error) {
	var last state
	var lastErr error
	for {
		var st state
		err := chromedp.Evaluate(probe, &st).Do(ctx)
		if err == nil && st.OK {
			return st, nil
		}
		if err != nil {
			lastErr = err
		} else {
			last, lastErr = st, nil
		}
		select {
		case <-ctx.Done():
			seen := last.Seen
			if lastErr != nil {
				seen = "evaluation failed: " + lastErr.Error()
			}
			return last, fmt.Errorf("waiting for %s (last seen: %s): %w", what, seen, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// findJS is a function body that finds the first element for sel that is visible (and, with
// enabled, not disabled); it returns [element, what was seen].
func findJS(sel string, enabled bool) string {
	return fmt.Sprintf(`const all = Array.from(document.querySelectorAll(%s));
		if (all.length === 0) return [null, 'no element matches'];
		const shown = all.filter(e => e.checkVisibility ? e.checkVisibility({visibilityProperty: true}) : e.getClientRects().length > 0);
		if (shown.length === 0) return [null, all.length + ' matching, none visible'];
		const ok = %t ? shown.filter(e => !e.disabled && !e.closest('[inert]')) : shown;
		if (ok.length === 0) return [null, shown.length + ' visible, all disabled'];
		return [ok[0], 'found'];`, js(sel), enabled)
}

// waitVisible waits until an element for sel is visible.
func waitVisible(sel string) chromedp.Action {
	return poll(sel+" to be visible", fmt.Sprintf(`(() => { const [el, seen] = (() => { %s })(); return {ok: !!el, seen}; })()`, findJS(sel, false)))
}

// waitGone waits until no element matches sel.
func waitGone(sel string) chromedp.Action {
	return poll(sel+" to be gone", fmt.Sprintf(`(() => { const n = document.querySelectorAll(%s).length; return {ok: n === 0, seen: n + ' still there'}; })()`, js(sel)))
}

// click waits for a visible, enabled element for sel that nothing covers, and clicks the
// middle of it with the mouse, as a person would.
func click(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var at struct {
			X, Y float64
		}
		st, err := pollState(ctx, sel+" to be clickable", fmt.Sprintf(`(() => {
			const [el, seen] = (() => { %s })();
			if (!el) return {ok: false, seen};
			el.scrollIntoView({block: 'center', inline: 'center'});
			const r = el.getBoundingClientRect();
			const x = r.left + r.width / 2, y = r.top + r.height / 2;
			const top = document.elementFromPoint(x, y);
			if (!top || !(top === el || el.contains(top) || top.contains(el) && top.tagName === 'LABEL')) {
				return {ok: false, seen: 'covered by ' + (top ? top.outerHTML.slice(0, 100) : 'nothing')};
			}
			return {ok: true, seen: JSON.stringify({X: x, Y: y})};
		})()`, findJS(sel, true)))
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(st.Seen), &at); err != nil {
			return err
		}
		return chromedp.MouseClickXY(at.X, at.Y).Do(ctx)
	})
}

// typeInto focuses the enabled element for sel and types text into it with key events.
func typeInto(sel, text string) chromedp.Action {
	return chromedp.Tasks{
		poll(sel+" to take focus", fmt.Sprintf(`(() => {
			const [el, seen] = (() => { %s })();
			if (!el) return {ok: false, seen};
			el.focus();
			return {ok: document.activeElement === el, seen: 'focus is on ' + document.activeElement.tagName};
		})()`, findJS(sel, true))),
		chromedp.KeyEvent(text),
	}
}

// waitFocus waits until the focused element matches sel.
func waitFocus(sel string) chromedp.Action {
	return poll("focus on "+sel, fmt.Sprintf(`(() => {
		const a = document.activeElement;
		return {ok: !!a && a.matches(%s), seen: a ? a.outerHTML.slice(0, 120) : 'nothing focused'};
	})()`, js(sel)))
}

// waitText waits until the text of the elements for sel contains want.
func waitText(sel, want string) chromedp.Action {
	return poll(fmt.Sprintf("%q in %s", want, sel), fmt.Sprintf(`(() => {
		const t = Array.from(document.querySelectorAll(%s)).map(e => e.innerText).join("\n");
		return {ok: t.includes(%s), seen: JSON.stringify(t.slice(0, 300))};
	})()`, js(sel), js(want)))
}

// clickText clicks the first enabled element for sel whose text contains text.
func clickText(sel, text string) chromedp.Action {
	return poll(fmt.Sprintf("an enabled %s with text %q", sel, text), fmt.Sprintf(`(() => {
		const el = Array.from(document.querySelectorAll(%s)).find(e => e.innerText.includes(%s) && !e.disabled);
		if (!el) return {ok: false, seen: document.querySelectorAll(%s).length + ' matching elements, none enabled with that text'};
		el.scrollIntoView({block: 'center'}); el.click();
		return {ok: true, seen: 'clicked'};
	})()`, js(sel), js(text), js(sel)))
}

// clickEnabled waits for an enabled element and clicks it.
func clickEnabled(sel string) chromedp.Action {
	return click(sel)
}

// settled waits until the page has no request in flight (the network is idle), no frame
// is loading, and two animation frames have been painted since: what a screenshot shows is
// then what the page has finished drawing.
func (u *user) settled() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			busy := u.busy()
			if busy == "" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for the network to be idle (in flight: %s): %w", busy, ctx.Err())
			case <-time.After(pollEvery):
			}
		}
		return chromedp.Evaluate(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil,
			func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }).Do(ctx)
	})
}

// waitConsole waits until the page has written a console line containing want.
func (u *user) waitConsole(want string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			for _, l := range u.consoleLines() {
				if strings.Contains(l, want) {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for a console line with %q (have %v): %w", want, u.consoleLines(), ctx.Err())
			case <-time.After(pollEvery):
			}
		}
	})
}
