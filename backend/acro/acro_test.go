package acro

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestParse_v04(t *testing.T) {
	r, err := Parse(fixture(t, "results-v0.4.json"))
	require.NoError(t, err)
	require.Equal(t, "0.4.12", r.Version)
	require.Equal(t, LayoutVersioned, r.Layout)
	require.Len(t, r.Outputs, 3)
	require.Equal(t, []string{"admissions_by_region", "output_1", "output_2"}, []string{r.Outputs[0].UID, r.Outputs[1].UID, r.Outputs[2].UID}, "file order kept")

	o, f := r.Find("admissions_by_region_0.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusFail, o.Status)
	require.Equal(t, "table", o.Type)
	require.Equal(t, "fail; threshold: 2 cells may need suppressing; ", o.Summary)
	require.Equal(t, "The two small cells are structural: the unknown-sex column is empty by design.", o.Exception)
	require.Equal(t, []string{"Regions are the four NHS regions of the study."}, o.Comments)
	require.Empty(t, o.Problems)

	require.NotNil(t, f.SDC.Suppressed)
	require.False(t, *f.SDC.Suppressed)
	require.Equal(t, []Check{
		{Name: "negative", Value: "0"}, {Name: "missing", Value: "0"}, {Name: "threshold", Value: "2", Flagged: true},
		{Name: "p-ratio", Value: "0"}, {Name: "nk-rule", Value: "0"}, {Name: "all-values-are-same", Value: "0"},
	}, f.SDC.Checks)
	require.Equal(t, []Cell{{Check: "threshold", Row: 1, Column: 0}, {Check: "threshold", Row: 3, Column: 2}}, f.SDC.Cells)
	require.Equal(t, 2, f.SDC.CellsTotal)
	require.Equal(t, []OutcomeCell{
		{Row: "south", Column: "female", Outcome: "threshold"},
		{Row: "west", Column: "unknown", Outcome: "threshold"},
	}, o.OutcomeCells)
	require.Equal(t, 2, o.OutcomeCellsTotal)

	// A regression with two files: both are found, with no SDC cells.
	o, f = r.Find("output_1_1.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusPass, o.Status)
	require.Equal(t, "output_1_1.csv", f.Name)
	require.Nil(t, f.SDC.Suppressed)
	require.Empty(t, f.SDC.Cells)

	// A custom output keeps the leading space of its name, as ACRO writes it.
	o, _ = r.Find(" length_of_stay.png")
	require.NotNil(t, o)
	require.Equal(t, StatusReview, o.Status)
	require.Equal(t, []string{"Kaplan-Meier curve drawn outside ACRO", "Every step is at least 10 patients"}, o.Comments)
	o, _ = r.Find("length_of_stay.png")
	require.Nil(t, o, "names match exactly")

	o, _ = r.Find("results.json")
	require.Nil(t, o)
}

func TestParse_v1(t *testing.T) {
	r, err := Parse(fixture(t, "results-v1.json"))
	require.NoError(t, err)
	require.Equal(t, "1.0.1", r.Version)
	o, f := r.Find("mean_stay_by_ward_0.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusReview, o.Status)
	require.Equal(t, "Suppression applied by ACRO", o.Exception)
	require.Nil(t, f.SDC.Suppressed, "1.x writes no suppressed flag")
	require.Equal(t, []Check{{Name: "MinimumThresholdCheck", Value: "1", Flagged: true}, {Name: "PPercentCheck", Value: "0"}, {Name: "NKCheck", Value: "3", Flagged: true}}, f.SDC.Checks)
	require.Equal(t, 4, f.SDC.CellsTotal)
	require.Equal(t, Cell{Check: "NKCheck", Row: 2, Column: 1}, f.SDC.Cells[3])
	require.Equal(t, []OutcomeCell{{Row: "('B', 'day')", Column: "('mean', 'stay')", Outcome: "MinimumThresholdCheck; NKCheck"}}, o.OutcomeCells)

	o, f = r.Find("histogram_age.png")
	require.NotNil(t, o)
	require.Equal(t, StatusPass, o.Status)
	require.Equal(t, []Check{{Name: "MinimumThresholdCheck", Value: "0"}}, f.SDC.Checks)
}

func TestParse_legacyBefore04(t *testing.T) {
	r, err := Parse(fixture(t, "results-v0.3.json"))
	require.NoError(t, err)
	require.Equal(t, LayoutLegacy, r.Layout)
	require.Equal(t, "", r.Version)
	o, f := r.Find("output_0_0.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusFail, o.Status)
	require.Equal(t, "", o.Exception, "no exception requests before 0.4")
	require.Equal(t, []string{"grant types as coded by the funder"}, o.Comments)
	require.Equal(t, "output_0_0.csv", f.Name)
	require.Equal(t, 2, o.OutcomeCellsTotal)
	o, _ = r.Find("output_1_1.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusPass, o.Status)
}

func TestParse_earliestLayout(t *testing.T) {
	// The first releases wrote no status (the summary starts with it), the outcome as JSON
	// text, and the tables themselves in "output": no file is named.
	data := `{"output_0": {"command": "t = acro.crosstab(a, b)", "summary": "fail; threshold: 1 cells suppressed; ",
		"outcome": "{\"x\":{\"1\":\"threshold; \",\"2\":\"ok\"}}",
		"output": ["{\"x\":{\"1\":null,\"2\":12}}"]}}`
	r, err := Parse([]byte(data))
	require.NoError(t, err)
	require.Len(t, r.Outputs, 1)
	require.Equal(t, StatusFail, r.Outputs[0].Status)
	require.Empty(t, r.Outputs[0].Files)
	require.Equal(t, []OutcomeCell{{Row: "1", Column: "x", Outcome: "threshold"}}, r.Outputs[0].OutcomeCells)
}

func TestParse_statusesOtherThanACROsAreUnknown(t *testing.T) {
	r, err := Parse([]byte(`{"version": "9.0", "results": {"a": {"status": "approved", "files": ["a.csv"]}, "b": {"status": " PASS ", "files": ["b.csv"]}}}`))
	require.NoError(t, err)
	o, _ := r.Find("a.csv")
	require.Equal(t, StatusUnknown, o.Status)
	require.Equal(t, "approved", o.StatusText)
	o, _ = r.Find("b.csv")
	require.Equal(t, StatusPass, o.Status)
}

func TestParse_windowsNames(t *testing.T) {
	r, err := Parse([]byte(`{"version": "0.4.5", "results": {"a": {"status": "pass", "files": [{"name": ".\\sub\\a.csv", "sdc": {}}]}}}`))
	require.NoError(t, err)
	o, _ := r.Find("sub/a.csv")
	require.NotNil(t, o)
}

func TestParse_notACRO(t *testing.T) {
	for _, in := range []string{`[]`, `"results"`, `12`, `{}`, `{"accuracy": 0.93, "loss": 0.2}`, `{"results": {"a": 1}}`, `{"run": {"summary": "x"}}`} {
		_, err := Parse([]byte(in))
		require.ErrorIs(t, err, ErrNotACRO, in)
	}
}

func TestParse_malformed(t *testing.T) {
	cases := map[string]string{
		"":                                     "not valid JSON",
		`{"version": "0.4.12", "results": {`:   "not valid JSON",
		`{"version": "0.4.12", "results": []}`: `"results" is not an object`,
		`{"version": "0.4.12", "results": {"output_0": 3}}`: `record "output_0" is not an object`,
		`{"version": "0.4.12", "results": {}} trailing`:     "not valid JSON",
		"\xff\xfe{}": "not UTF-8",
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		var e *Error
		require.True(t, errors.As(err, &e), "%q: %v", in, err)
		require.Contains(t, e.Message, want, in)
		require.NotContains(t, e.Message, "json.", "messages carry no Go names")
	}
	_, err := Parse(make([]byte, MaxResultsSize+1))
	require.ErrorContains(t, err, "larger than 16 MiB")
}

func TestParse_badFieldsAreProblemsNotFailures(t *testing.T) {
	r, err := Parse([]byte(`{"version": "0.4.12", "results": {"o": {"status": "fail", "exception": 5, "comments": [1, "kept"],
		"files": [{"name": "a.csv", "sdc": {"summary": {"threshold": 1}, "cells": {"threshold": [[0], [1, 2], "x"]}}}, 7, {"sdc": {}}]}}}`))
	require.NoError(t, err)
	o, f := r.Find("a.csv")
	require.NotNil(t, o)
	require.Equal(t, StatusFail, o.Status)
	require.Equal(t, []string{"kept"}, o.Comments)
	require.Equal(t, []Cell{{Check: "threshold", Row: 1, Column: 2}}, f.SDC.Cells)
	joined := strings.Join(o.Problems, "\n")
	for _, want := range []string{`"exception" is not text`, "comment of the record is not text", "not a [row, column] pair", "neither a name nor an object", "has no name"} {
		require.Contains(t, joined, want)
	}
}

func TestParse_cellsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"version": "0.4.12", "results": {"o": {"status": "fail", "files": [{"name": "a.csv", "sdc": {"cells": {"threshold": [`)
	for i := range MaxCells + 20 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("[1, 1]")
	}
	b.WriteString(`]}}}]}}}`)
	r, err := Parse([]byte(b.String()))
	require.NoError(t, err)
	_, f := r.Find("a.csv")
	require.Len(t, f.SDC.Cells, MaxCells)
	require.Equal(t, MaxCells+20, f.SDC.CellsTotal)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestVerify(t *testing.T) {
	content := []byte("a,b\n1,2\n")
	good := sum(content)

	c := Verify(SubjectFile, []byte(good), true, good)
	require.Equal(t, ChecksumMatch, c.State)
	require.Equal(t, good, c.Expected)

	// sha256sum's layout, upper case and a newline are read too.
	c = Verify(SubjectFile, []byte(strings.ToUpper(good)+"  a.csv\n"), true, good)
	require.Equal(t, ChecksumMatch, c.State)

	c = Verify(SubjectFile, []byte(good), true, sum([]byte("a,b\n1,3\n")))
	require.Equal(t, ChecksumMismatch, c.State)
	require.Contains(t, c.Message, "does not match the checksum ACRO wrote")
	c = Verify(SubjectResults, []byte(good), true, sum([]byte("{}")))
	require.Equal(t, ChecksumMismatch, c.State)
	require.Contains(t, c.Message, "cannot be trusted")

	c = Verify(SubjectFile, nil, false, good)
	require.Equal(t, ChecksumMissing, c.State)
	require.Equal(t, "", c.Expected)

	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), good + "0"} {
		c = Verify(SubjectFile, []byte(bad), true, good)
		require.Equal(t, ChecksumInvalid, c.State, bad)
	}
	require.Equal(t, "checksums/ a.csv.txt", ChecksumPath(" a.csv"))
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"results-v0.4.json", "results-v1.json", "results-v0.3.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"version": 1, "results": {"a": {"files": [{"name": "x", "sdc": {"summary": {"suppressed": 1}, "cells": {"t": [[-1, 2]]}}}]}}}`))
	f.Add([]byte(`{"o": {"summary": "x", "command": "y", "output": "z", "outcome": "[1]"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrNotACRO) && !errors.As(err, &e) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		for _, o := range r.Outputs {
			if len(o.OutcomeCells) > MaxCells || len(o.OutcomeCells) > o.OutcomeCellsTotal {
				t.Fatalf("outcome cells not bounded: %d of %d", len(o.OutcomeCells), o.OutcomeCellsTotal)
			}
			for _, file := range o.Files {
				if len(file.SDC.Cells) > MaxCells {
					t.Fatalf("cells not bounded")
				}
				if got, _ := r.Find(file.Name); got == nil {
					t.Fatalf("Find(%q) finds nothing", file.Name)
				}
			}
		}
	})
}
