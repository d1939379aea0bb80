package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The provenance workspace: one output of a job-runner job, its manifest written the way
// job-runner writes it, in a project of its own organisation.
const (
	provWS      = "e2e-provenance"
	provProject = "Provenance study"
	provOrg     = "Org Provenance"
	// a second workspace, of another project and organisation
	provOtherWS      = "e2e-provenance-elsewhere"
	provOtherProject = "Study elsewhere"
	provOtherOrg     = "Org Elsewhere"
	provFile         = "output/tables/by_region.csv"
	provAction       = "make_region_tables"
	provJob          = "jobprov42"
	provCommit       = "4f1c2e3d4b5a69788796a5b4c3d2e1f001122334"
	provRepo         = "https://github.com/opensafely/provenance-study"
	provCodeURL      = "https://{repo}/blob/{commit}/{path}"
)

func writeProvenanceFiles(root, user string) error {
	for _, ws := range []string{provWS, provOtherWS} {
		if err := writeProvenanceWorkspace(filepath.Join(root, ws), ws, user); err != nil {
			return err
		}
	}
	return nil
}

func writeProvenanceWorkspace(dir, ws, user string) error {
	content := "region,count\nNorth,105\nSouth,230\n"
	full := filepath.Join(dir, filepath.FromSlash(provFile))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(content))
	manifest := map[string]any{"workspace": ws, "repo": nil, "outputs": map[string]any{
		provFile: map[string]any{
			"level": "moderately_sensitive", "job_id": provJob, "job_request": "jrprov7", "action": provAction,
			"user": user, "repo": provRepo, "commit": provCommit, "size": len(content),
			"timestamp":    float64(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC).Unix()) + 0.5,
			"content_hash": hex.EncodeToString(sum[:]), "excluded": false, "message": nil,
			"row_count": 2, "col_count": 2,
		},
	}}
	data, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "metadata"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "metadata", "manifest.json"), data, 0o644)
}

// apiClient is a logged-in API session (cookie and CSRF token), for setting up state that
// the browser test then looks at.
type apiClient struct {
	t    *testing.T
	http *http.Client
	csrf string
}

func apiLogin(t *testing.T, username string) *apiClient {
	t.Helper()
	tok, err := env.token(username)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &apiClient{t: t, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	c.call("POST", "/api/v1/auth/login", map[string]string{"username": username, "token": tok}, &out)
	c.csrf = out.CSRFToken
	return c
}

func (c *apiClient) call(method, path string, body, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, env.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// A checker sees what produced an output on its file page (with the code link), and the
// project and organisation of a request in the queue, where they filter it, and in the
// request's header; the All Workspaces page lists and searches workspaces by project.
func TestProvenanceProjectAndOrganisation(t *testing.T) {
	need(t)
	researcher := env.researcher()
	r := apiLogin(t, researcher)
	submit := func(ws string) string {
		var req struct {
			ID string `json:"id"`
		}
		r.call("POST", "/api/v1/requests", map[string]string{"workspace": ws}, &req)
		r.call("POST", "/api/v1/requests/"+req.ID+"/files", map[string]any{
			"group": "regions", "files": []map[string]string{{"path": provFile, "fileType": "OUTPUT"}},
		}, nil)
		r.call("PATCH", "/api/v1/requests/"+req.ID+"/groups/regions", map[string]string{"context": "Counts by region", "controls": "Rounded to 5"}, nil)
		r.call("POST", "/api/v1/requests/"+req.ID+"/submit", nil, nil)
		return req.ID
	}
	req := struct{ ID string }{submit(provWS)}
	other := submit(provOtherWS)

	checker := env.checkers()[0]
	u := newUser(t, "provenance")
	u.login(checker)

	u.open(hashWorkspace(provWS, provFile))
	u.do("the file page says what produced the output",
		waitText(`[data-testid=produced-by]`, fmt.Sprintf("Produced by action %s (job %s) at commit %s of %s, run by %s",
			provAction, provJob, provCommit[:7], provRepo, researcher)),
	)
	var link string
	u.do("the code link", waitVisible(`[data-testid=code-link]`),
		chromedp.Evaluate(`document.querySelector('[data-testid=code-link]').href`, &link))
	if want := "https://github.com/opensafely/provenance-study/blob/" + provCommit + "/project.yaml"; link != want {
		t.Errorf("code link %q, want %q", link, want)
	}
	u.screenshot("25-file-provenance", `[data-testid=produced-by]`)

	u.open("#/reviews")
	row := fmt.Sprintf(`[data-testid=review-row][data-request=%q]`, req.ID)
	u.do("the queue shows project and organisation",
		waitText(row+` [data-testid=review-project]`, provProject),
		waitText(row+` [data-testid=review-project]`, "Organisation: "+provOrg),
	)
	u.do("filter the queue by organisation", waitVisible(`[data-testid=org-filter]`),
		selectOption(`[data-testid=org-filter]`, provOrg),
		poll("only the organisation's requests in the queue", fmt.Sprintf(`(() => {
			const rows = Array.from(document.querySelectorAll('[data-testid=review-row]'));
			const other = rows.filter(r => !r.innerText.includes(%s));
			return {ok: rows.length > 0 && other.length === 0 && rows.some(r => r.dataset.request === %s),
				seen: rows.length + ' rows, ' + other.length + ' of another organisation'};
		})()`, js("Organisation: "+provOrg), js(req.ID))),
	)
	u.screenshot("26-reviews-by-organisation", `[data-testid=reviews-outstanding]`)
	otherRow := fmt.Sprintf(`[data-testid=review-row][data-request=%q]`, other)
	u.do("the other organisation's request is filtered out, and back with all organisations",
		waitGone(otherRow),
		selectOption(`[data-testid=org-filter]`, provOtherOrg),
		waitGone(row), waitText(otherRow+` [data-testid=review-project]`, provOtherProject),
		selectOption(`[data-testid=org-filter]`, ""),
		waitVisible(row), waitVisible(otherRow),
	)

	u.do("the request header shows them", click(row+` a`),
		waitText(`[data-testid=request-project]`, provProject),
		waitText(`[data-testid=request-orgs]`, provOrg),
	)

	u.do("All Workspaces, searched", click(`[data-testid=nav-all-workspaces]`),
		waitVisible(`[data-testid=all-workspaces-search]`),
		typeInto(`[data-testid=all-workspaces-search]`, "provenance"),
		waitText(`[data-testid=all-workspaces-count]`, "2 of "),
		waitText(`[data-testid=all-workspaces-project] h2`, provProject),
		waitText(`[data-testid=all-workspaces-project] h2`, provOtherProject),
		waitText(`[data-testid=all-workspaces-link]`, provWS),
		waitText(`[data-testid=all-workspaces-link]`, provOtherWS),
	)
	u.screenshot("27-all-workspaces")
	u.do("search again",
		typeInto(`[data-testid=all-workspaces-search]`, " elsewhere"),
		waitText(`[data-testid=all-workspaces-count]`, "1 of "),
		waitText(`[data-testid=all-workspaces-project] h2`, provOtherProject),
		clickText(`[data-testid=all-workspaces-link]`, provOtherWS),
		waitText(`h1`, "Files for workspace "+provOtherWS),
	)
}

// selectOption chooses the option with value v of the select for sel, as picking it does
// (the value changes and a change event fires), once the select offers it.
func selectOption(sel, v string) chromedp.Action {
	return poll(fmt.Sprintf("%s set to %q", sel, v), fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) return {ok: false, seen: 'no select'};
		if (![...el.options].some(o => o.value === %s)) return {ok: false, seen: 'options: ' + [...el.options].map(o => o.value).join('|')};
		if (el.value !== %s) {
			el.value = %s;
			el.dispatchEvent(new Event('change', {bubbles: true}));
		}
		return {ok: el.value === %s, seen: el.value};
	})()`, js(sel), js(v), js(v), js(v), js(v)))
}
