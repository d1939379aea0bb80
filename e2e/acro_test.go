package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// ACRO's results beside the demo's diabetes tables (backend/cli/demo.go, docs/acro.md): a
// failing table shows ACRO's status, flagged cells and the exception request; a table edited
// after ACRO checked it carries a red alert that it is not the file ACRO checked.
func TestACROResultsInTheFileView(t *testing.T) {
	need(t)
	u := newUser(t, "acro")
	u.login(env.researcher())

	u.open(hashWorkspace("diabetes-cohort", "output/acro/hba1c_by_age_0.csv"))
	u.do("ACRO's record of a failing table",
		waitText(`[data-testid=acro-status]`, "ACRO: fail"),
		waitText(`[data-testid=acro-cells]`, "threshold (2): row 1 col 1, row 4 col 1"),
		waitText(`[data-testid=acro-exception]`, "published in the national diabetes audit"),
		waitText(`[data-testid=acro-checksum-file]`, "matches the checksum ACRO wrote"),
	)
	var mismatches int
	u.do("no alert for a verified file", chromedp.Evaluate(`document.querySelectorAll('[data-testid=acro-checksum-mismatch]').length`, &mismatches))
	if mismatches != 0 {
		t.Errorf("a file whose checksum matches shows %d mismatch alerts", mismatches)
	}

	u.open(hashWorkspace("diabetes-cohort", "output/acro/complications_by_sex_0.csv"))
	u.do("a table edited after ACRO checked it",
		waitText(`[data-testid=acro-checksum-mismatch]`, "this is not the file ACRO checked"),
		waitText(`[data-testid=acro-status]`, "ACRO: review"),
	)
	var role string
	u.do("the mismatch is an alert", chromedp.Evaluate(`document.querySelector('[data-testid=acro-checksum-mismatch]').getAttribute('role')`, &role))
	if role != "alert" {
		t.Errorf("the mismatch notice has role %q, want alert", role)
	}
	u.screenshot("21-acro-checksum-mismatch")
}
