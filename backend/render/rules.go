package render

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Warning rule ids (docs/disclosure.md describes each), with the id of the catalogue
// entry of docs/reference/peers.md §4.7 each implements.
const (
	RuleSmallCount        = "small-count"          // C1: counts from 1 to Threshold-1
	RuleZero              = "zero"                 // C2: zero counts, when zeros are disclosive
	RuleRounding          = "rounding"             // C3: counts not rounded to RoundBase
	RuleMidpoint6         = "midpoint6"            // C4: a *_midpoint6 column not midpoint-6 rounded
	RuleNegative          = "negative"             // C5: negative values in a count column
	RuleMissing           = "missing-values"       // C6: empty cells in a count column
	RuleSecondary         = "secondary-disclosure" // C7: a redacted cell recoverable from a total
	RuleTotals            = "totals"               // C8: a total that is not the sum of its cells
	RuleExtremes          = "extremes"             // C9: a minimum or maximum column
	RuleRowCount          = "row-count"            // C10: too many rows for aggregate output
	RuleFileSize          = "file-size"            // C10: too large a file
	RuleIdentifierColumn  = "identifier-column"    // C11: a column named as a person's identifier
	RuleIdentifierPattern = "identifier-pattern"   // C11: a cell matching a configured pattern
	RuleDegreesOfFreedom  = "degrees-of-freedom"   // C13: residual degrees of freedom below the threshold
	RulePercentSum        = "percent-sum"          // C14: a percentage column not adding up to 100
	RulePercentSmall      = "percent-small-count"  // C14: a percentage or rate of a small or redacted count
	RuleSameValue         = "same-value"           // ACRO all-values-are-same: a whole column of one value
	RuleDominance         = "dominance"            // ACRO N-K and p%: where the table carries record counts
	RuleRagged            = "ragged"               // rows with a different number of cells
)

// SeverityOff in DisclosureRules.Severity turns a rule off.
const SeverityOff = "off"

// Rules lists every rule id, in the order of docs/disclosure.md.
var Rules = []string{
	RuleSmallCount, RuleZero, RuleRounding, RuleMidpoint6, RuleNegative, RuleMissing, RuleSecondary,
	RuleTotals, RuleExtremes, RuleRowCount, RuleFileSize, RuleIdentifierColumn, RuleIdentifierPattern,
	RuleDegreesOfFreedom, RulePercentSum, RulePercentSmall, RuleSameValue, RuleDominance, RuleRagged,
}

// Preset names.
const (
	PresetOpenSAFELY = "opensafely"
	PresetSACRO      = "sacro"
)

// Presets lists the preset names.
var Presets = []string{PresetOpenSAFELY, PresetSACRO}

// maxWarningCells bounds the cells listed by one warning (its message gives the full count).
const maxWarningCells = 1000

// DisclosureRules are the settings of the disclosure checks. Every field is also a key of the
// --disclosure-rules file (docs/disclosure.md); the zero value means DefaultRules (the
// OpenSAFELY preset), and zero or nil fields take that preset's value.
type DisclosureRules struct {
	// Threshold: counts 1..Threshold-1 are small (OpenSAFELY: 8, i.e. flag ≤ 7; SACRO/ONS: 10).
	Threshold int `json:"threshold"`
	// RoundBase: counts should be multiples of it (5).
	RoundBase int `json:"roundBase"`
	// ZerosDisclosive turns on the zero rule (SACRO: ACRO's zeros_are_disclosive); its
	// severity is Severity["zero"].
	ZerosDisclosive bool `json:"zerosDisclosive"`
	// BlockRows: more data rows than this is the row-count rule at its severity (the level-4
	// limit, 5000); WarnRows: at most WARN (1000).
	BlockRows int `json:"blockRows"`
	WarnRows  int `json:"warnRows"`
	// MaxFileBytes: a larger file is the file-size rule (16 MiB, the level-4 limit).
	MaxFileBytes int64 `json:"maxFileBytes"`
	// DofThreshold: residual degrees of freedom below it are flagged (ACRO: 10).
	DofThreshold int `json:"dofThreshold"`
	// NKn, NKk: the N-K dominance rule, the top n contributors more than k of a total (2, 0.9).
	NKn int     `json:"nkN"`
	NKk float64 `json:"nkK"`
	// PRatio: the p% rule, the others than the top two less than p of the largest (0.1).
	PRatio float64 `json:"pRatio"`
	// PercentTolerance: how far from 100 a percentage column's sum may be (0.5, for rounding).
	PercentTolerance float64 `json:"percentTolerance"`
	// Severity maps a rule id to "INFO", "WARN", "BLOCK" or "off"; a rule not listed keeps the
	// preset's severity. For small-count and row-count it is the severity of the worse case
	// (a column named as a count; more than BlockRows), the other case is at most WARN.
	Severity map[string]string `json:"severity"`
	// Words are the column-name vocabularies.
	Words Vocabulary `json:"words"`
	// MissingMarkers and RedactedMarkers are the cell values (compared lower-cased, without
	// white space) that mean missing and redacted; "<N", "<=N" and "≤N" are always redacted.
	MissingMarkers  []string `json:"missingMarkers"`
	RedactedMarkers []string `json:"redactedMarkers"`
	// IdentifierPatterns are regular expressions (Go syntax) a cell must not match
	// (identifier-pattern; none by default, e.g. OCWA's study id `^[us]\d{9}$`).
	IdentifierPatterns []string `json:"identifierPatterns"`

	compiled *compiledRules
}

// Vocabulary holds the words that give a column its role. Each entry is a word or a phrase
// ("patient_id", "top 2"); a column matches when the words of its name (split at anything
// but letters and digits, and at camelCase) contain the entry's words in a row. A list given
// in a rules file replaces the preset's list.
type Vocabulary struct {
	// Count: the name says the column is a count (its small counts are BLOCK, not WARN).
	Count []string `json:"count"`
	// NotCount: the name says the column is not a count, even with small whole numbers.
	NotCount []string `json:"notCount"`
	// Total: a count column holding the total of the row's other count columns.
	Total []string `json:"total"`
	// TotalLabels: a cell that labels its row as the total of the rows above (compared like
	// markers: lower-cased, without white space).
	TotalLabels []string `json:"totalLabels"`
	// Extremes: a minimum or maximum.
	Extremes []string `json:"extremes"`
	// Identifier: a column of person-level identifiers.
	Identifier []string `json:"identifier"`
	// DegreesOfFreedom: residual degrees of freedom of a model.
	DegreesOfFreedom []string `json:"degreesOfFreedom"`
	// Percent: a percentage (0-100; a name with "%" is one too). Rate: a rate or proportion.
	Percent []string `json:"percent"`
	Rate    []string `json:"rate"`
	// Sum and Mean: a sum or mean of a magnitude over the row's records (dominance).
	Sum  []string `json:"sum"`
	Mean []string `json:"mean"`
	// Largest and TopTwo: the largest contributor, and the sum of the two largest.
	Largest []string `json:"largest"`
	TopTwo  []string `json:"topTwo"`
}

// DefaultRules is the OpenSAFELY preset.
func DefaultRules() DisclosureRules {
	r, _ := Preset(PresetOpenSAFELY)
	return r
}

// Preset returns the named preset's rules; an unknown name is an error that lists the presets.
func Preset(name string) (DisclosureRules, error) {
	r := DisclosureRules{
		Threshold: 8, RoundBase: 5, BlockRows: 5000, WarnRows: 1000, MaxFileBytes: 16 << 20,
		DofThreshold: 10, NKn: 2, NKk: 0.9, PRatio: 0.1, PercentTolerance: 0.5,
		Severity:        defaultSeverity(),
		Words:           defaultWords(),
		MissingMarkers:  []string{"", "null", "none", "nan"},
		RedactedMarkers: []string{"[redacted]", "redacted", "[suppressed]", "suppressed", "na", "n/a", "*", "**"},
	}
	switch name {
	case PresetOpenSAFELY:
	case PresetSACRO:
		// ACRO's defaults (safe_threshold 10, zeros_are_disclosive): it asks for no rounding
		// and checks no missing values, and has no row or size limit of its own.
		r.Threshold, r.ZerosDisclosive = 10, true
		r.Severity[RuleRounding] = SeverityOff
		r.Severity[RuleMissing] = SeverityOff
		r.Severity[RuleRowCount] = SeverityWarn
		r.Severity[RuleFileSize] = SeverityWarn
	default:
		return DisclosureRules{}, fmt.Errorf("unknown disclosure preset %q (the presets are %s)", name, strings.Join(Presets, ", "))
	}
	return r, r.Compile()
}

func defaultSeverity() map[string]string {
	return map[string]string{
		RuleSmallCount: SeverityBlock, RuleZero: SeverityWarn, RuleRounding: SeverityWarn,
		RuleMidpoint6: SeverityWarn, RuleNegative: SeverityWarn, RuleMissing: SeverityInfo,
		RuleSecondary: SeverityWarn, RuleTotals: SeverityWarn, RuleExtremes: SeverityWarn,
		RuleRowCount: SeverityBlock, RuleFileSize: SeverityBlock, RuleIdentifierColumn: SeverityWarn,
		RuleIdentifierPattern: SeverityBlock, RuleDegreesOfFreedom: SeverityWarn,
		RulePercentSum: SeverityInfo, RulePercentSmall: SeverityWarn, RuleSameValue: SeverityWarn,
		RuleDominance: SeverityWarn, RuleRagged: SeverityInfo,
	}
}

func defaultWords() Vocabulary {
	return Vocabulary{
		Count: []string{"count", "counts", "n", "num", "number", "total", "patients", "people",
			"persons", "individuals", "events", "cases", "population", "denominator", "numerator",
			"frequency", "freq", "registered", "deaths", "admissions", "records"},
		NotCount: []string{"id", "code", "year", "yr", "age", "date", "month", "week", "day",
			"quarter", "period", "rank", "decile", "quintile", "percentile", "centile", "band", "group",
			"category", "index", "percent", "percentage", "pct", "perc", "proportion", "prop", "rate",
			"ratio", "mean", "median", "average", "avg", "sd", "std", "se", "ci", "lci", "uci", "lower",
			"upper", "or", "hr", "rr", "p", "pvalue", "score", "bmi", "min", "max", "minimum", "maximum",
			"region", "stp", "practice", "level", "change", "difference", "diff", "delta", "coef",
			"estimate", "beta", "log", "dof", "df", "cost"},
		Total:       []string{"total", "totals", "all", "overall", "sum"},
		TotalLabels: []string{"total", "totals", "all", "overall", "grandtotal", "sum", "alltotal"},
		Extremes:    []string{"min", "max", "minimum", "maximum"},
		Identifier: []string{"patient_id", "person_id", "patient_number", "nhs_number", "nhs_no",
			"pseudo_id", "participant_id", "subject_id", "date_of_birth", "dob", "birth_date",
			"postcode", "post_code", "full_name", "first_name", "surname", "forename", "email",
			"phone", "address"},
		DegreesOfFreedom: []string{"dof", "df", "df_resid", "df_residual", "residual_df",
			"degrees_of_freedom"},
		Percent: []string{"percent", "percentage", "pct", "perc"},
		Rate:    []string{"rate", "proportion", "prop"},
		Sum:     []string{"sum", "total_cost", "total_value", "total_amount"},
		Mean:    []string{"mean", "average", "avg"},
		Largest: []string{"max", "maximum", "largest"},
		TopTwo:  []string{"top_2", "top2", "top_two", "largest_two"},
	}
}

// ParseDisclosureRules reads a --disclosure-rules file (JSON) over the named preset: the
// keys given replace the preset's values, the others keep them. Unknown keys, bad values,
// unknown rules or severities and patterns that do not compile are errors (one line each).
func ParseDisclosureRules(preset string, data []byte) (DisclosureRules, error) {
	r, err := Preset(preset)
	if err != nil {
		return r, err
	}
	// The preset's lists must not be reused by a decode that replaces them.
	r.Words = Vocabulary{}
	base := defaultWords()
	r.MissingMarkers, r.RedactedMarkers = nil, nil
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return r, errors.New("it holds more than one JSON object")
	}
	fillWords(&r.Words, base)
	d, _ := Preset(preset)
	if r.MissingMarkers == nil {
		r.MissingMarkers = d.MissingMarkers
	}
	if r.RedactedMarkers == nil {
		r.RedactedMarkers = d.RedactedMarkers
	}
	for rule, sev := range r.Severity {
		if _, ok := d.Severity[rule]; !ok {
			return r, fmt.Errorf("severity: unknown rule %q (the rules are %s)", rule, strings.Join(Rules, ", "))
		}
		canon, ok := parseSeverity(sev)
		if !ok {
			return r, fmt.Errorf("severity of %q: %q is not INFO, WARN, BLOCK or off", rule, sev)
		}
		r.Severity[rule] = canon
	}
	return r, r.Compile()
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not valid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Errorf("%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.EOF):
		return errors.New("it is empty (it should hold a JSON object)")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	}
	return "a " + k
}

// fillWords gives every list left out of a rules file the preset's list.
func fillWords(w *Vocabulary, base Vocabulary) {
	for _, p := range []struct{ dst, src *[]string }{
		{&w.Count, &base.Count}, {&w.NotCount, &base.NotCount}, {&w.Total, &base.Total},
		{&w.TotalLabels, &base.TotalLabels}, {&w.Extremes, &base.Extremes},
		{&w.Identifier, &base.Identifier}, {&w.DegreesOfFreedom, &base.DegreesOfFreedom},
		{&w.Percent, &base.Percent}, {&w.Rate, &base.Rate}, {&w.Sum, &base.Sum},
		{&w.Mean, &base.Mean}, {&w.Largest, &base.Largest}, {&w.TopTwo, &base.TopTwo},
	} {
		if *p.dst == nil {
			*p.dst = *p.src
		}
	}
}

func parseSeverity(s string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case SeverityInfo:
		return SeverityInfo, true
	case SeverityWarn:
		return SeverityWarn, true
	case SeverityBlock:
		return SeverityBlock, true
	case "OFF":
		return SeverityOff, true
	}
	return "", false
}

// Compile checks the rules and prepares them for Summarize (which compiles rules that were
// not compiled, on every call).
func (r *DisclosureRules) Compile() error {
	d := r.withDefaults()
	switch {
	case d.Threshold < 1:
		return fmt.Errorf("threshold %d must be at least 1", d.Threshold)
	case d.RoundBase < 1:
		return fmt.Errorf("roundBase %d must be at least 1", d.RoundBase)
	case d.WarnRows < 1 || d.BlockRows < 1:
		return errors.New("warnRows and blockRows must be at least 1")
	case d.MaxFileBytes < 1:
		return errors.New("maxFileBytes must be at least 1")
	case d.DofThreshold < 1:
		return fmt.Errorf("dofThreshold %d must be at least 1", d.DofThreshold)
	case d.NKn < 1:
		return fmt.Errorf("nkN %d must be at least 1", d.NKn)
	case !(d.NKk > 0 && d.NKk <= 1):
		return fmt.Errorf("nkK %g must be above 0 and at most 1", d.NKk)
	case !(d.PRatio > 0 && d.PRatio < 1):
		return fmt.Errorf("pRatio %g must be between 0 and 1", d.PRatio)
	case !(d.PercentTolerance >= 0) || math.IsInf(d.PercentTolerance, 0):
		return fmt.Errorf("percentTolerance %g must be 0 or more", d.PercentTolerance)
	}
	c, err := compile(d)
	if err != nil {
		return err
	}
	r.compiled = c
	return nil
}

// withDefaults fills the zero fields from the OpenSAFELY preset (without compiling).
func (r DisclosureRules) withDefaults() DisclosureRules {
	d := DisclosureRules{
		Threshold: 8, RoundBase: 5, BlockRows: 5000, WarnRows: 1000, MaxFileBytes: 16 << 20,
		DofThreshold: 10, NKn: 2, NKk: 0.9, PRatio: 0.1, PercentTolerance: 0.5,
	}
	r.Threshold = cmp.Or(r.Threshold, d.Threshold)
	r.RoundBase = cmp.Or(r.RoundBase, d.RoundBase)
	r.BlockRows = cmp.Or(r.BlockRows, d.BlockRows)
	r.WarnRows = cmp.Or(r.WarnRows, d.WarnRows)
	r.MaxFileBytes = cmp.Or(r.MaxFileBytes, d.MaxFileBytes)
	r.DofThreshold = cmp.Or(r.DofThreshold, d.DofThreshold)
	r.NKn = cmp.Or(r.NKn, d.NKn)
	r.NKk = cmp.Or(r.NKk, d.NKk)
	r.PRatio = cmp.Or(r.PRatio, d.PRatio)
	r.PercentTolerance = cmp.Or(r.PercentTolerance, d.PercentTolerance)
	sev := defaultSeverity()
	for k, v := range r.Severity {
		sev[k] = v
	}
	r.Severity = sev
	fillWords(&r.Words, defaultWords())
	if r.MissingMarkers == nil {
		r.MissingMarkers = []string{"", "null", "none", "nan"}
	}
	if r.RedactedMarkers == nil {
		r.RedactedMarkers = []string{"[redacted]", "redacted", "[suppressed]", "suppressed", "na", "n/a", "*", "**"}
	}
	return r
}

// compiledRules is DisclosureRules made ready for the scan.
type compiledRules struct {
	DisclosureRules
	sev     map[string]string
	words   map[string]*phraseSet // vocabulary name -> matcher
	markers map[string]markerKind // normalised cell -> kind
	// shape[b][n]: a marker (or "<N") of n bytes may start with the (lower-cased) byte b.
	shape    [256][maxShape]bool
	maxMark  int // longest normalised marker, in bytes
	patterns []*regexp.Regexp
}

// maxShape bounds the marker lengths told apart by compiledRules.shape; cells of this
// length or more are looked up.
const maxShape = 64

type markerKind uint8

const (
	markMissing markerKind = 1 << iota
	markRedacted
	markTotal
)

func compile(r DisclosureRules) (*compiledRules, error) {
	c := &compiledRules{DisclosureRules: r, sev: r.Severity, words: map[string]*phraseSet{}, markers: map[string]markerKind{}}
	for rule, s := range r.Severity {
		if !slices.Contains(Rules, rule) {
			return nil, fmt.Errorf("severity: unknown rule %q", rule)
		}
		if _, ok := parseSeverity(s); !ok {
			return nil, fmt.Errorf("severity of %q: %q is not INFO, WARN, BLOCK or off", rule, s)
		}
	}
	w := r.Words
	for _, v := range []struct {
		name  string
		words []string
	}{
		{"count", w.Count}, {"notCount", w.NotCount}, {"total", w.Total}, {"extremes", w.Extremes},
		{"identifier", w.Identifier}, {"degreesOfFreedom", w.DegreesOfFreedom}, {"percent", w.Percent},
		{"rate", w.Rate}, {"sum", w.Sum}, {"mean", w.Mean}, {"largest", w.Largest}, {"topTwo", w.TopTwo},
	} {
		ps, err := newPhraseSet(v.words)
		if err != nil {
			return nil, fmt.Errorf("words.%s: %v", v.name, err)
		}
		c.words[v.name] = ps
	}
	for _, m := range []struct {
		name string
		list []string
		kind markerKind
	}{
		{"missingMarkers", r.MissingMarkers, markMissing}, {"redactedMarkers", r.RedactedMarkers, markRedacted},
		{"words.totalLabels", w.TotalLabels, markTotal},
	} {
		for _, s := range m.list {
			n := string(normaliseCell(nil, []byte(s)))
			if n == "" && m.kind != markMissing {
				return nil, fmt.Errorf("%s: an empty marker", m.name)
			}
			if k, ok := c.markers[n]; ok && k != m.kind {
				return nil, fmt.Errorf("%s: %q is also in another list of markers", m.name, s)
			}
			c.markers[n] = m.kind
			if n != "" && len(n) < maxShape {
				c.shape[n[0]][len(n)] = true
			} else if n != "" {
				for k := range maxShape {
					c.shape[n[0]][k] = true // a long marker: every cell with its first byte
				}
			}
			c.maxMark = max(c.maxMark, len(n))
		}
	}
	for k := range maxShape {
		c.shape['<'][k] = true // "<N", "<=N"
	}
	c.maxMark = max(c.maxMark, 24)
	for _, p := range r.IdentifierPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("identifierPatterns: %q does not compile: %v", p, err)
		}
		c.patterns = append(c.patterns, re)
	}
	return c, nil
}

// severity of a rule; "" when the rule is off.
func (c *compiledRules) severity(rule string) string {
	s, _ := parseSeverity(c.sev[rule])
	if s == SeverityOff {
		return ""
	}
	return s
}

// lesser is the severity of a rule's milder case: at most WARN.
func lesser(sev string) string {
	if sev == SeverityBlock {
		return SeverityWarn
	}
	return sev
}

// phraseSet matches column names against word phrases.
type phraseSet struct {
	byFirst map[string][][]string
}

func newPhraseSet(entries []string) (*phraseSet, error) {
	ps := &phraseSet{byFirst: map[string][][]string{}}
	for _, e := range entries {
		toks := headerTokens(e)
		if len(toks) == 0 {
			return nil, fmt.Errorf("%q has no letters or digits", e)
		}
		ps.byFirst[toks[0]] = append(ps.byFirst[toks[0]], toks)
	}
	for _, l := range ps.byFirst {
		sort.Slice(l, func(i, j int) bool { return len(l[i]) > len(l[j]) })
	}
	return ps, nil
}

// match reports whether the name's words contain one of the phrases.
func (ps *phraseSet) match(toks []string) bool {
	for i, t := range toks {
		for _, p := range ps.byFirst[t] {
			if i+len(p) <= len(toks) && slices.Equal(toks[i:i+len(p)], p) {
				return true
			}
		}
	}
	return false
}

// normaliseCell appends the cell lower-cased and without white space to dst.
func normaliseCell(dst, cell []byte) []byte {
	for len(cell) > 0 {
		c := cell[0]
		if c < utf8.RuneSelf {
			cell = cell[1:]
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			case 'A' <= c && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			default:
				dst = append(dst, c)
			}
			continue
		}
		r, n := utf8.DecodeRune(cell)
		cell = cell[n:]
		if !unicode.IsSpace(r) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}
