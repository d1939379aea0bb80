package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// UserDoc is a user record as job-server sends it (docs/reference/domain.md §8.2) and as
// the users file holds it under "details". Only Username is mandatory.
type UserDoc struct {
	Username            string                  `json:"username"`
	Fullname            string                  `json:"fullname,omitempty"`
	OutputChecker       bool                    `json:"output_checker"`
	ReadonlyAccess      bool                    `json:"readonly_access"`
	Workspaces          map[string]WorkspaceDoc `json:"workspaces"`
	CopilotedWorkspaces map[string]WorkspaceDoc `json:"copiloted_workspaces"`
}

// WorkspaceDoc is one workspace entry of a user document.
type WorkspaceDoc struct {
	ProjectDetails ProjectDoc `json:"project_details"`
	Archived       bool       `json:"archived"`
}

// ProjectDoc is the project of a workspace entry. A project without "ongoing" is ongoing,
// as the reference reads it (docs/reference/domain.md §2.5).
type ProjectDoc struct {
	Name    string   `json:"name"`
	Ongoing *bool    `json:"ongoing,omitempty"`
	Orgs    []string `json:"orgs"`
}

// IsOngoing is Ongoing, true when absent.
func (p ProjectDoc) IsOngoing() bool { return p.Ongoing == nil || *p.Ongoing }

// User turns the document into the domain's user record: the full name falls back to the
// username, and maps and org lists are never nil.
func (d UserDoc) User() airlock.User {
	u := airlock.User{
		Username:            d.Username,
		Fullname:            d.Fullname,
		OutputChecker:       d.OutputChecker,
		ReadonlyAccess:      d.ReadonlyAccess,
		Workspaces:          grants(d.Workspaces),
		CopilotedWorkspaces: grants(d.CopilotedWorkspaces),
	}
	if strings.TrimSpace(u.Fullname) == "" {
		u.Fullname = u.Username
	}
	return u
}

func grants(in map[string]WorkspaceDoc) map[string]airlock.WorkspaceGrant {
	out := make(map[string]airlock.WorkspaceGrant, len(in))
	for name, w := range in {
		orgs := w.ProjectDetails.Orgs
		if orgs == nil {
			orgs = []string{}
		}
		out[name] = airlock.WorkspaceGrant{
			Project:  airlock.Project{Name: w.ProjectDetails.Name, Ongoing: w.ProjectDetails.IsOngoing(), Orgs: orgs},
			Archived: w.Archived,
		}
	}
	return out
}

// normalizeUser makes sure a user record read from anywhere has non-nil maps and a full name.
func normalizeUser(u airlock.User) airlock.User {
	if u.Workspaces == nil {
		u.Workspaces = map[string]airlock.WorkspaceGrant{}
	}
	if u.CopilotedWorkspaces == nil {
		u.CopilotedWorkspaces = map[string]airlock.WorkspaceGrant{}
	}
	for _, m := range []map[string]airlock.WorkspaceGrant{u.Workspaces, u.CopilotedWorkspaces} {
		for k, g := range m {
			if g.Project.Orgs == nil {
				g.Project.Orgs = []string{}
				m[k] = g
			}
		}
	}
	if strings.TrimSpace(u.Fullname) == "" {
		u.Fullname = u.Username
	}
	return u
}

// UsersEntry is one user of the users file.
type UsersEntry struct {
	// Token is a plain login token; TokenSHA256 the hex SHA-256 of one. Exactly one is set.
	Token       string  `json:"token,omitempty"`
	TokenSHA256 string  `json:"token_sha256,omitempty"`
	Details     UserDoc `json:"details"`
}

// UsersFile is the development users file of docs/api.md (compatible with the reference
// implementation's dev users file). It is re-read when the file changes on disk.
type UsersFile struct {
	path string

	mu      sync.Mutex
	entries map[string]UsersEntry
	modTime time.Time
	size    int64
	checked time.Time
}

// LoadUsersFile reads and validates a users file.
func LoadUsersFile(path string) (*UsersFile, error) {
	f := &UsersFile{path: path}
	if err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the file's path.
func (f *UsersFile) Path() string { return f.path }

// ParseUsers parses and validates the content of a users file.
func ParseUsers(data []byte) (map[string]UsersEntry, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of users: %w", err)
	}
	out := make(map[string]UsersEntry, len(raw))
	for name, msg := range raw {
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("a user has an empty name")
		}
		if err := checkWorkspaceKeys(msg); err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
		var e UsersEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("user %q: %w", name, err)
		}
		switch {
		case e.Token == "" && e.TokenSHA256 == "":
			return nil, fmt.Errorf("user %q: needs a \"token\" or a \"token_sha256\"", name)
		case e.Token != "" && e.TokenSHA256 != "":
			return nil, fmt.Errorf("user %q: has both \"token\" and \"token_sha256\"", name)
		case e.TokenSHA256 != "":
			h, err := hex.DecodeString(strings.TrimSpace(e.TokenSHA256))
			if err != nil || len(h) != sha256.Size {
				return nil, fmt.Errorf("user %q: \"token_sha256\" is not a hex SHA-256", name)
			}
			e.TokenSHA256 = hex.EncodeToString(h)
		}
		if e.Details.Username == "" {
			e.Details.Username = name
		}
		if e.Details.Username != name {
			return nil, fmt.Errorf("user %q: details.username is %q", name, e.Details.Username)
		}
		out[name] = e
	}
	return out, nil
}

// checkWorkspaceKeys enforces the reference rule that every workspace entry has exactly the
// keys project_details and archived.
func checkWorkspaceKeys(entry json.RawMessage) error {
	var e struct {
		Details struct {
			Workspaces          map[string]map[string]json.RawMessage `json:"workspaces"`
			CopilotedWorkspaces map[string]map[string]json.RawMessage `json:"copiloted_workspaces"`
		} `json:"details"`
	}
	if err := json.Unmarshal(entry, &e); err != nil {
		return err
	}
	for field, m := range map[string]map[string]map[string]json.RawMessage{
		"workspaces": e.Details.Workspaces, "copiloted_workspaces": e.Details.CopilotedWorkspaces,
	} {
		for ws, keys := range m {
			_, hasProject := keys["project_details"]
			_, hasArchived := keys["archived"]
			if len(keys) != 2 || !hasProject || !hasArchived {
				return fmt.Errorf("%s entry %q must have exactly the keys project_details and archived", field, ws)
			}
		}
	}
	return nil
}

func (f *UsersFile) reload() error {
	st, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	entries, err := ParseUsers(data)
	if err != nil {
		return fmt.Errorf("users file %s: %w", f.path, err)
	}
	f.entries, f.modTime, f.size = entries, st.ModTime(), st.Size()
	return nil
}

// refresh re-reads the file when it changed on disk, at most once a second. A file that has
// become broken keeps the last good content.
func (f *UsersFile) refresh() {
	now := time.Now()
	if now.Sub(f.checked) < time.Second {
		return
	}
	f.checked = now
	st, err := os.Stat(f.path)
	if err != nil || (st.ModTime().Equal(f.modTime) && st.Size() == f.size) {
		return
	}
	_ = f.reload()
}

// Lookup returns the entry of a user.
func (f *UsersFile) Lookup(username string) (UsersEntry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refresh()
	e, ok := f.entries[username]
	return e, ok
}

// dummyHash keeps the comparison time of an unknown user close to that of a known one.
var dummyHash = sha256.Sum256([]byte("airlock-no-such-user"))

// Check reports whether token is the user's users-file token, in constant time.
func (f *UsersFile) Check(username, token string) (airlock.User, bool) {
	e, ok := f.Lookup(username)
	got := sha256.Sum256([]byte(token))
	want := dummyHash
	if ok {
		if e.TokenSHA256 != "" {
			h, _ := hex.DecodeString(e.TokenSHA256)
			copy(want[:], h)
		} else {
			want = sha256.Sum256([]byte(e.Token))
		}
	}
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if !ok || !match {
		return airlock.User{}, false
	}
	return e.Details.User(), true
}
