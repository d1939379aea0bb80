package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/render"
)

func TestDisclosureSettings(t *testing.T) {
	s, err := parseWith(nil)
	require.NoError(t, err)
	assert.Equal(t, render.PresetOpenSAFELY, s.DisclosurePreset)
	assert.Equal(t, 8, s.Disclosure.Threshold, "OpenSAFELY by default")
	assert.False(t, s.Disclosure.ZerosDisclosive)

	s, err = parseWith(map[string]string{"AIRLOCK_DISCLOSURE_PRESET": "sacro"})
	require.NoError(t, err)
	assert.Equal(t, 10, s.Disclosure.Threshold)
	assert.True(t, s.Disclosure.ZerosDisclosive)

	s, err = parseWith(map[string]string{"AIRLOCK_DISCLOSURE_PRESET": "sacro"}, "--disclosure-preset", "opensafely")
	require.NoError(t, err)
	assert.Equal(t, 8, s.Disclosure.Threshold, "the flag wins")

	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := file("good.json", `{"threshold": 11, "severity": {"rounding": "info"}, "words": {"count": ["n", "tally"]}}`)
	s, err = parseWith(map[string]string{"AIRLOCK_DISCLOSURE_RULES": good}, "--disclosure-preset", "sacro")
	require.NoError(t, err)
	assert.Equal(t, 11, s.Disclosure.Threshold)
	assert.True(t, s.Disclosure.ZerosDisclosive, "what the file leaves out keeps the preset's value")
	assert.Equal(t, render.SeverityInfo, s.Disclosure.Severity[render.RuleRounding])
	assert.Equal(t, []string{"n", "tally"}, s.Disclosure.Words.Count)
	assert.NotEmpty(t, s.Disclosure.Words.NotCount)

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown preset": {[]string{"--disclosure-preset", "ons"}, `--disclosure-preset: unknown disclosure preset "ons" (the presets are opensafely, sacro)`},
		"missing file":   {[]string{"--disclosure-rules", filepath.Join(dir, "none.json")}, "none.json: no such file or directory"},
		"not JSON":       {[]string{"--disclosure-rules", file("bad.json", `{"threshold": 10,}`)}, "bad.json: not valid JSON at byte"},
		"empty":          {[]string{"--disclosure-rules", file("empty.json", ``)}, "it is empty"},
		"unknown key":    {[]string{"--disclosure-rules", file("key.json", `{"treshold": 10}`)}, `unknown field "treshold"`},
		"wrong type":     {[]string{"--disclosure-rules", file("type.json", `{"threshold": "10"}`)}, "threshold must be a whole number, not string"},
		"bad threshold":  {[]string{"--disclosure-rules", file("zero.json", `{"threshold": -1}`)}, "threshold -1 must be at least 1"},
		"unknown rule":   {[]string{"--disclosure-rules", file("rule.json", `{"severity": {"small": "WARN"}}`)}, `severity: unknown rule "small"`},
		"bad severity":   {[]string{"--disclosure-rules", file("sev.json", `{"severity": {"zero": "LOUD"}}`)}, `severity of "zero": "LOUD" is not INFO, WARN, BLOCK or off`},
		"bad pattern":    {[]string{"--disclosure-rules", file("re.json", `{"identifierPatterns": ["[us"]}`)}, `identifierPatterns: "[us" does not compile`},
		"empty word":     {[]string{"--disclosure-rules", file("word.json", `{"words": {"count": ["_"]}}`)}, `words.count: "_" has no letters or digits`},
		"two objects":    {[]string{"--disclosure-rules", file("two.json", `{} {}`)}, "more than one JSON object"},
		"marker twice":   {[]string{"--disclosure-rules", file("mark.json", `{"missingMarkers": ["", "na"]}`)}, `"na" is also in another list of markers`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseWith(nil, tc.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, `^--disclosure-(preset|rules)`, err.Error())
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// The preset chosen for serve is the one the summary route checks with: a count of 9 is
// small under SACRO's threshold of 10, not under OpenSAFELY's 8, where it is not rounded.
func TestServeUsesDisclosurePreset(t *testing.T) {
	d := demoDir(t)
	p := filepath.Join(d, "workspaces", "rulesdata", "output", "t.csv")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
	require.NoError(t, os.WriteFile(p, []byte("group,count\nA,9\nB,20\n"), 0o600))
	for preset, want := range map[string][]string{
		"opensafely": {render.RuleRounding},
		"sacro":      {render.RuleSmallCount},
	} {
		t.Run(preset, func(t *testing.T) {
			s := startServe(t, "--data-dir", d, "--disclosure-preset", preset)
			olivia := login(t, s.url, "olivia", "olivia-demo")
			status, body := get(t, s.url+"/api/v1/workspaces/rulesdata/summary/output/t.csv", olivia)
			require.Equal(t, http.StatusOK, status, body)
			var sum render.Summary
			require.NoError(t, json.Unmarshal([]byte(body), &sum))
			rules := []string{}
			for _, w := range sum.Warnings {
				rules = append(rules, w.Rule)
			}
			assert.Equal(t, want, rules)
			require.NoError(t, s.stop(t))
		})
	}
}
