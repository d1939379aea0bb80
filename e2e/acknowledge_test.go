package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// ackWS is a plain-folder workspace holding the demo's admissions table (it carries a BLOCK
// warning: counts of 7 or fewer) and a clean table.
const ackWS = "e2e-acknowledge"

const (
	ackBlocked = "output/admissions_by_age.csv"
	ackClean   = "output/clean_totals.csv"
)

// writeAckFiles copies the demo's heart-failure-study/output/tables/admissions_by_age.csv
// into dir (so the test uses the very table a new user meets) and writes a clean table.
func writeAckFiles(wsRoot, dir string) error {
	demo, err := os.ReadFile(filepath.Join(wsRoot, "heart-failure-study", "output", "tables", "admissions_by_age.csv"))
	if err != nil {
		return fmt.Errorf("the demo's admissions table: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(ackBlocked)), demo, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, filepath.FromSlash(ackClean)), []byte("region,admissions\nNorth,1500\nSouth,2000\n"), 0o644)
}

// dialogText waits for an open dialog with testid and returns its text.
func (u *user) dialogText(testid string) string {
	u.t.Helper()
	var text string
	u.do("read dialog "+testid, waitVisible(`dialog[open][data-testid=`+testid+`]`),
		chromedp.Evaluate(`document.querySelector('dialog[open][data-testid=`+testid+`]').innerText`, &text))
	return text
}

// TestAcknowledgementFlowThroughTheUI: warnings reach every decision. The tree shows the
// BLOCK count; the submit confirmation lists the file; each checker's approval asks for a
// note (the dialog says why, from the API) and the file page shows it; the review queue
// shows the counts; the release confirmation lists the file and who acknowledged it.
func TestAcknowledgementFlowThroughTheUI(t *testing.T) {
	need(t)
	researcher := env.researcher()
	checkers := env.checkers()
	if researcher == "" || len(checkers) < 2 {
		t.Fatalf("demo users: need a researcher and two output checkers, have %v", env.names())
	}
	r := newUser(t, "ack-researcher")
	c1 := newUser(t, "ack-checker1")
	c2 := newUser(t, "ack-checker2")
	r.login(researcher)

	// The tree: a BLOCK count on the demo's admissions table, none on the clean one.
	r.open(hashWorkspace(ackWS, "output"))
	r.do("tree counts", waitText(fmt.Sprintf(`nav.tree [data-path=%q] [data-testid=warning-counts]`, ackBlocked), "BLOCK"))
	var cleanBadges int
	r.do("no badge on the clean table", chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll('nav.tree [data-path=%q] [data-testid=warning-counts]').length`, ackClean), &cleanBadges))
	if cleanBadges != 0 {
		t.Errorf("the clean table shows %d warning badges", cleanBadges)
	}

	group := "admissions"
	r.addFiles(ackWS, "output", []string{ackBlocked, ackClean}, group)
	r.submitAdd()
	r.open(hashWorkspace(ackWS, ackBlocked))
	r.do("go to request", click(`[data-testid=current-request-link]`), waitVisible(`.reqhead`))
	reqID := r.requestID()
	r.fillGroup(reqID, group, "Admissions by age band and sex.", "Small counts to be reviewed by the checkers.")

	// The request overview lists the BLOCK file; the submit confirmation does too.
	r.open("#/requests/" + reqID)
	r.do("overview lists the BLOCK file", waitText(`[data-testid=block-files]`, ackBlocked))
	r.do("submit", waitVisible(`[data-testid=action-submit]:not([disabled])`), clickEnabled(`[data-testid=action-submit]`))
	text := r.dialogText("confirm-dialog")
	if !strings.Contains(text, "BLOCK warnings") || !strings.Contains(text, group+"/"+ackBlocked) || strings.Contains(text, ackClean) {
		t.Errorf("the submit confirmation does not list exactly the BLOCK file:\n%s", text)
	}
	r.screenshot("22-submit-confirmation-block-files", `dialog[open]`)
	r.do("confirm submit", clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`.reqhead [data-testid=status-pill]`, "SUBMITTED"))

	// The review queue shows the counts.
	c1.login(checkers[0])
	c1.open("#/reviews")
	c1.do("queue counts", waitText(`[data-testid=reviews-outstanding]`, "with BLOCK warnings"))

	// Checker 1: approving asks for a note, with the API's reason; cancelling votes nothing.
	fileHash := "#/requests/" + reqID + "/" + urlEscape(group) + "/" + strings.Join(escapeSegs(ackBlocked), "/")
	c1.open(fileHash)
	c1.do("the file page says a note is needed", waitText(`[data-testid=approve-acknowledge]`, "BLOCK warning"))
	c1.do("approve opens the dialog", clickEnabled(`[data-testid=vote-approve]`))
	text = c1.dialogText("acknowledge-dialog")
	if !strings.Contains(text, "To approve it, add a note") || !strings.Contains(text, ackBlocked) {
		t.Errorf("the acknowledgement dialog does not give the reason and the file:\n%s", text)
	}
	c1.do("no note, no approval", waitVisible(`dialog[open] [data-testid=acknowledge-ok][disabled]`))
	c1.screenshot("23-acknowledge-block-warning", `dialog[open]`)
	c1.do("cancel", clickText(`dialog[open] button`, "Cancel"), waitGone(`dialog[open]`),
		waitText(`[data-testid=vote-approve]`, "Approve file"))
	note1 := "Counts of 3 and 7 are in the 80+ bands; the researcher confirmed they come from a published table."
	c1.do("approve with a note", clickEnabled(`[data-testid=vote-approve]`),
		waitVisible(`dialog[open][data-testid=acknowledge-dialog]`),
		typeInto(`dialog[open] [data-testid=acknowledge-note]`, note1),
		clickEnabled(`dialog[open] [data-testid=acknowledge-ok]`),
		waitGone(`dialog[open]`),
		waitText(`[data-testid=vote-approve]`, "Approved"),
		waitText(`[data-testid=acknowledgements]`, note1))
	// The clean table needs no note.
	c1.vote(reqID, group, ackClean, "approve")
	c1.act(reqID, "action-review", "ONE REVIEW SUBMITTED")

	// Checker 2 (blind: checker 1's note is not shown) approves with a note too.
	c2.login(checkers[1])
	c2.open(fileHash)
	c2.do("checker 2's file page", waitText(`[data-testid=approve-acknowledge]`, "BLOCK warning"))
	var c2text string
	c2.do("read", chromedp.Evaluate(`document.querySelector('main').innerText`, &c2text))
	if strings.Contains(c2text, note1) {
		t.Fatal("blinding: checker 2 sees checker 1's acknowledgement during independent review")
	}
	note2 := "Agreed: published figures."
	c2.do("approve with a note", clickEnabled(`[data-testid=vote-approve]`),
		typeInto(`dialog[open][data-testid=acknowledge-dialog] [data-testid=acknowledge-note]`, note2),
		clickEnabled(`dialog[open] [data-testid=acknowledge-ok]`),
		waitGone(`dialog[open]`),
		waitText(`[data-testid=vote-approve]`, "Approved"))
	c2.vote(reqID, group, ackClean, "approve")
	c2.act(reqID, "action-review", "ALL REVIEWS SUBMITTED")

	// Release: the confirmation lists the BLOCK file and who acknowledged it.
	c1.open("#/requests/" + reqID)
	c1.do("release", clickEnabled(`[data-testid=action-release]`))
	text = c1.dialogText("confirm-dialog")
	for _, want := range []string{group + "/" + ackBlocked, checkers[0] + ": “" + note1 + "”", checkers[1] + ": “" + note2 + "”"} {
		if !strings.Contains(text, want) {
			t.Errorf("the release confirmation lacks %q:\n%s", want, text)
		}
	}
	// what leaves the environment, and where to (the e2e server has no job-server)
	for _, want := range []string{"to the release folder of this Airlock server?", "Released files leave the environment"} {
		if !strings.Contains(text, want) {
			t.Errorf("the release confirmation does not say %q:\n%s", want, text)
		}
	}
	// every file that leaves is listed; only the BLOCK file under the BLOCK warnings
	if !strings.Contains(text, group+"/"+ackClean) {
		t.Errorf("the release confirmation does not list the clean file, which leaves too:\n%s", text)
	}
	if _, block, _ := strings.Cut(text, "Files with BLOCK warnings"); strings.Contains(block, ackClean) {
		t.Errorf("the release confirmation lists the clean file among the BLOCK warnings:\n%s", text)
	}
	c1.screenshot("24-release-confirmation-acknowledged", `dialog[open]`)
	c1.do("confirm release", clickEnabled(`dialog[open] [data-testid=confirm-ok]`), waitGone(`dialog[open]`),
		waitText(`.reqhead [data-testid=status-pill]`, "RELEASED"))
}
