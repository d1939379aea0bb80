package render

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func summarizeWith(t *testing.T, rules DisclosureRules, csv string) Summary {
	t.Helper()
	s, err := Summarize(context.Background(), bytes.NewReader([]byte(csv)), rules)
	require.NoError(t, err)
	return s
}

func mustPreset(t *testing.T, name string) DisclosureRules {
	t.Helper()
	r, err := Preset(name)
	require.NoError(t, err)
	return r
}

func mustRules(t *testing.T, preset, json string) DisclosureRules {
	t.Helper()
	r, err := ParseDisclosureRules(preset, []byte(json))
	require.NoError(t, err)
	return r
}

func alarms(s Summary) []string {
	var out []string
	for _, w := range s.Warnings {
		if w.Severity != SeverityInfo {
			out = append(out, w.Rule+":"+w.Severity)
		}
	}
	return out
}

// Each rule with a table it flags and a safe table like it that it does not: the unsafe
// table's warning of the rule has the severity and cells given; the safe table has no
// warning of the rule, and none at WARN or BLOCK at all.
func TestRules_SafeAndUnsafeTables(t *testing.T) {
	os, sacro := mustPreset(t, PresetOpenSAFELY), mustPreset(t, PresetSACRO)
	small := mustRules(t, PresetOpenSAFELY, `{"maxFileBytes": 64, "identifierPatterns": ["^[us][0-9]{9}$"]}`)
	var many strings.Builder
	many.WriteString("practice,count\n")
	for i := range 1001 {
		many.WriteString("P" + strings.Repeat("x", i%3) + ",10\n")
	}
	for _, tc := range []struct {
		rule         string
		rules        DisclosureRules
		unsafe, safe string
		severity     string
		cells        []Cell // nil: not checked
	}{
		{RuleSmallCount, os, "group,count\nA,5\nB,25\n", "group,count\nA,10\nB,25\n", SeverityBlock, []Cell{{0, 1}}},
		{RuleSmallCount, os, "group,male,female\nA,5,20\nB,25,30\n", "group,male,female\nA,10,20\nB,25,30\n", SeverityWarn, []Cell{{0, 1}}},
		{RuleSmallCount, os, "characteristic,cases,controls\nA,5 (2.5%),120 (60.0%)\nB,195 (97.5%),80 (40.0%)\n", "characteristic,cases,controls\nA,10 (5.0%),120 (60.0%)\nB,190 (95.0%),80 (40.0%)\n", SeverityBlock, []Cell{{0, 1}}},
		{RuleSmallCount, sacro, "group,count\nA,9\nB,25\n", "group,count\nA,10\nB,25\n", SeverityBlock, []Cell{{0, 1}}},
		{RuleZero, sacro, "group,count\nA,0\nB,25\n", "group,count\nA,10\nB,25\n", SeverityWarn, []Cell{{0, 1}}},
		{RuleRounding, os, "group,count\nA,12\nB,25\n", "group,count\nA,10\nB,25\n", SeverityWarn, []Cell{{0, 1}}},
		{RuleMidpoint6, os, "group,events_midpoint6\nA,9\nB,10\n", "group,events_midpoint6\nA,9\nB,15\n", SeverityWarn, []Cell{{1, 1}}},
		{RuleNegative, os, "group,count\nA,-10\nB,25\n", "group,count\nA,10\nB,25\n", SeverityWarn, []Cell{{0, 1}}},
		{RuleSecondary, os, "region,male,female,total\nNorth,100,[REDACTED],105\nSouth,50,55,105\n", "region,male,female,total\nNorth,[REDACTED],[REDACTED],105\nSouth,50,55,105\n", SeverityWarn, []Cell{{0, 2}, {0, 3}}},
		{RuleSecondary, os, "site,cases\nA,100\nB,<=7\nTotal,105\n", "site,cases\nA,100\nB,<=7\nTotal,[REDACTED]\n", SeverityWarn, []Cell{{1, 1}, {2, 1}}},
		{RuleSecondary, os, "region,a,b,c,total\nNorth,100,*,*,105\nSouth,50,55,10,115\n", "region,a,b,c,total\nNorth,100,*,*,125\nSouth,50,55,10,115\n", SeverityWarn, []Cell{{0, 2}, {0, 3}, {0, 4}}},
		{RuleSecondary, os, "category,percent\nA,60.0\nB,[REDACTED]\nC,35.0\n", "category,percent\nA,60.0\nB,[REDACTED]\nC,[REDACTED]\n", SeverityWarn, []Cell{{1, 1}}},
		{RuleSecondary, os, "category,count,percent\nA,600,60.1\nB,[REDACTED],[REDACTED]\nC,395,39.6\n", "category,count,percent\nA,600,60.1\nB,[REDACTED],[REDACTED]\nC,[REDACTED],[REDACTED]\n", SeverityWarn, []Cell{{1, 1}, {1, 2}}},
		{RuleTotals, os, "site,cases\nA,10\nB,15\nC,20\nTotal,50\n", "site,cases\nA,10\nB,15\nC,20\nTotal,45\n", SeverityWarn, []Cell{{3, 1}}},
		{RuleTotals, os, "group,a,b,total\nX,10,15,30\nY,20,20,40\n", "group,a,b,total\nX,10,15,25\nY,20,20,40\n", SeverityWarn, []Cell{{0, 3}}},
		{RuleTotals, os, "group,category,n\nG1,C1,10\nG1,C2,20\nG1,Total,35\nG2,C1,15\nG2,Total,15\n", "group,category,n\nG1,C1,10\nG1,C2,20\nG1,Total,30\nG2,C1,15\nG2,Total,15\n", SeverityWarn, []Cell{{2, 2}}},
		{RuleExtremes, os, "group,n,max_cost\nA,10,500.5\n", "group,n,median_cost\nA,10,500.5\n", SeverityWarn, nil},
		{RuleRowCount, os, many.String(), "practice,count\nP1,10\n", SeverityWarn, nil},
		{RuleFileSize, small, "group,count\nA,10\nB,25\nC,30\nD,40\nE,50\nF,60\nG,70\nH,80\nI,90\nJ,95\nK,100\n", "group,count\nA,10\n", SeverityBlock, nil},
		{RuleIdentifierColumn, os, "patient_id,count\n1001,10\n", "practice_id,count\n1001,10\n", SeverityWarn, nil},
		{RuleIdentifierPattern, small, "site,count\nu123456789,10\n", "site,count\nu12,10\n", SeverityBlock, []Cell{{0, 0}}},
		{RuleDegreesOfFreedom, os, "term,estimate,df_resid\nage,0.5,5\n", "term,estimate,df_resid\nage,0.5,120\n", SeverityWarn, []Cell{{0, 2}}},
		{RulePercentSmall, os, "group,count,percent\nA,[REDACTED],2.5\nB,195,97.5\n", "group,count,percent\nA,[REDACTED],[REDACTED]\nB,[REDACTED],[REDACTED]\nC,190,95.0\n", SeverityWarn, []Cell{{0, 2}}},
		{RulePercentSmall, os, "group,events,population,rate\nA,5,2000,2.5\nB,100,2000,50.0\n", "group,events,population,rate\nA,[REDACTED],2000,[REDACTED]\nB,100,2000,50.0\n", SeverityWarn, []Cell{{0, 3}}},
		{RuleSameValue, os, "group,count\nA,15\nB,15\nC,15\n", "group,count\nA,15\nB,20\nC,25\n", SeverityWarn, nil},
		{RuleSameValue, os, "group,n,mean_bmi\nA,15,27.5\nB,20,27.5\nC,25,27.5\n", "group,n,mean_bmi\nA,15,27.5\nB,20,26.1\nC,25,28.0\n", SeverityWarn, nil},
		{RuleDominance, os, "group,n,sum_cost,max_cost\nA,20,1000,950\nB,25,2000,300\n", "group,n,sum_cost,median_cost\nA,20,1000,50\nB,25,2000,80\n", SeverityWarn, []Cell{{0, 2}}},
		{RuleDominance, os, "group,n,sum_cost,top_2_cost\nA,20,1000,950\n", "group,n,sum_cost,top_2_cost\nA,20,1000,300\n", SeverityWarn, []Cell{{0, 2}}},
		{RuleDominance, os, "group,records,sum_cost\nA,2,1000\n", "group,records,mean_cost\nA,20,1000\n", SeverityBlock, nil}, // records ≤ 2 is also small-count (BLOCK); dominance WARN
	} {
		t.Run(tc.rule+"/"+firstLines(tc.unsafe, 1), func(t *testing.T) {
			u := warningsOf(summarizeWith(t, tc.rules, tc.unsafe), tc.rule)
			require.NotEmpty(t, u, "the unsafe table is flagged")
			if tc.rule == RuleDominance && tc.severity == SeverityBlock {
				assert.Equal(t, SeverityWarn, u[0].Severity)
			} else {
				assert.Equal(t, tc.severity, u[0].Severity, u[0].Message)
			}
			if tc.cells != nil {
				assert.Equal(t, tc.cells, u[0].Cells, u[0].Message)
			}
			assert.NotEmpty(t, u[0].Message)
			s := summarizeWith(t, tc.rules, tc.safe)
			for _, w := range warningsOf(s, tc.rule) {
				assert.Equal(t, SeverityInfo, w.Severity, "safe table: %s", w.Message)
			}
			assert.Empty(t, alarms(s), "the safe table raises nothing")
		})
	}
}

func TestRules_InfoRules(t *testing.T) {
	os := mustPreset(t, PresetOpenSAFELY)
	t.Run("missing values in a count column", func(t *testing.T) {
		ws := warningsOf(summarizeWith(t, os, "group,count\nA,\nB,25\n"), RuleMissing)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityInfo, ws[0].Severity)
		assert.Equal(t, []Cell{{0, 1}}, ws[0].Cells)
		assert.Empty(t, warningsOf(summarizeWith(t, os, "group,count\nA,10\nB,25\n"), RuleMissing))
		assert.Empty(t, warningsOf(summarizeWith(t, mustPreset(t, PresetSACRO), "group,count\nA,\nB,25\n"), RuleMissing), "ACRO checks no missing values by default")
	})
	t.Run("percentages not adding up to 100", func(t *testing.T) {
		ws := warningsOf(summarizeWith(t, os, "group,percent\nA,40\nB,40\n"), RulePercentSum)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityInfo, ws[0].Severity)
		assert.Empty(t, warningsOf(summarizeWith(t, os, "group,percent\nA,40.1\nB,59.8\n"), RulePercentSum), "within rounding")
		assert.Empty(t, warningsOf(summarizeWith(t, os, "group,cat,percent\nA,x,40\nA,y,60\nB,x,30\nB,y,70\n"), RulePercentSum), "one distribution per group")
	})
	t.Run("dominance cannot be checked without contributions", func(t *testing.T) {
		ws := warningsOf(summarizeWith(t, os, "group,n,mean_cost\nA,20,50.5\n"), RuleDominance)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityInfo, ws[0].Severity)
		assert.Empty(t, ws[0].Cells)
	})
	t.Run("a total column that is never the sum is a denominator, not a breakdown", func(t *testing.T) {
		ws := warningsOf(summarizeWith(t, os, "group,cases,total\nA,20,500\nB,35,800\n"), RuleTotals)
		require.Len(t, ws, 1)
		assert.Equal(t, SeverityInfo, ws[0].Severity)
	})
}

func TestRules_Presets(t *testing.T) {
	os, sacro := mustPreset(t, PresetOpenSAFELY), mustPreset(t, PresetSACRO)
	assert.Equal(t, DefaultRules().Threshold, os.Threshold)
	assert.Equal(t, 8, os.Threshold)
	assert.Equal(t, 10, sacro.Threshold)
	assert.True(t, sacro.ZerosDisclosive)
	assert.False(t, os.ZerosDisclosive)
	table := "group,count\nA,0\nB,12\nC,9\n"
	assert.ElementsMatch(t, []string{"rounding:WARN"}, alarms(summarizeWith(t, os, table)), "zeros are allowed, 9 is not small")
	assert.ElementsMatch(t, []string{"small-count:BLOCK", "zero:WARN"}, alarms(summarizeWith(t, sacro, table)), "9 is small, a zero is disclosive, rounding is not checked")
	assert.Equal(t, alarms(summarizeWith(t, DisclosureRules{}, table)), alarms(summarizeWith(t, os, table)), "the zero value is the OpenSAFELY preset")
	_, err := Preset("ons")
	assert.EqualError(t, err, `unknown disclosure preset "ons" (the presets are opensafely, sacro)`)
}

func TestRules_FileOverridesPreset(t *testing.T) {
	r := mustRules(t, PresetOpenSAFELY, `{"threshold": 11, "severity": {"small-count": "WARN", "rounding": "off"}, "words": {"count": ["tally"]}, "redactedMarkers": ["x"]}`)
	s := summarizeWith(t, r, "group,tally,count,other\nA,10,10,5\nB,x,x,[REDACTED]\n")
	ws := warningsOf(s, RuleSmallCount)
	require.Len(t, ws, 2, "a threshold of 11 makes 10 small; count is no longer a count word, but still a count column")
	assert.Equal(t, SeverityWarn, ws[0].Severity, "small-count at WARN for a named count")
	assert.Equal(t, 1, *ws[0].Column)
	assert.Equal(t, SeverityWarn, ws[1].Severity, "and at most WARN for another count column")
	assert.Empty(t, warningsOf(s, RuleRounding), "rounding is off")
	assert.Equal(t, 1, colByName(t, s, "tally").Redacted, "x is a redaction marker")
	assert.Equal(t, 0, colByName(t, s, "other").Redacted, "[REDACTED] is not one any more")
	assert.Equal(t, "mixed", colByName(t, s, "other").Type)

	z := mustRules(t, PresetOpenSAFELY, `{"zerosDisclosive": true, "severity": {"zero": "block"}}`)
	ws = warningsOf(summarizeWith(t, z, "group,count\nA,0\nB,25\n"), RuleZero)
	require.Len(t, ws, 1)
	assert.Equal(t, SeverityBlock, ws[0].Severity)

	p := mustRules(t, PresetSACRO, `{"words": {"identifier": ["study number"]}}`)
	assert.Len(t, warningsOf(summarizeWith(t, p, "Study Number,count\n1,10\n"), RuleIdentifierColumn), 1)
	assert.Empty(t, warningsOf(summarizeWith(t, p, "patient_id,count\n1,10\n"), RuleIdentifierColumn), "a list replaces the preset's")
}

// A column that looks like a count in the first rows and turns out not to be one is taken
// out of the row totals again (the second pass): here b is text from its second row, so
// the total is never the sum of a alone, a denominator beside a numerator, and INFO.
func TestRules_RowTotalsAreRecheckedWhenAColumnIsNotACount(t *testing.T) {
	s := summarizeWith(t, DefaultRules(), "g,a,b,total\nX,10,15,25\nY,5,x,20\nZ,15,x,40\n")
	ws := warningsOf(s, RuleTotals)
	require.Len(t, ws, 1)
	assert.Equal(t, SeverityInfo, ws[0].Severity, ws[0].Message)
	assert.Equal(t, []Cell{{0, 3}, {1, 3}, {2, 3}}, ws[0].Cells)

	// The total column itself only shows a text cell late: no row totals at all.
	s = summarizeWith(t, DefaultRules(), "g,a,b,total\nX,10,15,30\nY,5,10,n/k\n")
	assert.Empty(t, warningsOf(s, RuleTotals))
}

// Cells of the number fast path read as strconv reads them.
func TestClassifyNumbers(t *testing.T) {
	cr := DefaultRules().compiled
	var scratch []byte
	for in, want := range map[string]float64{
		"12": 12, "-3": -3, "+7": 7, " 25 ": 25, "0.1": 0.1, "-0.25": -0.25, "1.": 1, ".5": 0.5,
		"123456789012345678": 123456789012345678, "3.14159265358979": 3.14159265358979, "1e3": 1000,
		"12345678901234567890": 12345678901234567890, "0.000000000000000000001": 1e-21,
	} {
		kind, _, v, _ := cr.classify([]byte(in), &scratch)
		assert.Equal(t, cellNumber, kind, in)
		assert.Equal(t, want, v, in)
	}
	for _, in := range []string{"1,000", "12%", "inf", "0x10", "-", "+", ".", "1-2", "1e", "e5", "1.2.3"} {
		kind, _, _, _ := cr.classify([]byte(in), &scratch)
		assert.NotEqual(t, cellNumber, kind, in)
	}
}

// The number fast paths agree with numberShape and strconv on random cells.
func TestClassifyAgreesWithStrconv(t *testing.T) {
	cr := DefaultRules().compiled
	var scratch []byte
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789.-+eE x"
	for range 50_000 {
		b := make([]byte, 1+r.IntN(22))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		kind, iv, v, isInt := cr.classify(b, &scratch)
		t0 := bytes.TrimSpace(b)
		ok, integer := numberShape(t0)
		want, err := strconv.ParseFloat(string(t0), 64)
		isNum := ok && len(t0) <= 32 && err == nil && !math.IsInf(want, 0)
		if !assert.Equal(t, isNum, kind == cellNumber, "%q", b) || !isNum {
			continue
		}
		assert.Equal(t, want, v, "%q", b)
		if isInt {
			assert.True(t, integer, "%q", b)
			n, err := strconv.ParseInt(string(t0), 10, 64)
			assert.NoError(t, err, "%q", b)
			assert.Equal(t, n, iv, "%q", b)
		}
	}
}
