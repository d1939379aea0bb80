package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// demoWorkspace picks the researcher's first active demo workspace with a folder of at least
// three CSV outputs (visible per its manifest), returning the workspace, folder and files.
func demoWorkspace(t *testing.T, researcher string) (string, string, []string) {
	t.Helper()
	var names []string
	for ws, raw := range env.users[researcher].Details.Workspaces {
		var g struct {
			Archived bool `json:"archived"`
			Project  struct {
				Ongoing bool `json:"ongoing"`
			} `json:"project_details"`
		}
		_ = json.Unmarshal(raw, &g)
		if ws != secWS && ws != bigWS && ws != gridWS && ws != ackWS && ws != listingWS && ws != uxDraftWS && ws != uxReviewWS && ws != provWS && ws != provOtherWS && !g.Archived && g.Project.Ongoing {
			names = append(names, ws)
		}
	}
	sort.Strings(names)
	for _, ws := range names {
		root := filepath.Join(env.wsRoot, ws)
		var outputs []string
		if b, err := os.ReadFile(filepath.Join(root, "metadata", "manifest.json")); err == nil {
			var m struct {
				Outputs map[string]struct {
					Level     string `json:"level"`
					OutOfDate bool   `json:"out_of_date_action"`
					Excluded  bool   `json:"excluded"`
				} `json:"outputs"`
			}
			if json.Unmarshal(b, &m) == nil {
				for p, o := range m.Outputs {
					if o.Level == "moderately_sensitive" && !o.OutOfDate && !o.Excluded {
						outputs = append(outputs, p)
					}
				}
			}
		} else {
			_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(root, p)
					outputs = append(outputs, filepath.ToSlash(rel))
				}
				return nil
			})
		}
		byDir := map[string][]string{}
		for _, p := range outputs {
			if strings.EqualFold(filepath.Ext(p), ".csv") {
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
					d := filepath.ToSlash(filepath.Dir(p))
					byDir[d] = append(byDir[d], p)
				}
			}
		}
		var dirs []string
		for d := range byDir {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		for _, d := range dirs {
			if len(byDir[d]) >= 3 {
				sort.Strings(byDir[d])
				return ws, d, byDir[d][:3]
			}
		}
	}
	t.Fatalf("no active demo workspace of %s has a folder with three CSV outputs", researcher)
	return "", "", nil
}

func hashWorkspace(ws, path string) string {
	var segs []string
	for _, s := range strings.Split(path, "/") {
		segs = append(segs, urlEscape(s))
	}
	h := "#/workspaces/" + urlEscape(ws)
	if path != "" {
		h += "/" + strings.Join(segs, "/")
	}
	return h
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, r := range []byte(s) {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || strings.IndexByte("-_.~", r) >= 0 {
			b.WriteByte(r)
		} else {
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

// addFiles selects files in a workspace folder and adds them to the request in a new group.
func (u *user) addFiles(ws, dir string, paths []string, group string) {
	u.t.Helper()
	u.open(hashWorkspace(ws, dir))
	// the listing, once every refetch a previous add set off has landed (a late one would
	// redraw the listing under the clicks below)
	u.do("wait for folder listing", waitVisible(`[data-testid=select-file]`), u.settled())
	checked := func(p string) string { return fmt.Sprintf(`[data-testid=select-file][data-path=%q]:checked`, p) }
	for _, p := range paths {
		u.do("select "+p, click(fmt.Sprintf(`[data-testid=select-file][data-path=%q]`, p)), waitVisible(checked(p)))
	}
	open := []chromedp.Action{u.settled()}
	for _, p := range paths {
		open = append(open, waitVisible(checked(p))) // still selected when the dialog opens
	}
	open = append(open, clickEnabled(`[data-testid=add-files]`), waitVisible(`dialog[open][data-testid=add-dialog]`))
	u.do("open add dialog", open...)
	u.do("fill group", waitVisible(`[data-testid=add-dialog] [data-testid=new-group]`),
		typeInto(`[data-testid=add-dialog] [data-testid=new-group]`, group))
}

func (u *user) submitAdd() {
	u.t.Helper()
	u.do("add", clickEnabled(`[data-testid=add-submit]`), waitGone(`dialog[open][data-testid=add-dialog]`))
}

func (u *user) requestID() string {
	u.t.Helper()
	var h string
	u.do("read request id", chromedp.Evaluate(`location.hash`, &h))
	parts := strings.Split(strings.TrimPrefix(h, "#/requests/"), "/")
	return parts[0]
}

func (u *user) fillGroup(reqID, group, context, controls string) {
	u.t.Helper()
	u.open("#/requests/" + reqID + "/" + urlEscape(group))
	u.do("fill context/controls of "+group,
		waitVisible(`[data-testid=context]`),
		typeInto(`[data-testid=context]`, context),
		typeInto(`[data-testid=controls]`, controls),
		clickEnabled(`[data-testid=save-group]`),
		waitText(`[data-testid=save-group]`, "Saved"),
	)
}

func (u *user) comment(reqID, group, text string, private bool) {
	u.t.Helper()
	u.open("#/requests/" + reqID + "/" + urlEscape(group))
	acts := []chromedp.Action{waitVisible(`[data-testid=comment-text]`)}
	if private {
		acts = append(acts, click(`[data-testid=visibility-private]`))
	} else if u.hasElement(`[data-testid=visibility-public]`) {
		acts = append(acts, click(`[data-testid=visibility-public]`))
	}
	acts = append(acts,
		typeInto(`[data-testid=comment-text]`, text),
		clickEnabled(`[data-testid=comment-submit]`),
		waitText(`[data-testid=comment]`, text),
	)
	u.do("comment on "+group, acts...)
}

func (u *user) hasElement(sel string) bool {
	var n int
	u.do("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n > 0
}

// vote opens a request file and votes on it.
func (u *user) vote(reqID, group, path, which string) {
	u.t.Helper()
	u.open("#/requests/" + reqID + "/" + urlEscape(group) + "/" + strings.Join(escapeSegs(path), "/"))
	want := "Approved"
	if which == "changes" {
		want = "Changes requested"
	}
	// The route changes within the page: until the pane shows this file, the buttons on
	// screen may still be the previous file's (pressing a chosen vote again resets it).
	button := fmt.Sprintf(`[data-testid=file-pane][data-path=%s] [data-testid=vote-%s]`, js(path), which)
	u.do(fmt.Sprintf("vote %s on %s", which, path),
		waitVisible(button),
		click(button),
		acknowledgeIfAsked(button, "Seen the BLOCK warning: checked by "+u.name+" in the end-to-end test."),
		waitText(button, want),
	)
}

// acknowledgeIfAsked: approving a file with a BLOCK warning opens the acknowledgement
// dialog (the API's approve action asks for a note); when it opens, write note and approve.
// A vote that needs none goes through without a dialog: button (the vote pressed) shows it.
func acknowledgeIfAsked(button, note string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		st, err := pollState(ctx, "the vote recorded or the acknowledgement dialog", fmt.Sprintf(`(() => {
			if (document.querySelector('dialog[open][data-testid=acknowledge-dialog]')) return {ok: true, seen: 'dialog'};
			const b = document.querySelector(%s);
			const voted = !!b && b.getAttribute('aria-pressed') === 'true';
			return {ok: voted, seen: voted ? 'voted' : 'waiting'};
		})()`, js(button)))
		if err != nil || st.Seen != "dialog" {
			return err
		}
		return chromedp.Run(ctx,
			typeInto(`dialog[open] [data-testid=acknowledge-note]`, note),
			clickEnabled(`dialog[open] [data-testid=acknowledge-ok]`),
			waitGone(`dialog[open][data-testid=acknowledge-dialog]`))
	})
}

// download presses "Download file" on the open request file page and returns what the
// browser saved: in a browser the web transport hands the audited download URL to the
// browser's own download.
func (u *user) download() []byte {
	u.t.Helper()
	dir := u.t.TempDir()
	done := make(chan string, 1)
	lctx, stop := context.WithCancel(u.ctx)
	defer stop()
	chromedp.ListenTarget(lctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	u.do("download the file",
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		waitVisible(`[data-testid=download]:not([disabled])`),
		click(`[data-testid=download]`))
	select {
	case guid := <-done:
		data, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			u.t.Fatalf("%s: the downloaded file: %v", u.name, err)
		}
		return data
	case <-time.After(20 * time.Second):
		u.t.Fatalf("%s: Download file saved nothing", u.name)
		return nil
	}
}

func escapeSegs(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		out = append(out, urlEscape(s))
	}
	return out
}

// act presses a request action button, confirms the dialog when one opens, and waits for
// the status pill to show want.
func (u *user) act(reqID, testid, want string) {
	u.t.Helper()
	u.open("#/requests/" + reqID)
	u.do("press "+testid,
		waitVisible(`[data-testid=`+testid+`]`),
		clickEnabled(`[data-testid=`+testid+`]`),
		// either a confirmation opens (confirm it) or the action is done: whichever the page shows
		poll("a confirmation or the status "+want, fmt.Sprintf(`(() => {
			const ok = document.querySelector('dialog[open] [data-testid=confirm-ok]');
			if (ok && !ok.disabled) { ok.click(); return {ok: true, seen: 'confirmed'}; }
			const pill = document.querySelector('.reqhead [data-testid=status-pill]');
			const text = pill ? pill.innerText : '';
			return {ok: %s !== '' && text.includes(%s), seen: 'status ' + JSON.stringify(text)};
		})()`, js(want), js(want))),
		waitGone(`dialog[open]`),
		waitText(`.reqhead [data-testid=status-pill]`, want),
	)
}

func TestWorkflowThroughTheUI(t *testing.T) {
	need(t)
	researcher := env.researcher()
	checkers := env.checkers()
	if researcher == "" || len(checkers) < 2 {
		t.Fatalf("demo users: need a researcher and two output checkers, have %v", env.names())
	}
	ws, dir, files := demoWorkspace(t, researcher)
	t.Logf("researcher %s, checkers %s and %s, workspace %s, files %v", researcher, checkers[0], checkers[1], ws, files)

	r := newUser(t, "researcher")
	c1 := newUser(t, "checker1")
	c2 := newUser(t, "checker2")

	// --- login page and the researcher's home
	r.open("#/login")
	r.do("login page", waitVisible(`#login-user`))
	r.screenshot("01-login")
	r.do("empty login shows required",
		click(`[data-testid=login-submit]`),
		waitText(`.login`, "This field is required"),
	)
	r.do("wrong token",
		typeInto(`#login-user`, researcher),
		typeInto(`#login-token`, "not the token"),
		click(`[data-testid=login-submit]`),
		waitText(`[data-testid=login-error]`, "Invalid user or token"),
	)
	r.login(researcher)
	r.do("home", waitText(`h1`, "Workspaces & Requests"), waitVisible(`[data-testid=workspace-link]`))
	r.screenshot("02-workspaces-and-requests")

	// --- workspace browser: add files to two groups
	groupA, groupB := "tables", "figures"
	fileA1, fileA2, fileB := files[0], files[1], files[2]
	r.open(hashWorkspace(ws, ""))
	r.do("workspace root", waitVisible(`nav.tree`))
	r.screenshot("03-workspace-browser")
	r.addFiles(ws, dir, []string{fileA1, fileA2}, groupA)
	r.screenshot("04-add-files-dialog")
	r.submitAdd()
	r.addFiles(ws, dir, []string{fileB}, groupB)
	r.submitAdd()
	r.open(hashWorkspace(ws, fileA1))
	r.do("file page", waitVisible(`[data-testid=file-viewer]`), waitText(`[data-testid=file-status]`, "Under review"))
	r.screenshot("05-workspace-file")
	r.do("go to request", click(`[data-testid=current-request-link]`), waitVisible(`.reqhead`))
	reqID := r.requestID()
	if reqID == "" {
		t.Fatal("no request id")
	}
	r.changeFilesThroughTheDialog(reqID, groupA, groupB, fileA1, fileA2, fileB)
	r.fillGroup(reqID, groupA, "Counts of patients by region, from the study population.", "Counts below 8 suppressed; all counts rounded to the nearest 5.")
	r.fillGroup(reqID, groupB, "Figure of the same counts.", "Built from the rounded counts only.")
	r.open("#/requests/" + reqID)
	r.do("submit enabled", waitVisible(`[data-testid=action-submit]:not([disabled])`))
	r.screenshot("06-request-overview-pending")

	// --- checker 1 watches the Reviews queue; the researcher submits; the queue gains it live
	c1.login(checkers[0])
	c1.open("#/reviews")
	c1.do("reviews page", waitVisible(`[data-testid=reviews-outstanding]`))
	c1.do("mark page", chromedp.Evaluate(`window.__noReload = 1`, nil))
	r.act(reqID, "action-submit", "SUBMITTED")
	c1.do("queue gains the submitted request without reload",
		waitText(`[data-testid=reviews-outstanding]`, researcher),
	)
	r.open("#/requests/" + reqID + "/" + urlEscape(groupB) + "/" + strings.Join(escapeSegs(fileB), "/"))
	r.do("file actions stay visible, disabled with the reason",
		waitVisible(`[data-testid=withdraw-file][disabled]`),
		waitVisible(`[data-testid=change-props][disabled]`),
		waitVisible(`[data-testid=update-request-file][disabled]`),
		waitText(`[data-testid=file-actions] [data-testid=action-reasons]`, "Withdraw from request"))
	var described string
	r.do("the reason describes the button", chromedp.Evaluate(`(() => { const b = document.querySelector('[data-testid=withdraw-file]'); const id = b.getAttribute('aria-describedby'); return id ? document.getElementById(id).textContent : ''; })()`, &described))
	if strings.TrimSpace(described) == "" {
		t.Error("the disabled Withdraw button is not described by its reason")
	}
	r.screenshot("20-request-file-actions-disabled")
	var marker int
	c1.do("no reload happened", chromedp.Evaluate(`window.__noReload || 0`, &marker))
	if marker != 1 {
		t.Fatal("the Reviews page was reloaded instead of updating live")
	}
	c1.screenshot("07-reviews-queue")

	// --- independent reviews, blinded
	c1.vote(reqID, groupA, fileA1, "approve")
	c1.screenshot("08-review-file")
	want, err := os.ReadFile(filepath.Join(env.wsRoot, ws, filepath.FromSlash(fileA1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c1.download(); string(got) != string(want) {
		t.Errorf("Download file saved %d bytes, want the %d bytes of %s", len(got), len(want), fileA1)
	}
	c1.vote(reqID, groupA, fileA2, "changes")
	c1.vote(reqID, groupB, fileB, "approve")
	c1.comment(reqID, groupA, "Checker one: please round the second table to 5.", true)
	c1.do("own comment marked blinded during independent review", waitText(`[data-testid=comment-blinded]`, "Blinded"),
		waitText(`[data-testid=comment-visibility]`, "Private"))
	c1.screenshot("09-group-with-private-comment", `[data-testid=comment]`)
	c1.act(reqID, "action-review", "ONE REVIEW SUBMITTED")
	// the decision buttons say what they wait for, in words (the reasons read "cannot change
	// status from SUBMITTED to REJECTED" before the domain wrote them for people)
	var reasons string
	c1.do("reject and release say what they wait for",
		waitText(`[data-testid=request-actions] [data-testid=action-reasons]`, "Reject request: Disabled until two reviews have been submitted"),
		chromedp.Evaluate(`document.querySelector('[data-testid=request-actions] [data-testid=action-reasons]').innerText`, &reasons))
	for _, machine := range []string{"SUBMITTED", "REJECTED", "APPROVED", "cannot change status"} {
		if strings.Contains(reasons, machine) {
			t.Errorf("a disabled action's reason is in machine words (%q): %s", machine, reasons)
		}
	}

	c2.login(checkers[1])
	c2.open("#/requests/" + reqID + "/" + groupA)
	c2.do("checker 2 group page", waitVisible(`[data-testid=context]`))
	var c2text string
	c2.do("read", chromedp.Evaluate(`document.querySelector('main').innerText`, &c2text))
	if strings.Contains(c2text, "Checker one: please round") {
		t.Fatal("blinding: checker 2 sees checker 1's private comment during independent review")
	}
	// keyboard-driven review: open the first file, then approve / request changes with keys
	c2.open("#/requests/" + reqID + "/" + groupA + "/" + strings.Join(escapeSegs(fileA1), "/"))
	c2.do("keyboard approve", waitVisible(`[data-testid=vote-approve]`), waitVisible(`[data-testid=shortcuts]`),
		chromedp.KeyEvent("a"), acknowledgeIfAsked(`[data-testid=vote-approve]`, "Seen the BLOCK warning (keyboard review)."), waitText(`[data-testid=vote-approve]`, "Approved"))
	c2.do("keyboard next", chromedp.KeyEvent("j"), waitText(`.grow h2`, filepath.Base(fileA2)))
	c2.do("keyboard request changes", chromedp.KeyEvent("c"), waitText(`[data-testid=vote-changes]`, "Changes requested"))
	c2.do("comment from the file page", clickEnabled(`[data-testid=open-notes]`),
		waitVisible(`dialog[open][data-testid=notes-dialog] [data-testid=comment-text]`),
		typeInto(`dialog[open] [data-testid=comment-text]`, "The second table needs rounding."),
		clickEnabled(`dialog[open] [data-testid=comment-submit]`),
		waitText(`dialog[open] [data-testid=comment]`, "File: "+groupA+"/"+fileA2),
		waitText(`dialog[open] [data-testid=comment]`, "The second table needs rounding."))
	c2.screenshot("17-comment-from-file")
	c2.do("close", click(`dialog[open] [data-testid=close-notes]`), waitGone(`dialog[open]`))
	c2.vote(reqID, groupB, fileB, "approve")
	c2.comment(reqID, groupA, "Checker two: the second table has small numbers.", false)
	c2.do("the comment's file link opens the file in the app (same tab, no reload)",
		chromedp.Evaluate(`window.__noReload = 1`, nil),
		clickText(`[data-testid=comment] a`, groupA+"/"+fileA2),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return waitHash(ctx, "#/requests/"+reqID+"/"+urlEscape(groupA)+"/"+strings.Join(escapeSegs(fileA2), "/"))
		}),
		waitVisible(`[data-testid=file-viewer]`))
	marker = 0
	c2.do("no reload", chromedp.Evaluate(`window.__noReload || 0`, &marker))
	if marker != 1 {
		t.Fatal("the comment's file link reloaded the page or opened elsewhere")
	}
	c2.act(reqID, "action-review", "ALL REVIEWS SUBMITTED")

	// --- return: the researcher's open request page changes without reload
	r.open("#/requests/" + reqID)
	r.do("researcher sees submitted state", waitText(`.reqhead [data-testid=status-pill]`, "ALL REVIEWS SUBMITTED"),
		chromedp.Evaluate(`window.__noReload = 1`, nil))
	c1.comment(reqID, groupA, "Returning: please fix the second table.", false)
	c1.act(reqID, "action-return", "RETURNED")
	r.do("live: the researcher's page shows RETURNED without reload",
		waitText(`.reqhead [data-testid=status-pill]`, "RETURNED"))
	marker = 0
	r.do("no reload", chromedp.Evaluate(`window.__noReload || 0`, &marker))
	if marker != 1 {
		t.Fatal("the request page was reloaded instead of updating live")
	}
	r.screenshot("10-request-returned")

	// --- update a file in the workspace, take the change into the request, resubmit
	full := filepath.Join(env.wsRoot, ws, filepath.FromSlash(fileA2))
	old, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := updateOutput(ws, fileA2, append(old, []byte(updatedSuffix(fileA2))...)); err != nil {
		t.Fatal(err)
	}
	r.open(hashWorkspace(ws, fileA2))
	r.do("file shows updated", waitText(`[data-testid=file-status]`, "Updated"))
	// take the change from the request's file page (its Update action is enabled now)
	r.open("#/requests/" + reqID + "/" + urlEscape(groupA) + "/" + strings.Join(escapeSegs(fileA2), "/"))
	r.do("update file in request", waitVisible(`[data-testid=changed-in-workspace]`),
		clickEnabled(`[data-testid=update-request-file]`),
		waitGone(`[data-testid=changed-in-workspace]`),
		waitVisible(`[data-testid=update-request-file][disabled]`))
	r.open(hashWorkspace(ws, fileA2))
	r.do("workspace shows it under review again", waitText(`[data-testid=file-status]`, "Under review"))
	r.comment(reqID, groupA, "Researcher: the second table is now rounded to 5.", false)
	r.act(reqID, "action-submit", "SUBMITTED")

	// --- second turn: both approve, release
	for _, c := range []*user{c1, c2} {
		c.vote(reqID, groupA, fileA2, "approve")
		c.open("#/requests/" + reqID)
		c.do("all files voted", waitText(`[data-testid=my-progress]`, "3 of 3"))
	}
	c1.act(reqID, "action-review", "ONE REVIEW SUBMITTED")
	c2.act(reqID, "action-review", "ALL REVIEWS SUBMITTED")
	c1.act(reqID, "action-release", "RELEASED")
	c1.do("released", waitText(`.reqhead [data-testid=status-pill]`, "RELEASED"), waitText(`[data-testid=upload-progress]`, "3 of 3"))
	c1.screenshot("11-request-released")
	c1.filterActivity(checkers[1])

	// the researcher's home lists the request as released
	r.open("#/")
	r.do("home shows released", waitText(`[data-testid=my-request]`, "RELEASED"))
	c2.open("#/workspace-requests/" + urlEscape(ws))
	c2.do("workspace requests", waitText(`main`, "RELEASED"))
	c2.screenshot("12-workspace-requests")
}

// changeFilesThroughTheDialog moves one file to a new group as supporting and back (from its
// file page), then changes the type of a whole group's files and back (bulk, from the group).
func (u *user) changeFilesThroughTheDialog(reqID, groupA, groupB, fileA1, fileA2, fileB string) {
	u.t.Helper()
	fileHash := func(group, path string) string {
		return "#/requests/" + reqID + "/" + urlEscape(group) + "/" + strings.Join(escapeSegs(path), "/")
	}
	u.open(fileHash(groupB, fileB))
	u.do("open the change dialog", clickEnabled(`[data-testid=change-props]`),
		waitVisible(`dialog[open][data-testid=change-dialog]`),
		waitText(`dialog[open] [data-testid=change-file]`, fileB))
	u.screenshot("16-change-group-or-type")
	u.do("move to a new group, as supporting",
		click(`dialog[open] [data-testid=change-type-supporting]`),
		typeInto(`dialog[open] [data-testid=change-new-group]`, "drafts"),
		clickEnabled(`dialog[open] [data-testid=change-submit]`),
		waitGone(`dialog[open]`),
		chromedp.ActionFunc(func(ctx context.Context) error { return waitHash(ctx, fileHash("drafts", fileB)) }),
		waitText(`[data-testid=file-type]`, "Supporting"),
		waitText(`nav.tree`, "Group: drafts (0 requested files)"))
	u.do("back to its group with the group picker, as output",
		clickEnabled(`[data-testid=change-props]`),
		waitVisible(`dialog[open][data-testid=change-dialog]`),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector('dialog[open] [data-testid=change-group-select]'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, groupB), nil),
		click(`dialog[open] [data-testid=change-type-output]`),
		clickEnabled(`dialog[open] [data-testid=change-submit]`),
		waitGone(`dialog[open]`),
		chromedp.ActionFunc(func(ctx context.Context) error { return waitHash(ctx, fileHash(groupB, fileB)) }),
		waitText(`[data-testid=decision]`, "Overall decision"))

	// bulk: every file of group A to supporting, then back to output
	u.open("#/requests/" + reqID + "/" + urlEscape(groupA))
	for _, to := range []struct{ testid, label string }{{"change-type-supporting", "Supporting"}, {"change-type-output", "Output"}} {
		u.do("select all for "+to.label,
			waitVisible(`[data-testid=select-all-request-files]`),
			click(`[data-testid=select-all-request-files]`),
			waitText(`[data-testid=selected-count]`, "2 of 2 files selected"))
		u.do("open the bulk dialog for "+to.label,
			clickEnabled(`[data-testid=bulk-change]`),
			waitVisible(`dialog[open][data-testid=change-dialog]`),
			waitText(`dialog[open]`, fileA1), waitText(`dialog[open]`, fileA2))
		u.do("bulk change to "+to.label,
			click(`dialog[open] [data-testid=`+to.testid+`]`),
			clickEnabled(`dialog[open] [data-testid=change-submit]`),
			waitGone(`dialog[open]`),
			chromedp.ActionFunc(func(ctx context.Context) error {
				var types []string
				for {
					if err := chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=file-type-cell]')).map(e => e.textContent.trim())`, &types).Do(ctx); err == nil &&
						len(types) == 2 && types[0] == to.label && types[1] == to.label {
						return nil
					}
					select {
					case <-ctx.Done():
						return fmt.Errorf("file types %v, want both %s: %w", types, to.label, ctx.Err())
					case <-time.After(100 * time.Millisecond):
					}
				}
			}),
			waitText(`[data-testid=selected-count]`, "0 of 2 files selected"))
	}
}

// filterActivity filters the request's activity by a user and by an event type.
func (u *user) filterActivity(user string) {
	u.t.Helper()
	rows := func() (users, types, actions []string) {
		var got struct {
			Users   []string `json:"users"`
			Types   []string `json:"types"`
			Actions []string `json:"actions"`
		}
		u.do("read activity", chromedp.Evaluate(`({
			users: Array.from(document.querySelectorAll('[data-testid=activity-user-cell]')).map(e => e.textContent.trim()),
			types: Array.from(document.querySelectorAll('[data-testid=activity-row]')).map(e => e.dataset.type),
			actions: Array.from(document.querySelectorAll('[data-testid=activity-action]')).map(e => e.textContent.trim()),
		})`, &got))
		return got.Users, got.Types, got.Actions
	}
	setSelect := func(testid, value string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector('[data-testid=%s]'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, testid, value), nil)
	}
	u.do("activity", waitVisible(`[data-testid=activity-user]`))
	allUsers, _, actions := rows()
	if !containsAny(actions, "Submitted review") || !containsAny(actions, "Released request") {
		u.t.Errorf("activity does not use the API's descriptions: %v", actions)
	}
	distinct := map[string]bool{}
	for _, x := range allUsers {
		distinct[x] = true
	}
	if len(distinct) < 3 {
		u.t.Errorf("activity should show the researcher and both checkers, has %v", distinct)
	}
	u.do("filter by user", setSelect("activity-user", user), waitText(`[data-testid=activity-count]`, "Showing"))
	users, _, _ := rows()
	if len(users) == 0 {
		u.t.Fatalf("no activity of %s", user)
	}
	for _, x := range users {
		if x != user {
			u.t.Fatalf("filtered by %s, a row of %s is shown", user, x)
		}
	}
	u.do("and by event type", setSelect("activity-type", "REQUEST_FILE_APPROVE"), waitText(`[data-testid=activity-action]`, "Approved file"))
	users, types, _ := rows()
	if len(types) == 0 {
		u.t.Fatal("no approvals in the filtered activity")
	}
	for i, ty := range types {
		if ty != "REQUEST_FILE_APPROVE" || users[i] != user {
			u.t.Fatalf("row %d is %s by %s, want only REQUEST_FILE_APPROVE by %s", i, ty, users[i], user)
		}
	}
	u.screenshot("19-activity-filtered", `[data-testid=activity-section]`)
	u.do("clear filters", click(`[data-testid=activity-clear]`))
	back, _, _ := rows()
	if len(back) <= len(users) {
		u.t.Errorf("clearing the filters shows %d rows, filtered showed %d", len(back), len(users))
	}
}

func updatedSuffix(path string) string {
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		return "Updated,5\n"
	}
	return "\nupdated\n"
}

// updateOutput rewrites a workspace output as a job would: the file, then its manifest entry
// (content hash, size, time), each written to a temporary name and renamed.
func updateOutput(ws, rel string, content []byte) error {
	root := filepath.Join(env.wsRoot, ws)
	if err := writeAtomic(filepath.Join(root, filepath.FromSlash(rel)), content); err != nil {
		return err
	}
	mp := filepath.Join(root, "metadata", "manifest.json")
	b, err := os.ReadFile(mp)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	outs, _ := m["outputs"].(map[string]any)
	if o, ok := outs[rel].(map[string]any); ok {
		sum := sha256.Sum256(content)
		o["content_hash"] = hex.EncodeToString(sum[:])
		o["size"] = len(content)
		o["timestamp"] = time.Now().Unix()
	}
	nb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(mp, nb)
}

func writeAtomic(path string, content []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".e2e-tmp")
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
