package service

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// Provenance is what produced a workspace output, as job-runner's manifest records it
// (the "code view" of §2.8).
type Provenance struct {
	Action     string
	JobID      string
	JobRequest string
	Commit     string
	Repo       string
	User       string
	// CodeURL links to the code at Commit when a code-browser template is configured and
	// the repo and commit fit it; "" otherwise.
	CodeURL string
}

// CodePath is the repository file a code link opens: the project's pipeline, where every
// action is defined (the reference's "View source code" opens it too).
const CodePath = "project.yaml"

// CodeURLTemplate is a code-browser URL with the placeholders {repo}, {commit} and
// {path} (docs/api.md, --code-url). The zero value makes no links.
type CodeURLTemplate struct{ raw string }

var (
	placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)
	commitRE      = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
)

// ParseCodeURLTemplate checks a code-browser template: an absolute http(s) URL once its
// placeholders are filled, naming {repo} and {commit} ({path} is optional) and no other
// placeholder. An empty template is valid and makes no links.
func ParseCodeURLTemplate(s string) (CodeURLTemplate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CodeURLTemplate{}, nil
	}
	for _, ph := range placeholderRE.FindAllString(s, -1) {
		switch ph {
		case "{repo}", "{commit}", "{path}":
		default:
			return CodeURLTemplate{}, fmt.Errorf("unknown placeholder %s (use {repo}, {commit} and {path})", ph)
		}
	}
	for _, ph := range []string{"{repo}", "{commit}"} {
		if !strings.Contains(s, ph) {
			return CodeURLTemplate{}, fmt.Errorf("the template must contain %s", ph)
		}
	}
	t := CodeURLTemplate{raw: s}
	if t.fill("github.com/example/study", "0123456789abcdef0123456789abcdef01234567", CodePath) == "" {
		return CodeURLTemplate{}, fmt.Errorf("%q is not an absolute http or https URL once filled in", s)
	}
	return t, nil
}

// String is the template as configured.
func (t CodeURLTemplate) String() string { return t.raw }

// Link is the code-browser URL for a manifest's repo (an http or https URL) at commit
// (hexadecimal), opening path; "" when there is no template or the values do not fit it.
// {repo} is the repository's host and path ("github.com/org/study"), so that
// "https://{repo}/blob/{commit}/{path}" is its GitHub page.
func (t CodeURLTemplate) Link(repo, commit, path string) string {
	if t.raw == "" || !commitRE.MatchString(commit) {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(repo))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	name := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	return t.fill(strings.TrimSuffix(u.Host+"/"+name, "/"), commit, path)
}

// fill substitutes the placeholders (each path segment escaped) and keeps the result only
// when it is an absolute http(s) URL.
func (t CodeURLTemplate) fill(repo, commit, path string) string {
	out := strings.NewReplacer("{repo}", escapeSegments(repo), "{commit}", url.PathEscape(commit), "{path}", escapeSegments(path)).Replace(t.raw)
	u, err := url.Parse(out)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return out
}

func escapeSegments(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// provenance is the manifest record of f, or nil for a file without one (a workspace
// without a manifest, or a file the manifest does not list).
func (s *Airlock) provenance(f airlock.WorkspaceFile) *Provenance {
	if f.Manifest != airlock.ManifestOutput && f.Manifest != airlock.ManifestExcludedNotice {
		return nil
	}
	return &Provenance{
		Action: f.Action, JobID: f.JobID, JobRequest: f.JobRequest, Commit: f.Commit, Repo: f.Repo, User: f.User,
		CodeURL: s.codeURL.Link(f.Repo, f.Commit, CodePath),
	}
}
