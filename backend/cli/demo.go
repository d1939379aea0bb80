package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trelab/airlock/internal/fsutil"
)

// demoUser is one user of the demo users file.
type demoUser struct {
	name, fullname, token, role string
	checker, readonly           bool
	workspaces, copiloted       []string
}

var demoUsers = []demoUser{
	{name: "alice", fullname: "Alice Researcher", token: "alice-demo", role: "researcher",
		workspaces: []string{"heart-failure-study", "diabetes-cohort", "covid-vaccine-archive", "shared-scratch"}},
	{name: "olivia", fullname: "Olivia Checker", token: "olivia-demo", role: "output checker", checker: true},
	{name: "oscar", fullname: "Oscar Checker", token: "oscar-demo", role: "output checker", checker: true},
	{name: "carmen", fullname: "Carmen Checker-Researcher", token: "carmen-demo", role: "output checker and researcher",
		checker: true, workspaces: []string{"diabetes-cohort", "heart-failure-study"}},
	{name: "colin", fullname: "Colin Copilot", token: "colin-demo", role: "copilot",
		copiloted: []string{"heart-failure-study", "diabetes-cohort"}},
	{name: "rita", fullname: "Rita Readonly", token: "rita-demo", role: "read-only (tech support)", readonly: true},
	{name: "oliver", fullname: "Oliver Outsider", token: "oliver-demo", role: "no access"},
}

// demoProjects gives each demo workspace its project and archived flag.
var demoProjects = map[string]struct {
	project  string
	ongoing  bool
	archived bool
	orgs     []string
}{
	"heart-failure-study":   {"Heart failure outcomes", true, false, []string{"University of Exampleton"}},
	"diabetes-cohort":       {"Type 2 diabetes cohort", true, false, []string{"Example Health Data Unit"}},
	"covid-vaccine-archive": {"COVID-19 vaccine uptake", false, true, []string{"University of Exampleton"}},
	"shared-scratch":        {"Methods development", true, false, []string{}},
}

// demo creates a demo data directory: workspaces with realistic outputs and a users file
// with plain tokens, and prints how to log in.
// DemoLoginFile is written into a demo data directory: how to log in, as demo printed it.
const DemoLoginFile = "demo-login.txt"

func demo(_ context.Context, env *Env, args []string) error {
	var force bool
	s, pos, err := commandSettings(env, "demo", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "overwrite the demo users file and workspaces")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("airlock demo takes no arguments (got %q): %w", pos[0], errUsage)
	}
	if _, err := os.Stat(s.UsersFile); err == nil && !force {
		return fmt.Errorf("%s already exists; use --force to overwrite the demo users and workspaces", s.UsersFile)
	}
	if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w", s.DataDir, unwrapPathError(err))
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := writeDemoWorkspaces(s.WorkspacesDir, now); err != nil {
		return err
	}
	if err := writeDemoUsers(s.UsersFile); err != nil {
		return err
	}

	// The login notes are kept beside the data, so a later start (make run, which starts the
	// server itself) can say again how to log in; demo's own output first says how to start it.
	var b strings.Builder
	fmt.Fprintf(&b, "Open http://%s and log in as one of:\n\n", s.Listen)
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  USER\tTOKEN\tROLE\tWORKSPACES")
	for _, u := range demoUsers {
		ws := strings.Join(u.workspaces, ", ")
		if len(u.copiloted) > 0 {
			ws = "copilot of " + strings.Join(u.copiloted, ", ")
		}
		if u.checker && ws == "" || u.readonly {
			ws = "views every workspace"
		} else if u.checker {
			ws += " (and views every workspace)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", u.name, u.token, u.role, ws)
	}
	_ = tw.Flush()
	fmt.Fprintf(&b, "\nSingle-use tokens: %s token USER --data-dir %s\n", env.program(), s.DataDir)
	fmt.Fprintf(env.Stdout, "Demo data created in %s (workspaces in %s, users in %s).\n\n", s.DataDir, s.WorkspacesDir, s.UsersFile)
	fmt.Fprintf(env.Stdout, "Start the server:\n  %s serve --data-dir %s --listen %s\n\n", env.program(), s.DataDir, s.Listen)
	fmt.Fprint(env.Stdout, b.String())
	if err := writeFileAtomic(filepath.Join(s.DataDir, DemoLoginFile), []byte(b.String()), 0o640); err != nil {
		return fmt.Errorf("demo login notes: %w", err)
	}
	return nil
}

func writeDemoUsers(file string) error {
	type wsEntry struct {
		ProjectDetails struct {
			Name    string   `json:"name"`
			Ongoing bool     `json:"ongoing"`
			Orgs    []string `json:"orgs"`
		} `json:"project_details"`
		Archived bool `json:"archived"`
	}
	entries := func(names []string) map[string]wsEntry {
		out := map[string]wsEntry{}
		for _, n := range names {
			p := demoProjects[n]
			var e wsEntry
			e.ProjectDetails.Name, e.ProjectDetails.Ongoing, e.ProjectDetails.Orgs = p.project, p.ongoing, p.orgs
			e.Archived = p.archived
			out[n] = e
		}
		return out
	}
	users := map[string]any{}
	for _, u := range demoUsers {
		users[u.name] = map[string]any{
			"token": u.token,
			"details": map[string]any{
				"username": u.name, "fullname": u.fullname,
				"output_checker": u.checker, "readonly_access": u.readonly,
				"workspaces": entries(u.workspaces), "copiloted_workspaces": entries(u.copiloted),
			},
		}
	}
	data, err := json.MarshalIndent(users, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(file, append(data, '\n'), 0o600)
}

// demoFile is one file of a demo workspace.
type demoFile struct {
	path    string
	content []byte
	// level is the manifest level; "" means the file is not in the manifest.
	level     string
	action    string
	outOfDate bool
	excluded  bool
}

func writeDemoWorkspaces(root string, now time.Time) error {
	figure, err := demoFigure()
	if err != nil {
		return err
	}
	const commit = "3f1c2a9d8e7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
	workspaces := map[string][]demoFile{
		"heart-failure-study": {
			{path: "output/tables/admissions_by_age.csv", content: []byte(admissionsCSV), level: "moderately_sensitive", action: "generate_tables"},
			{path: "output/tables/medications.csv", content: []byte(medicationsCSV), level: "moderately_sensitive", action: "generate_tables"},
			{path: "output/tables/summary_statistics.csv", content: []byte(summaryCSV), level: "moderately_sensitive", action: "describe_cohort"},
			{path: "output/figures/admissions_over_time.png", content: figure, level: "moderately_sensitive", action: "plot_admissions"},
			{path: "output/report.html", content: []byte(reportHTML), level: "moderately_sensitive", action: "render_report"},
			{path: "output/notes.md", content: []byte(notesMD), level: "moderately_sensitive", action: "render_report"},
			{path: "output/model/coefficients.rds", content: []byte("RDX3\nbinary model object\n"), level: "moderately_sensitive", action: "fit_model"},
			{path: "output/old/admissions_2019.csv", content: []byte("year,admissions\n2019,1245\n"), level: "moderately_sensitive", action: "old_tables", outOfDate: true},
			{path: "output/patient_level/cohort.csv", content: []byte("patient_id,age,sex\n1001,67,F\n1002,71,M\n"), level: "highly_sensitive", action: "generate_cohort"},
			{path: "metadata/generate_tables.log", content: []byte(demoLog(now))},
		},
		"diabetes-cohort": {
			{path: "output/hba1c_by_region.csv", content: []byte(hba1cCSV), level: "moderately_sensitive", action: "hba1c_tables"},
			{path: "output/figures/hba1c_trend.png", content: figure, level: "moderately_sensitive", action: "plot_hba1c"},
			{path: "output/large_table.csv", content: []byte("excluded"), level: "moderately_sensitive", action: "big_table", excluded: true},
			{path: "metadata/hba1c_tables.log", content: []byte(demoLog(now))},
		},
		"covid-vaccine-archive": {
			{path: "output/uptake_by_week.csv", content: []byte(uptakeCSV), level: "moderately_sensitive", action: "uptake"},
		},
		"shared-scratch": {
			{path: "counts.csv", content: []byte("group,count\nA,120\nB,85\nC,4\n")},
			{path: "methods/notes.md", content: []byte("# Methods notes\n\nDraft notes on the matching approach.\n")},
			{path: "methods/diagram.png", content: figure},
			{path: ".scratch-cache", content: []byte("hidden files are never outputs\n")},
		},
	}
	workspaces["diabetes-cohort"] = append(workspaces["diabetes-cohort"], demoACRO("output/acro")...)
	for ws, files := range workspaces {
		dir := filepath.Join(root, ws)
		manifest := map[string]any{}
		for i, f := range files {
			mtime := now.Add(-time.Duration(len(files)-i) * 37 * time.Minute)
			name := f.path
			content := f.content
			if f.excluded {
				name = f.path + ".txt"
				content = []byte("This file was excluded by job-runner: it has more than 5000 rows.\n")
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := writeFileAtomic(p, content, 0o644); err != nil {
				return err
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				return err
			}
			if f.level == "" {
				continue
			}
			sum := sha256.Sum256(f.content)
			entry := map[string]any{
				"level": f.level, "job_id": fmt.Sprintf("job%04d%s", i+1, strings.ReplaceAll(ws[:4], "-", "")),
				"job_request": "jr" + ws[:3], "action": f.action,
				"repo": "https://github.com/example/" + ws, "commit": commit,
				"size": len(f.content), "timestamp": float64(mtime.UnixNano()) / 1e9,
				"content_hash": hex.EncodeToString(sum[:]), "excluded": f.excluded, "message": nil,
				"row_count": nil, "col_count": nil, "user": "alice",
				"out_of_date_action": f.outOfDate,
			}
			if f.excluded {
				entry["message"] = "File has more than 5000 rows"
			}
			if path.Ext(f.path) == ".csv" && !f.excluded {
				lines := strings.Split(strings.TrimSpace(string(f.content)), "\n")
				entry["row_count"] = len(lines) - 1
				entry["col_count"] = len(strings.Split(lines[0], ","))
			}
			manifest[f.path] = entry
		}
		if ws == "shared-scratch" {
			continue // a plain folder: no manifest
		}
		data, err := json.MarshalIndent(map[string]any{
			"workspace": ws, "repo": "https://github.com/example/" + ws, "outputs": manifest,
		}, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, "metadata", "manifest.json"), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// demoACRO is an output folder as ACRO's finalise writes it (docs/acro.md): two tables, its
// results.json and checksums/ with the sha256 of each. The second table was edited after ACRO
// checked it, so its checksum does not match: the file view says so.
func demoACRO(dir string) []demoFile {
	const byAge = ",hba1c_above_58,hba1c_58_or_below\n18-39,4,212\n40-59,388,1604\n60-79,702,2315\n80+,6,420\n"
	const bySex = ",retinopathy,neuropathy,nephropathy\nF,R,210,184\nM,R,236,201\n"
	const bySexEdited = ",retinopathy,neuropathy,nephropathy\nF,9,210,184\nM,R,236,201\n"
	results := `{
    "version": "0.4.12",
    "results": {
        "hba1c_by_age": {
            "uid": "hba1c_by_age", "status": "fail", "type": "table",
            "properties": {"method": "crosstab"},
            "files": [{"name": "hba1c_by_age_0.csv", "sdc": {
                "summary": {"suppressed": false, "negative": 0, "missing": 0, "threshold": 2, "p-ratio": 0, "nk-rule": 0, "all-values-are-same": 0},
                "cells": {"negative": [], "missing": [], "threshold": [[0, 0], [3, 0]], "p-ratio": [], "nk-rule": [], "all-values-are-same": []}}}],
            "outcome": {
                "hba1c_above_58": {"18-39": "threshold; ", "40-59": "ok", "60-79": "ok", "80+": "threshold; "},
                "hba1c_58_or_below": {"18-39": "ok", "40-59": "ok", "60-79": "ok", "80+": "ok"}},
            "command": "acro.crosstab(df.age_band, df.hba1c_band)",
            "summary": "fail; threshold: 2 cells may need suppressing; ",
            "timestamp": "2026-04-28T14:02:11.412907",
            "comments": ["Age bands as in the protocol, section 4.2"],
            "exception": "The two small cells are published in the national diabetes audit for the same period."
        },
        "complications_by_sex": {
            "uid": "complications_by_sex", "status": "review", "type": "table",
            "properties": {"method": "crosstab"},
            "files": [{"name": "complications_by_sex_0.csv", "sdc": {
                "summary": {"suppressed": true, "negative": 0, "missing": 0, "threshold": 2, "p-ratio": 0, "nk-rule": 0, "all-values-are-same": 0},
                "cells": {"negative": [], "missing": [], "threshold": [[0, 0], [1, 0]], "p-ratio": [], "nk-rule": [], "all-values-are-same": []}}}],
            "outcome": {
                "retinopathy": {"F": "threshold; ", "M": "threshold; "},
                "neuropathy": {"F": "ok", "M": "ok"}, "nephropathy": {"F": "ok", "M": "ok"}},
            "command": "acro.crosstab(df.sex, df.complication)",
            "summary": "review; threshold: 2 cells suppressed; ",
            "timestamp": "2026-04-28T14:02:12.003311",
            "comments": [],
            "exception": "Suppression applied by ACRO"
        }
    }
}
`
	sum := func(s string) []byte {
		h := sha256.Sum256([]byte(s))
		return []byte(hex.EncodeToString(h[:]))
	}
	out := func(name string, content []byte) demoFile {
		return demoFile{path: dir + "/" + name, content: content, level: "moderately_sensitive", action: "acro_tables"}
	}
	return []demoFile{
		out("hba1c_by_age_0.csv", []byte(byAge)),
		out("complications_by_sex_0.csv", []byte(bySexEdited)),
		out("results.json", []byte(results)),
		out("checksums/hba1c_by_age_0.csv.txt", sum(byAge)),
		out("checksums/complications_by_sex_0.csv.txt", sum(bySex)),
		out("checksums/results.json.txt", sum(results)),
	}
}

// writeFileAtomic writes data to name atomically (fsutil.WriteFileAt), creating its folder.
func writeFileAtomic(name string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	err := fsutil.WriteFileAt(name, ".tmp-", perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return errors.Join(fmt.Errorf("writing %s", name), err)
	}
	return nil
}

// demoFigure draws a bar chart of monthly admissions with a trend line.
func demoFigure() ([]byte, error) {
	const w, h = 640, 400
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	fill(0, 0, w, h, color.RGBA{255, 255, 255, 255})
	left, bottom, top, right := 60, h-50, 30, w-30
	grid := color.RGBA{225, 228, 232, 255}
	for i := 0; i <= 5; i++ {
		y := bottom - i*(bottom-top)/5
		fill(left, y, right, y+1, grid)
	}
	fill(left-2, top, left, bottom+2, color.RGBA{60, 60, 60, 255})
	fill(left-2, bottom, right, bottom+2, color.RGBA{60, 60, 60, 255})
	values := []float64{120, 135, 150, 142, 160, 171, 165, 180, 195, 188, 205, 214}
	slot := (right - left) / len(values)
	scale := float64(bottom-top) / 250
	prevX, prevY := -1, -1
	for i, v := range values {
		x0 := left + i*slot + slot/5
		x1 := left + (i+1)*slot - slot/5
		y := bottom - int(v*scale)
		fill(x0, y, x1, bottom, color.RGBA{47, 111, 178, 255})
		// trend: a 3-month moving average, drawn as a thick line
		lo, hi := max(0, i-1), min(len(values)-1, i+1)
		avg := 0.0
		for j := lo; j <= hi; j++ {
			avg += values[j]
		}
		avg /= float64(hi - lo + 1)
		cx, cy := (x0+x1)/2, bottom-int(avg*scale)-12
		if prevX >= 0 {
			steps := cx - prevX
			for s := 0; s <= steps; s++ {
				px := prevX + s
				py := prevY + int(math.Round(float64(cy-prevY)*float64(s)/float64(steps)))
				fill(px-1, py-1, px+2, py+2, color.RGBA{214, 69, 65, 255})
			}
		}
		prevX, prevY = cx, cy
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func demoLog(now time.Time) string {
	var b strings.Builder
	start := now.Add(-3 * time.Hour)
	steps := []string{
		"Loading cohort definition from analysis/study_definition.py",
		"Extracting 48,213 patients registered on 2023-01-01",
		"Applying inclusion criteria: age 18-100, at least one year of registration",
		"Deriving hospital admissions from the admissions table",
		"Computing age bands and rates per 100,000",
		"Rounding counts to the nearest 5 and redacting counts below 8",
		"Writing output/tables/admissions_by_age.csv",
		"Writing output/tables/medications.csv",
	}
	for i := 0; i < 40; i++ {
		t := start.Add(time.Duration(i) * 17 * time.Second)
		fmt.Fprintf(&b, "%s [INFO] %s\n", t.Format("2006-01-02 15:04:05"), steps[i%len(steps)])
	}
	b.WriteString("=============JOB SUMMARY=============\n")
	b.WriteString("outcome: succeeded\nstatus_code: SUCCEEDED\nexit_code: 0\n")
	fmt.Fprintf(&b, "created: %s\ncompleted: %s\n", start.Format(time.RFC3339), start.Add(12*time.Minute).Format(time.RFC3339))
	b.WriteString("docker_image_id: sha256:5e3b1c2f9a8d\njob_id: job0001hear\naction: generate_tables\n")
	b.WriteString("outputs:\n  output/tables/admissions_by_age.csv: moderately_sensitive\n  output/tables/medications.csv: moderately_sensitive\n")
	return b.String()
}

const admissionsCSV = `age_band,sex,admissions,population,rate_per_100k
18-29,F,15,10245,146.4
18-29,M,10,10890,91.8
30-39,F,25,9870,253.3
30-39,M,20,9655,207.1
40-49,F,55,9120,603.1
40-49,M,70,9340,749.5
50-59,F,135,8210,1644.3
50-59,M,190,8435,2252.5
60-69,F,260,6950,3741.0
60-69,M,345,6720,5133.9
70-79,F,410,4810,8523.9
70-79,M,455,4375,10400.0
80+,F,3,2905,103.3
80+,M,7,1980,353.5
`

const medicationsCSV = `medication,patients,prescriptions,median_age
ACE inhibitor,1240,8815,71
Beta blocker,1105,7760,72
Loop diuretic,980,6430,76
SGLT2 inhibitor,415,2190,66
Digoxin,[REDACTED],[REDACTED],81
Ivabradine,[REDACTED],[REDACTED],64
Sacubitril/valsartan,85,420,68
`

const summaryCSV = `measure,value
patients,48213
admissions,2000
median_follow_up_days,1095
mean_age,58.4
`

const hba1cCSV = `region,patients,mean_hba1c,patients_above_58
North East,2150,54.2,610
North West,3380,55.1,1005
Yorkshire and the Humber,2905,54.8,835
East Midlands,2210,53.9,590
West Midlands,2760,55.6,880
East,2495,53.2,640
London,3915,56.3,1290
South East,3640,52.8,905
South West,2320,53.0,575
`

const uptakeCSV = `week,first_doses,second_doses
2021-01-04,1250,0
2021-01-11,2875,0
2021-01-18,4410,15
2021-01-25,5120,40
`

const notesMD = `# Notes for output checkers

* Counts are rounded to the nearest 5; counts below 8 are redacted.
* Rates are computed from unrounded counts.
* The figure shows monthly admissions in 2023 with a three-month moving average.
`

const reportHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Heart failure admissions: summary report</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
  table { border-collapse: collapse; }
  th, td { border: 1px solid #cbd2d9; padding: 0.3rem 0.6rem; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .note { color: #52606d; font-size: 0.9rem; }
</style>
</head>
<body>
<h1>Heart failure admissions, 2023</h1>
<p>This report summarises hospital admissions for heart failure among 48,213 adults.</p>
<h2>Admissions by age band</h2>
<table>
<thead><tr><th>Age band</th><th>Admissions</th><th>Rate per 100,000</th></tr></thead>
<tbody>
<tr><td>18-39</td><td>70</td><td>170.7</td></tr>
<tr><td>40-59</td><td>450</td><td>1262.3</td></tr>
<tr><td>60-79</td><td>1470</td><td>6449.6</td></tr>
<tr><td>80+</td><td>10</td><td>204.0</td></tr>
</tbody>
</table>
<h2>Admissions over time</h2>
<img src="figures/admissions_over_time.png" alt="Monthly admissions with a moving average" width="480">
<p class="note" id="script-check">Scripts in outputs never run when viewed in Airlock.</p>
<script>document.getElementById("script-check").textContent = "WARNING: a script in this output ran.";</script>
</body>
</html>
`
