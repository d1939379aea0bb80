package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The workspaces of the day-without-a-stumble tests (issue 13): each holds two small tables
// in one folder, so that each test has a request of its own.
const (
	uxDraftWS  = "e2e-ux-drafts"
	uxReviewWS = "e2e-ux-review"
)

const (
	uxFileA = "output/rates_a.csv"
	uxFileB = "output/rates_b.csv"
)

func writeUXFiles(wsRoot string) error {
	for _, ws := range []string{uxDraftWS, uxReviewWS} {
		dir := filepath.Join(wsRoot, ws, "output")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i, f := range []string{uxFileA, uxFileB} {
			body := fmt.Sprintf("region,rate\nNorth,%d00\nSouth,%d50\n", i+1, i+1)
			if err := os.WriteFile(filepath.Join(wsRoot, ws, filepath.FromSlash(f)), []byte(body), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// newUXRequest adds uxFileA to group ga and uxFileB to group gb of a new request in ws and
// returns its id.
func (u *user) newUXRequest(ws string) string {
	u.t.Helper()
	u.addFiles(ws, "output", []string{uxFileA}, "ga")
	u.submitAdd()
	// the listing shows the first add (uxFileA can no longer be selected) before the second
	// add selects in it: a listing redrawn under the click would move uxFileB's checkbox
	u.do("the listing after the first add", waitGone(fmt.Sprintf(`[data-testid=select-file][data-path=%q]`, uxFileA)), u.settled())
	u.addFiles(ws, "output", []string{uxFileB}, "gb")
	u.submitAdd()
	u.open(hashWorkspace(ws, uxFileA))
	u.do("go to the request", click(`[data-testid=current-request-link]`), waitVisible(`.reqhead`))
	return u.requestID()
}

// value reads a form control's value.
func (u *user) value(sel string) string {
	u.t.Helper()
	var v string
	u.do("read "+sel, waitVisible(sel), chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%s).value`, js(sel)), &v))
	return v
}

// leavesWithUnsavedText reports whether the page would ask before unloading (its
// beforeunload handler cancels the event), without unloading it.
func (u *user) leavesWithUnsavedText() bool {
	u.t.Helper()
	var asked bool
	u.do("ask the page about unloading", chromedp.Evaluate(`(() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`, &asked))
	return asked
}

// TestUnsavedTextIsNeverLost (issue 13 item 2): text typed into a group's context and a
// comment, not saved, survives moving to another group and a reload; moving away asks
// first (in-app, and the page asks the browser before it unloads); saving clears the draft.
func TestUnsavedTextIsNeverLost(t *testing.T) {
	need(t)
	researcher := env.researcher()
	if researcher == "" {
		t.Fatalf("demo users: need a researcher, have %v", env.names())
	}
	r := newUser(t, "draft-researcher")
	r.login(researcher)
	reqID := r.newUXRequest(uxDraftWS)
	groupA := "#/requests/" + reqID + "/ga"
	groupB := "#/requests/" + reqID + "/gb"

	const ctx = "Rates per 100,000 by region; the population is every adult registered in 2024."
	const note = "A question for the checkers about rounding"
	r.open(groupA)
	r.do("type context into ga, without saving", waitVisible(`[data-testid=context]`), typeInto(`[data-testid=context]`, ctx),
		waitText(`[data-testid=save-group]`, "Save"))
	if !r.leavesWithUnsavedText() {
		t.Error("the page would unload without asking while ga's context is unsaved")
	}

	// Another group in the tree: the page asks first; staying keeps the text where it is.
	r.do("click group gb in the tree", clickText(`nav.tree [data-testid=tree-group]`, "Group: gb"))
	text := r.dialogText("confirm-dialog")
	if !strings.Contains(text, "Context and controls of group 'ga'") {
		t.Errorf("the leave dialog does not name the unsaved text:\n%s", text)
	}
	r.do("stay", clickText(`dialog[open] button`, "Cancel"), waitGone(`dialog[open]`))
	if got := r.value(`[data-testid=context]`); got != ctx {
		t.Fatalf("after staying, ga's context is %q, want the typed text", got)
	}
	r.do("click group gb again and leave", clickText(`nav.tree [data-testid=tree-group]`, "Group: gb"),
		waitVisible(`dialog[open][data-testid=confirm-dialog]`), clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`.content h2`, "gb group"))
	if got := r.value(`[data-testid=context]`); got != "" {
		t.Errorf("gb shows ga's unsaved context: %q", got)
	}
	r.do("write a comment on gb, without posting", typeInto(`[data-testid=comment-text]`, note))

	// A full reload of another page, then back: both drafts are there.
	r.do("leave gb for the overview", clickText(`nav.tree a`, "Overview"),
		waitVisible(`dialog[open][data-testid=confirm-dialog]`), clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`.content h2`, "Request overview"))
	if r.leavesWithUnsavedText() {
		t.Error("the overview, with nothing unsaved on it, would ask before unloading")
	}
	r.open("#/")
	r.open(groupA)
	r.do("ga's draft is back", waitVisible(`[data-testid=group-draft]`))
	if got := r.value(`[data-testid=context]`); got != ctx {
		t.Errorf("after a reload, ga's context is %q, want the draft", got)
	}
	r.screenshot("28-group-draft-restored", `[data-testid=group-draft]`)
	r.do("save ga", typeInto(`[data-testid=controls]`, "Rates rounded to the nearest 5."), clickEnabled(`[data-testid=save-group]`),
		waitText(`[data-testid=save-group]`, "Saved"), waitGone(`[data-testid=group-draft]`))
	r.open(groupB)
	if got := r.value(`[data-testid=comment-text]`); got != note {
		t.Errorf("after a reload, gb's comment box holds %q, want the draft", got)
	}

	// Saved: no draft of ga is left (gb's comment is still one: leaving gb asks).
	r.do("back to ga", clickText(`nav.tree [data-testid=tree-group]`, "Group: ga"),
		waitVisible(`dialog[open][data-testid=confirm-dialog]`), clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`.content h2`, "ga group"), waitText(`[data-testid=save-group]`, "Saved"))
	if got := r.value(`[data-testid=context]`); got != ctx {
		t.Errorf("ga's saved context is %q", got)
	}
	var drafts []string
	r.do("list drafts", chromedp.Evaluate(`Object.keys(localStorage).filter(k => k.startsWith('airlock.draft'))`, &drafts))
	if len(drafts) != 1 || !strings.Contains(drafts[0], "comment") {
		t.Errorf("drafts left after saving ga: %v (want only gb's comment)", drafts)
	}
	r.do("to the overview without a question", clickText(`nav.tree a`, "Overview"), waitText(`.content h2`, "Request overview"))
}

// TestFiguresMessagesAndGroupsNeedingComments walks a request through both reviews and a
// return and checks, at each step, what issue 13 found wrong:
//   - item 4: an error message does not stay above a later success;
//   - item 6: after requesting changes, the checker is told which groups need a comment,
//     each a link to the group;
//   - item 3: the header's reviews figure agrees with the status pill, for the other
//     checker too and after a return.
func TestFiguresMessagesAndGroupsNeedingComments(t *testing.T) {
	need(t)
	researcher := env.researcher()
	checkers := env.checkers()
	if researcher == "" || len(checkers) < 2 {
		t.Fatalf("demo users: need a researcher and two output checkers, have %v", env.names())
	}
	r := newUser(t, "fig-researcher")
	c1 := newUser(t, "fig-checker1")
	c2 := newUser(t, "fig-checker2")
	r.login(researcher)
	reqID := r.newUXRequest(uxReviewWS)
	r.fillGroup(reqID, "ga", "Rates of a.", "Rounded to 5.")
	r.fillGroup(reqID, "gb", "Rates of b.", "Rounded to 5.")

	// Item 4: an empty comment is refused, then a real one posted, then the request
	// submitted: the success is not under a stale error.
	r.open("#/requests/" + reqID + "/ga")
	r.do("comment with an empty box", clickEnabled(`[data-testid=comment-submit]`),
		poll("the empty comment to be refused", `(() => {
			const t = document.querySelector('main').innerText;
			return {ok: /required|empty/i.test(t), seen: t.slice(0, 200)};
		})()`))
	// (in place, as a person would: a reload would clear the messages and hide the problem)
	r.do("post a real comment", typeInto(`[data-testid=comment-text]`, "Both tables use the same population."),
		clickEnabled(`[data-testid=comment-submit]`), waitText(`[data-testid=comment]`, "same population"))
	r.do("submit", clickText(`nav.tree a`, "Overview"), waitVisible(`[data-testid=action-submit]`), clickEnabled(`[data-testid=action-submit]`),
		waitVisible(`dialog[open] [data-testid=confirm-ok]`), clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`[data-testid=flash-success]`, "Request has been submitted"))
	var errs string
	r.do("read messages", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=flash-error], [data-testid=comment-invalid]')).map(e => e.innerText).join(' | ')`, &errs))
	if errs != "" {
		t.Errorf("after the successful submit, an old error is still shown: %s", errs)
	}
	r.screenshot("29-submitted-without-stale-error")

	// Item 6: checker 1 requests changes on ga's file and approves gb's: the page lists ga
	// (and only ga) as needing a comment, linked; commenting there clears the list.
	c1.login(checkers[0])
	c1.vote(reqID, "ga", uxFileA, "changes")
	c1.vote(reqID, "gb", uxFileB, "approve")
	c1.open("#/requests/" + reqID)
	c1.do("the page has the votes", waitVisible(`[data-testid=action-review][disabled]`), c1.settled())
	var links []string
	c1.do("read the links", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=groups-needing][data-action=review] [data-testid=group-needing-link]')).map(a => a.innerText + ' ' + a.getAttribute('href'))`, &links))
	if want := "ga #/requests/" + reqID + "/ga"; len(links) != 1 || links[0] != want {
		t.Errorf("groups needing a comment: %v, want [%s]", links, want)
	}
	if len(links) > 0 {
		c1.screenshot("30-groups-needing-a-comment", `[data-testid=groups-needing]`)
		c1.do("follow the link", click(`[data-testid=group-needing-link]`), waitText(`.content h2`, "ga group"))
	} else {
		c1.open("#/requests/" + reqID + "/ga")
	}
	c1.do("comment on ga", typeInto(`[data-testid=comment-text]`, "Please round the rates to the nearest 10."),
		clickEnabled(`[data-testid=comment-submit]`), waitText(`[data-testid=comment]`, "nearest 10"),
		waitGone(`[data-testid=groups-needing][data-action=review]`))
	c1.act(reqID, "action-review", "ONE REVIEW SUBMITTED")

	// Item 3: the other checker sees the pill and the figure agree (blinding hides who, not
	// how many: the status says it).
	c2.login(checkers[1])
	c2.open("#/requests/" + reqID)
	c2.do("checker 2's header", waitText(`.reqhead [data-testid=status-pill]`, "ONE REVIEW SUBMITTED"), waitText(`[data-testid=reviews-submitted]`, "1"))
	var fig string
	c2.do("read the figure", chromedp.Evaluate(`document.querySelector('[data-testid=reviews-submitted]').innerText`, &fig))
	if fig != "1" {
		t.Errorf("checker 2 sees the pill ONE REVIEW SUBMITTED beside \"Reviews submitted %s\"", fig)
	}
	c2.vote(reqID, "ga", uxFileA, "changes")
	c2.vote(reqID, "gb", uxFileB, "approve")
	c2.comment(reqID, "ga", "Agreed: round to 10.", false)
	c2.act(reqID, "action-review", "ALL REVIEWS SUBMITTED")
	c2.do("two reviews", waitText(`[data-testid=reviews-submitted]`, "2"))

	// A return needs a public comment on ga; then the author sees turn 2 with the two reviews
	// of turn 1, not "0".
	c1.comment(reqID, "ga", "Returned: please round the rates of a to the nearest 10.", false)
	c1.act(reqID, "action-return", "RETURNED")
	r.open("#/requests/" + reqID)
	r.do("author's header after the return", waitText(`.reqhead [data-testid=status-pill]`, "RETURNED"), waitText(`[data-testid=turn]`, "2"))
	r.do("read the figure", chromedp.Evaluate(`document.querySelector('[data-testid=reviews-submitted]').innerText`, &fig))
	if fig != "2 in turn 1" {
		t.Errorf("after the return (turn 2) the author's header says \"Reviews submitted %s\", want \"2 in turn 1\"", fig)
	}
}

// TestHelpIsReachableFromEveryPage: the nav's Help link opens the how-tos for researchers
// and checkers, and the shortcut list names every key the request page answers to.
func TestHelpIsReachableFromEveryPage(t *testing.T) {
	need(t)
	researcher := env.researcher()
	r := newUser(t, "help-researcher")
	r.login(researcher)
	for _, page := range []string{"#/", "#/reviews", hashWorkspace(uxDraftWS, ""), "#/workspace-requests/" + uxDraftWS} {
		r.open(page)
		r.do("help link on "+page, waitVisible(`[data-testid=nav-help]`))
	}
	r.do("open help", click(`[data-testid=nav-help]`), waitVisible(`[data-testid=help-researchers]`),
		waitVisible(`[data-testid=help-checkers]`), waitText(`[data-testid=help-keys]`, "next file"))
	var keys []string
	r.do("read the shortcut list", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=help-keys] kbd')).map(k => k.innerText)`, &keys))
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	// every key RequestPage's onKey answers to
	for _, k := range []string{"j", "n", "k", "p", "a", "c", "?"} {
		if !have[k] {
			t.Errorf("the shortcut list lacks %q (has %v)", k, keys)
		}
	}
	r.screenshot("31-help")
}
