package render

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// FuzzSummarize: the summary of any input never panics, succeeds exactly when encoding/csv
// reads the file (variable fields, strict quotes), counts its data rows, has one column per
// header cell, names only cells that exist, and can always be sent as JSON.
func FuzzSummarize(f *testing.F) {
	for _, s := range []string{
		"group,count\na,5\nb,3\n", "n,total\n5,10\n[REDACTED],5\n", "a,b\n1\n1,2,3\n",
		"x_midpoint6,y\n3,1\n9,2\n", "a\n\"b\nc\",d\n",
		"\"unclosed\n", "a,a,a\n1,2,3\n", "min,max\n1e308,1e308\n1e308,1e308\n", "count\n-0\n0x10\n1_000\nNaN\nInf\n", "", "\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sum, err := Summarize(context.Background(), bytes.NewReader(in), DefaultRules())
		records, stdErr := readAllStd(string(in))
		if stdErr != nil {
			if err == nil {
				t.Fatalf("%q: encoding/csv fails (%v) but the summary succeeds", in, stdErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: encoding/csv reads it but the summary fails: %v", in, err)
		}
		if len(records) == 0 {
			if sum.Rows != 0 || len(sum.Columns) != 0 {
				t.Fatalf("%q: empty file summarised as %+v", in, sum)
			}
			return
		}
		if sum.Rows != len(records)-1 {
			t.Fatalf("%q: %d data rows, summary says %d", in, len(records)-1, sum.Rows)
		}
		if len(sum.Columns) != len(records[0]) {
			t.Fatalf("%q: %d header cells, %d columns", in, len(records[0]), len(sum.Columns))
		}
		for _, w := range sum.Warnings {
			for _, c := range w.Cells {
				if c.Row < 0 || c.Row >= sum.Rows || c.Column < 0 || (c.Column >= len(sum.Columns) && w.Rule != RuleRagged) {
					t.Fatalf("%q: warning %s names cell %+v outside %d rows × %d columns", in, w.Rule, c, sum.Rows, len(sum.Columns))
				}
			}
		}
		if _, err := json.Marshal(sum); err != nil {
			t.Fatalf("%q: the summary cannot be sent as JSON: %v", in, err)
		}
	})
}
