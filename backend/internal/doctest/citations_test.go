package doctest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The forms of a citation:
//
//   - explicit: a document path and a section, "docs/reference/domain.md §12.22". A path
//     in a code file is relative to the repository root and must start with docs/; in a
//     document it may also be relative to the document's folder.
//   - continued: further sections after an explicit one, joined by ",", "and", "or", "to",
//     "/" or a dash: "docs/decisions.md §2, §3", "§12.86 to §12.100". They cite the same
//     document.
//   - bare: "§4.4.8" alone. In a document it cites the document itself. In code it cites
//     the file's default document: the first docs/reference/ document named in the package
//     doc comment (Go), else the first docs/reference/ document the file itself cites
//     explicitly before it.
//   - behaviours: "behaviour 88", "Behaviours 10, 12 and 86-100" cite §12.N of the same
//     default document.
var (
	sectionRe   = regexp.MustCompile(`§(\d+(?:\.\d+)*)`)
	explicitRe  = regexp.MustCompile(`((?:\.\./|\./)?(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.md) §(\d+(?:\.\d+)*)`)
	continueRe  = regexp.MustCompile(`^(?:\s*(?:,|and|or|to|/|-|–|&)\s*)+§(\d+(?:\.\d+)*)`)
	behaviourRe = regexp.MustCompile(`\b[Bb]ehaviou?rs?\s+(\d+(?:\s*(?:,|and|-|–)\s*\d+)*)`)
	docPathRe   = regexp.MustCompile(`\bdocs/(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.md\b`)
	mdLinkRe    = regexp.MustCompile(`\]\(([^)#\s]+\.md)(?:#[^)]*)?\)`)
	referenceRe = regexp.MustCompile(`docs/reference/[a-z0-9_-]+\.md`)
	// splitRe finds a document whose section went to the next comment line (a reflowed
	// paragraph), which would leave the section bare.
	splitRe = regexp.MustCompile(`\.md[ \t]*\n[ \t]*(?://|\*|#)?[ \t]*§`)
	// headingRe and itemRe find the sections a document has: numbered headings
	// ("## 4.", "### 4.4 …", "#### 4.4.1 …") and numbered items ("- **12.22** …").
	headingRe = regexp.MustCompile(`^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s`)
	itemRe    = regexp.MustCompile(`^\s*[-*]\s+\*\*(\d+(?:\.\d+)+)\*\*`)
)

// stale are citations of documents that are not in the repository (they lived beside it
// while it was written), and the vague "reference §N" whose document is not named.
var stale = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`\.\./shared/`), "a folder outside the repository"},
	{regexp.MustCompile(`airlock-domain\.md|airlock-ui\.md|wails-notes\.md`), "a reference document outside the repository (docs/reference/ has ours)"},
	{regexp.MustCompile(`\bARCHITECTURE\.md\b`), "ARCHITECTURE.md (ours is docs/architecture.md)"},
	{regexp.MustCompile(`\bDECISIONS\b`), "DECISIONS (ours is docs/decisions.md §N)"},
	{regexp.MustCompile(`\bAPI\.md\b`), "API.md (ours is docs/api.md)"},
	{regexp.MustCompile(`\bSTYLE\.md\b`), "STYLE.md, which is not in the repository"},
	{regexp.MustCompile(`\breference §`), `"reference §N" without naming the document (write docs/reference/domain.md §N)`},
}

// scanned says which files hold citations.
func scanned(rel string) bool {
	switch path.Ext(rel) {
	case ".go", ".ts", ".svelte":
		return true
	case ".md":
		return strings.HasPrefix(rel, "docs/") || !strings.Contains(rel, "/")
	}
	return false
}

// skippedDir are folders never scanned: dependencies, build output, test data, and this
// package (whose tests quote wrong citations on purpose).
func skippedDir(rel string) bool {
	base := path.Base(rel)
	return strings.HasPrefix(base, ".") || base == "node_modules" || base == "dist" || base == "testdata" ||
		rel == "build/bin" || rel == "backend/internal/doctest"
}

// repo is the set of files the checker looks at, by slash path relative to the root.
type repo struct {
	files map[string]string
	// sections holds the section numbers of every document that was asked for.
	sections map[string]map[string]bool
	// pkgDefault is the default document of each Go package folder ("" when none).
	pkgDefault map[string]string
}

func newRepo(files map[string]string) *repo {
	r := &repo{files: files, sections: map[string]map[string]bool{}, pkgDefault: map[string]string{}}
	for name, text := range files {
		if path.Ext(name) != ".go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, text, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil || f.Doc == nil {
			continue
		}
		if doc := referenceRe.FindString(f.Doc.Text()); doc != "" {
			r.pkgDefault[path.Dir(name)] = doc
		}
	}
	return r
}

// loadRepo reads every scanned file under root.
func loadRepo(t *testing.T, root string) *repo {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && skippedDir(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !scanned(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = string(b)
		return nil
	})
	require.NoError(t, err)
	return newRepo(files)
}

// sectionsOf returns the section numbers document doc has, or nil when it does not exist.
func (r *repo) sectionsOf(doc string) map[string]bool {
	if s, ok := r.sections[doc]; ok {
		return s
	}
	text, ok := r.files[doc]
	var s map[string]bool
	if ok {
		s = map[string]bool{}
		for _, line := range strings.Split(text, "\n") {
			if m := headingRe.FindStringSubmatch(line); m != nil {
				s[m[1]] = true
			}
			if m := itemRe.FindStringSubmatch(line); m != nil {
				s[m[1]] = true
			}
		}
	}
	r.sections[doc] = s
	return s
}

// resolve turns a document path cited in file into a path relative to the root; ok is
// false when the path may not be cited from there.
func resolve(file, doc string) (string, bool) {
	if strings.HasPrefix(doc, "docs/") {
		return doc, true
	}
	if path.Ext(file) != ".md" {
		return "", false // code cites documents by their path from the root
	}
	return path.Join(path.Dir(file), doc), true
}

// check returns one message per broken citation of the repository.
func (r *repo) check() []string {
	var problems []string
	names := make([]string, 0, len(r.files))
	for name := range r.files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		problems = append(problems, r.checkFile(name)...)
	}
	return problems
}

func (r *repo) checkFile(name string) []string {
	var problems []string
	text := r.files[name]
	report := func(offset int, format string, args ...any) {
		line := strings.Count(text[:offset], "\n") + 1
		problems = append(problems, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	cite := func(offset int, doc, section string) {
		sections := r.sectionsOf(doc)
		switch {
		case sections == nil:
			report(offset, "cites %s §%s: there is no such document", doc, section)
		case !sections[section]:
			report(offset, "cites %s §%s: the document has no section %s", doc, section, section)
		}
	}

	for _, s := range stale {
		for _, loc := range s.re.FindAllStringIndex(text, -1) {
			report(loc[0], "cites %s", s.what)
		}
	}
	for _, loc := range splitRe.FindAllStringIndex(text, -1) {
		report(loc[0], "a document and its § are split across lines (keep \"doc.md §N\" on one line)")
	}
	for _, loc := range docPathRe.FindAllStringIndex(text, -1) {
		if doc := text[loc[0]:loc[1]]; r.files[doc] == "" {
			report(loc[0], "names %s, which does not exist", doc)
		}
	}
	if path.Ext(name) == ".md" {
		for _, m := range mdLinkRe.FindAllStringSubmatchIndex(text, -1) {
			target := text[m[2]:m[3]]
			if strings.Contains(target, "://") {
				continue
			}
			if _, ok := r.files[path.Join(path.Dir(name), target)]; !ok {
				report(m[0], "links to %s, which does not exist", target)
			}
		}
	}

	// Explicit citations and their continuations; remember where they are, so the bare
	// pass skips them.
	cited := map[int]bool{}
	fileDefault := ""
	firstReference := -1
	for _, m := range explicitRe.FindAllStringSubmatchIndex(text, -1) {
		doc, ok := resolve(name, text[m[2]:m[3]])
		sectionAt := m[4] - len("§")
		cited[sectionAt] = true
		if !ok {
			report(m[0], "cites %s §%s: code cites documents by their path from the repository root (docs/…)", text[m[2]:m[3]], text[m[4]:m[5]])
			continue
		}
		if firstReference < 0 && strings.HasPrefix(doc, "docs/reference/") {
			firstReference, fileDefault = m[0], doc
		}
		cite(m[0], doc, text[m[4]:m[5]])
		for end := m[5]; ; {
			c := continueRe.FindStringSubmatchIndex(text[end:])
			if c == nil {
				break
			}
			cited[end+c[2]-len("§")] = true
			cite(end+c[2], doc, text[end+c[2]:end+c[3]])
			end += c[3]
		}
	}

	// defaultAt is the document a bare citation at offset refers to.
	defaultAt := func(offset int) string {
		switch {
		case path.Ext(name) == ".md":
			return name
		case r.pkgDefault[path.Dir(name)] != "" && path.Ext(name) == ".go":
			return r.pkgDefault[path.Dir(name)]
		case firstReference >= 0 && firstReference < offset:
			return fileDefault
		}
		return ""
	}
	for _, m := range sectionRe.FindAllStringSubmatchIndex(text, -1) {
		if cited[m[0]] {
			continue
		}
		doc := defaultAt(m[0])
		if doc == "" {
			report(m[0], "cites §%s without naming its document (write docs/reference/domain.md §%s, or name the document in the package doc)", text[m[2]:m[3]], text[m[2]:m[3]])
			continue
		}
		cite(m[0], doc, text[m[2]:m[3]])
	}
	if path.Ext(name) == ".md" {
		return problems // "behaviour" in prose is not a citation
	}
	for _, m := range behaviourRe.FindAllStringSubmatchIndex(text, -1) {
		doc := defaultAt(m[0])
		list := text[m[2]:m[3]]
		if doc == "" {
			report(m[0], "cites behaviour %s without naming its document", list)
			continue
		}
		for _, n := range behaviourNumbers(list) {
			cite(m[0], doc, "12."+strconv.Itoa(n))
		}
	}
	return problems
}

// behaviourNumbers expands "10, 12 and 86-88" into 10, 12, 86, 87, 88.
func behaviourNumbers(list string) []int {
	var out []int
	for _, part := range regexp.MustCompile(`\s*(?:,|and)\s*`).Split(list, -1) {
		lo, hi, isRange := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				b = a
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found above the test's folder")
		dir = parent
	}
}

// TestCitations: every citation in the repository names a document it has and a section
// that document has.
func TestCitations(t *testing.T) {
	r := loadRepo(t, repoRoot(t))
	require.Contains(t, r.files, "docs/reference/domain.md")
	require.Greater(t, len(r.files), 100, "too few files found: is the walk skipping the repository?")
	for _, p := range r.check() {
		t.Error(p)
	}
	// The citations are really read: the domain reference is cited hundreds of times.
	n := 0
	for name, text := range r.files {
		if path.Ext(name) != ".md" {
			n += strings.Count(text, "§")
		}
	}
	assert.Greater(t, n, 150, "§ citations found in code")
}

// TestChecker runs the checker on a small made-up repository, so that each kind of broken
// citation is shown to fail.
func TestChecker(t *testing.T) {
	domain := "# D\n\n## 4. Machine\n\n### 4.2 Transitions\n\n#### 4.4.8 Reviewing\n\n## 12. Behaviours\n\n- **12.22** a\n- **12.23** b\n"
	decisions := "# Decisions\n\n## 1. One\n\n## 2. Two\n"
	base := map[string]string{
		"docs/reference/domain.md": domain,
		"docs/decisions.md":        decisions,
		"docs/architecture.md":     "See docs/reference/domain.md §4.2 and [decisions](decisions.md).\n",
		"a/doc.go":                 "// Package a follows docs/reference/domain.md.\npackage a\n",
	}
	run := func(extra map[string]string) []string {
		files := map[string]string{}
		for k, v := range base {
			files[k] = v
		}
		for k, v := range extra {
			files[k] = v
		}
		return newRepo(files).check()
	}

	assert.Empty(t, run(map[string]string{
		"a/x.go":      "package a\n// §4.4.8, behaviours 22 and 23 (docs/decisions.md §1, §2), docs/reference/domain.md §12.22 to §12.23.\n",
		"a/x_test.go": "package a\n// §4.2: behaviour 22-23.\n",
		"b/y.ts":      "// docs/reference/domain.md §4.2, then §12.22 and behaviour 23.\n",
	}), "good citations")

	for _, c := range []struct{ name, file, text, want string }{
		{"missing section", "a/x.go", "package a\n// §4.3\n", "a/x.go:2: cites docs/reference/domain.md §4.3: the document has no section 4.3"},
		{"missing section after an explicit one", "a/x.go", "package a\n// docs/decisions.md §1 and §3\n", "a/x.go:2: cites docs/decisions.md §3: the document has no section 3"},
		{"missing behaviour", "a/x.go", "package a\n// Behaviours 22, 24\n", "a/x.go:2: cites docs/reference/domain.md §12.24: the document has no section 12.24"},
		{"missing document", "b/y.ts", "// docs/reference/nope.md §1\n", "b/y.ts:1: cites docs/reference/nope.md §1: there is no such document"},
		{"bare without a document", "b/y.ts", "// §4.2\n", "b/y.ts:1: cites §4.2 without naming its document"},
		{"bare before the file names its document", "b/y.ts", "// §4.2\n// docs/reference/domain.md §4.2\n", "b/y.ts:1: cites §4.2 without naming its document"},
		{"behaviour without a document", "b/y.ts", "// behaviour 22\n", "b/y.ts:1: cites behaviour 22 without naming its document"},
		{"a document outside docs/", "b/y.ts", "// airlock-domain.md §4.2\n", "b/y.ts:1: cites a reference document outside the repository"},
		{"a path not from the root", "b/y.ts", "// reference/domain.md §4.2\n", "b/y.ts:1: cites reference/domain.md §4.2: code cites documents by their path from the repository root"},
		{"a document split from its section", "a/x.go", "package a\n// docs/decisions.md\n// §1\n", "a/x.go:2: a document and its § are split across lines"},
		{"the old decisions", "a/x.go", "package a\n// (DECISIONS 4)\n", "a/x.go:2: cites DECISIONS"},
		{"the old API contract", "b/y.ts", "// as API.md says\n", "b/y.ts:1: cites API.md"},
		{"the shared folder", "b/y.ts", "// ../shared/design/API.md\n", "b/y.ts:1: cites a folder outside the repository"},
		{"vague reference", "a/x.go", "package a\n// (reference §4.2)\n", "a/x.go:2: cites \"reference §N\""},
		{"a docs path that does not exist", "b/y.ts", "// see docs/nothing.md\n", "b/y.ts:1: names docs/nothing.md, which does not exist"},
		{"a section missing in a document's own cross-reference", "docs/decisions.md", decisions + "As §5 says.\n", "docs/decisions.md:6: cites docs/decisions.md §5: the document has no section 5"},
		{"a broken link in a document", "docs/decisions.md", decisions + "[x](reference/ui.md)\n", "docs/decisions.md:6: links to reference/ui.md, which does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			problems := run(map[string]string{c.file: c.text})
			require.NotEmpty(t, problems)
			assert.True(t, slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, c.want) }),
				"got %q, want one starting with %q", problems, c.want)
		})
	}
}

func TestBehaviourNumbers(t *testing.T) {
	assert.Equal(t, []int{10, 12, 86, 87, 88}, behaviourNumbers("10, 12 and 86-88"))
	assert.Equal(t, []int{92, 95}, behaviourNumbers("92 and 95"))
	assert.Equal(t, []int{86, 87, 88}, behaviourNumbers("86–88"))
}
