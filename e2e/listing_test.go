package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// listingWS is a plain workspace with long file names in nested folders, of different sizes.
const listingWS = "e2e-ux"

var listingFiles = map[string]int{
	"output/tables/admissions_by_region_and_age_band_2026.csv": 4000,
	"output/tables/small.csv":                                  40,
	"output/tables/medium_counts.csv":                          900,
	"output/tables/deep/nested_table_of_counts.csv":            120,
	"output/summary.txt":                                       300,
}

func writeListingFiles(dir string) error {
	for p, size := range listingFiles {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString("region,count\n")
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "r%d,%d\n", i, 100+i*5)
		}
		if err := os.WriteFile(full, []byte(b.String()[:size]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// listingNames is the names in the folder listing, in their order.
func (u *user) listingNames() []string {
	var names []string
	u.do("read listing", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-testid=listing-row]')).map(r => r.dataset.path.split('/').pop())`, &names))
	return names
}

// Issue 13, item 8: a folder listing had no search, no sortable columns and no row count,
// and a file page no "More…" menu. Also the login page's hint in demo mode (item 9).
func TestFolderListingSearchSortAndMoreMenu(t *testing.T) {
	need(t)
	researcher := env.researcher()
	u := newUser(t, "researcher")

	u.open("#/login")
	u.do("demo hint on the login page", waitText(`[data-testid=demo-hint]`, "demo-login.txt"))
	var placeholder string
	u.do("token hint", chromedp.Evaluate(`document.querySelector('#login-token').placeholder`, &placeholder))
	if !strings.Contains(placeholder, "g5jf-oimu-frnh-qlf4") {
		t.Errorf("the token field's hint is %q, not the shape airlock token prints", placeholder)
	}
	u.checkAxe("login (demo data)")
	u.login(researcher)

	dir := "output/tables"
	u.open(hashWorkspace(listingWS, dir))
	u.do("listing", waitVisible(`[data-testid=listing-row]`), waitText(`[data-testid=listing-count]`, "4 items"), u.settled())
	u.checkAxe("workspace folder listing")
	u.screenshot("32-folder-listing")
	if got, want := u.listingNames(), []string{"deep", "admissions_by_region_and_age_band_2026.csv", "medium_counts.csv", "small.csv"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listing by name: %v, want %v (folders first)", got, want)
	}

	u.do("search", typeInto(`[data-testid=listing-search]`, "COUNT"), waitText(`[data-testid=listing-count]`, "1 of 4 items"))
	if got := u.listingNames(); len(got) != 1 || got[0] != "medium_counts.csv" {
		t.Errorf("search for COUNT shows %v, want medium_counts.csv only", got)
	}
	u.do("search with no match", chromedp.Evaluate(`document.querySelector('[data-testid=listing-search]').value = ''`, nil),
		typeInto(`[data-testid=listing-search]`, "zzz"), waitText(`[data-testid=listing-count]`, "0 of 4 items"),
		waitText(`[data-testid=listing]`, "No file or folder here has"))
	u.do("clear search", chromedp.Evaluate(`(() => { const i = document.querySelector('[data-testid=listing-search]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); })()`, nil),
		waitText(`[data-testid=listing-count]`, "4 items"))

	// sizes from the disk, smallest first
	var files []string
	for p := range listingFiles {
		if filepath.Dir(p) == filepath.FromSlash(dir) {
			files = append(files, filepath.Base(p))
		}
	}
	sort.Slice(files, func(i, j int) bool { return listingFiles[dir+"/"+files[i]] < listingFiles[dir+"/"+files[j]] })
	asc := append([]string{"deep"}, files...)
	u.do("sort by size", click(`[data-testid=sort-size]`), waitVisible(`th[aria-sort=ascending] [data-testid=sort-size]`))
	if got := u.listingNames(); strings.Join(got, ",") != strings.Join(asc, ",") {
		t.Errorf("sorted by size: %v, want %v", got, asc)
	}
	u.do("sort by size, descending", click(`[data-testid=sort-size]`), waitVisible(`th[aria-sort=descending] [data-testid=sort-size]`))
	desc := []string{"deep"}
	for i := len(files) - 1; i >= 0; i-- {
		desc = append(desc, files[i])
	}
	if got := u.listingNames(); strings.Join(got, ",") != strings.Join(desc, ",") {
		t.Errorf("sorted by size, descending: %v, want %v", got, desc)
	}

	// the More… menu of a file: open in a new tab, open as plain text
	file := dir + "/small.csv"
	u.open(hashWorkspace(listingWS, file))
	u.do("file page", waitVisible(`[data-testid=file-viewer]`), waitText(`[data-testid=file-path]`, file))
	u.do("open the More menu", click(`[data-testid=more-menu]`), waitVisible(`[data-testid=open-plain-text]`))
	u.checkAxe("workspace file, More… menu open")
	u.screenshot("33-file-more-menu", `[data-testid=open-plain-text]`)
	var links struct {
		Tab, Plain, Target, Type, Body string
	}
	u.do("read the menu's links", chromedp.Evaluate(`(async () => {
		const tab = document.querySelector('[data-testid=open-new-tab]');
		const plain = document.querySelector('[data-testid=open-plain-text]');
		const r = await fetch(plain.href, {credentials: 'same-origin'});
		return {tab: tab.href, plain: plain.href, target: tab.target + ',' + plain.target, type: r.headers.get('content-type'), body: await r.text()};
	})()`, &links, awaitPromise))
	want, _ := os.ReadFile(filepath.Join(env.wsRoot, listingWS, filepath.FromSlash(file)))
	if !strings.HasSuffix(links.Tab, "/api/v1/workspaces/"+listingWS+"/content/"+file) {
		t.Errorf("Open in a new tab links to %s", links.Tab)
	}
	if links.Target != "_blank,_blank" {
		t.Errorf("the menu's links open in %q, want new tabs", links.Target)
	}
	if !strings.HasPrefix(links.Type, "text/plain") || links.Body != string(want) {
		t.Errorf("Open as plain text (%s) served %q as %q, want the file as text/plain", links.Plain, links.Body, links.Type)
	}
	u.do("Escape closes the menu and returns focus", chromedp.KeyEvent("\x1b"), waitGone(`[data-testid=open-plain-text]`), waitFocus(`[data-testid=more-menu]`))
}

// Issue 13, items 5 and 7: the request tree listed full paths (cut off at the default
// width), and a forbidden or missing workspace or request showed an error above a page
// that looked usable.
func TestRequestTreeNamesAndUnavailablePages(t *testing.T) {
	need(t)
	researcher := env.researcher()
	checkers := env.checkers()
	r := newUser(t, "researcher")
	r.login(researcher)
	group := "ux tables"
	var paths []string
	for p := range listingFiles {
		if strings.HasPrefix(p, "output/tables/") && strings.Count(p, "/") == 2 {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	r.addFiles(listingWS, "output/tables", paths, group)
	r.submitAdd()
	r.open(hashWorkspace(listingWS, paths[0]))
	r.do("go to request", click(`[data-testid=current-request-link]`), waitVisible(`.reqhead`))
	id := r.requestID()

	r.open("#/requests/" + id + "/" + urlEscape(group))
	r.do("request tree", waitVisible(`[data-testid=tree-file]`), waitVisible(`[data-testid=tree-folder]`), r.settled())
	var tree struct {
		Names   []string `json:"names"`
		Titles  []string `json:"titles"`
		Folders []string `json:"folders"`
		Cut     []string `json:"cut"`
	}
	r.do("read the tree", chromedp.Evaluate(`(() => {
		const files = Array.from(document.querySelectorAll('[data-testid=tree-file]'));
		return {
			names: files.map(a => a.textContent.trim()),
			titles: files.map(a => a.title),
			folders: Array.from(document.querySelectorAll('[data-testid=tree-folder]')).map(li => li.dataset.path),
			cut: files.filter(a => a.scrollWidth > a.clientWidth + 1).map(a => a.textContent.trim()),
		};
	})()`, &tree))
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(tree.Names, ",") != strings.Join(names, ",") {
		t.Errorf("the tree's files read %v, want their names %v", tree.Names, names)
	}
	if strings.Join(tree.Titles, ",") != strings.Join(paths, ",") {
		t.Errorf("the tree's hover texts are %v, want the full paths %v", tree.Titles, paths)
	}
	if strings.Join(tree.Folders, ",") != "output,output/tables" {
		t.Errorf("the tree's folders are %v, want output and output/tables", tree.Folders)
	}
	if len(tree.Cut) > 0 {
		t.Errorf("names cut off at the default width: %v", tree.Cut)
	}
	r.checkAxe("request group, tree with folders")
	r.screenshot("35-request-tree-folders")
	r.do("collapse a folder", click(`[data-testid=tree-folder][data-path="output/tables"] button`), waitGone(`[data-testid=tree-file]`),
		click(`[data-testid=tree-folder][data-path="output/tables"] button[aria-expanded=false]`), waitVisible(`[data-testid=tree-file]`))
	r.do("file header has the full path", click(`[data-testid=tree-file][data-path=`+js(paths[0])+`]`),
		waitText(`[data-testid=file-path]`, paths[0]))

	// a file that is not on the request: a page that says so, with the way back
	r.open("#/requests/" + id + "/" + urlEscape(group) + "/output/nope.csv")
	r.do("missing file page", waitText(`[data-testid=unavailable] h1`, "There is no file output/nope.csv in this request"),
		waitVisible(`[data-testid=unavailable-back]`))
	r.expectOnly("missing file")

	// someone without access to the workspace (the demo's "no access" user)
	o := newUser(t, "outsider")
	o.login("oliver")
	o.open(hashWorkspace(listingWS, ""))
	o.do("forbidden workspace", waitText(`[data-testid=unavailable] h1`, "You don't have access to workspace "+listingWS),
		waitText(`[data-testid=unavailable]`, "ask the project lead"))
	// (the server answers 404 for a workspace the user may not know exists: the page cannot
	// tell "not yours" from "not there", and says both)
	o.expectOnly("forbidden workspace")
	o.screenshot("34-forbidden-workspace")
	o.open(hashWorkspace(listingWS, paths[0]))
	o.do("forbidden workspace file", waitText(`[data-testid=unavailable] h1`, "You don't have access to workspace "+listingWS))
	o.expectOnly("forbidden workspace file")
	o.open("#/requests/" + id)
	o.do("forbidden request", waitText(`[data-testid=unavailable] h1`, "You don't have access to request"))
	o.expectOnly("forbidden request")

	// a checker (who may view every workspace) asking for ones that are not there
	c := newUser(t, "checker")
	c.login(checkers[0])
	c.open(hashWorkspace("no-such-workspace", ""))
	c.do("missing workspace", waitText(`[data-testid=unavailable] h1`, "or there is no such workspace"))
	c.expectOnly("missing workspace")
	c.open("#/requests/no-such-request")
	c.do("missing request", waitText(`[data-testid=unavailable] h1`, "or there is no such request"))
	c.expectOnly("missing request")

	// item 9: a workspace page reached from Reviews keeps Reviews highlighted
	c.open("#/reviews")
	c.do("reviews", waitVisible(`[data-testid=nav-reviews][aria-current=page]`))
	c.do("to a workspace from Reviews", chromedp.Evaluate(`location.hash = `+js(hashWorkspace(listingWS, "")), nil),
		waitVisible(`[data-testid=listing]`), waitVisible(`[data-testid=nav-reviews][aria-current=page]`),
		waitGone(`[data-testid=nav-workspaces-requests][aria-current=page]`))
}

// expectOnly checks that the page shows the unavailable card and nothing that looks usable:
// no tree, no listing, no buttons in the content (only links to go elsewhere); then axe.
func (u *user) expectOnly(name string) {
	u.t.Helper()
	var seen struct {
		Buttons int `json:"buttons"`
		Trees   int `json:"trees"`
		Cards   int `json:"cards"`
	}
	u.do(name+": nothing else on the page", u.settled(), chromedp.Evaluate(`({
		buttons: Array.from(document.querySelectorAll('main button, main input, main select, main textarea')).filter(e => !e.closest('.flashes')).length,
		trees: document.querySelectorAll('main nav, main table').length,
		cards: document.querySelectorAll('main .card').length,
	})`, &seen))
	if seen.Buttons != 0 || seen.Trees != 0 || seen.Cards != 1 {
		u.t.Errorf("%s: the page shows %d controls, %d trees or tables and %d cards, want only the one card", name, seen.Buttons, seen.Trees, seen.Cards)
	}
	u.checkAxe(name + " page")
}
