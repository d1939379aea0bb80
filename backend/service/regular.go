package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// RegularRequest is one entry of the regular release requests configuration (§10.1): a
// set of workspace folders whose outputs a user's request gathers, one group per folder,
// run by an operator's schedule rather than by the user.
type RegularRequest struct {
	// Username is the request's author; nil means the user of the most recent output in
	// the workspace's manifest.
	Username        *string
	Workspace       string
	Dirs            []string
	Context         string
	Controls        string
	SupportingFiles []string
	Submit          bool
}

// Label names the entry in messages: "workspace (user)".
func (rr RegularRequest) Label() string {
	who := "manifest user"
	if rr.Username != nil {
		who = *rr.Username
	}
	return fmt.Sprintf("%s (%s)", rr.Workspace, who)
}

// regularKeys are the keys of a configuration entry, as the reference spells them.
var regularKeys = map[string]bool{
	"username": true, "workspace_name": true, "dirs": true, "context": true, "controls": true,
	"supporting_files": true, "submit": true,
}

// ParseRegularRequests reads the configuration: a JSON list of entries with the keys
// username (string or null), workspace_name and dirs (required), context, controls,
// supporting_files and submit. Unknown keys, wrong types, folders that are not clean
// workspace paths and a submit without context and controls are errors; the error lists
// every problem of every entry.
func ParseRegularRequests(data []byte) ([]RegularRequest, error) {
	var raw []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON list of objects: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a JSON list of objects: more than one JSON value")
	}
	out := make([]RegularRequest, 0, len(raw))
	var problems []string
	for i, entry := range raw {
		rr, errs := parseRegularEntry(entry)
		if len(errs) > 0 {
			name := fmt.Sprintf("entry %d", i+1)
			if rr.Workspace != "" {
				name += " (" + rr.Workspace + ")"
			}
			problems = append(problems, name+": "+strings.Join(errs, "; "))
			continue
		}
		out = append(out, rr)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

func parseRegularEntry(entry map[string]json.RawMessage) (RegularRequest, []string) {
	var rr RegularRequest
	var errs []string
	for k := range entry {
		if !regularKeys[k] {
			errs = append(errs, fmt.Sprintf("unknown key %q", k))
		}
	}
	// field decodes entry[key] into v; required keys must be present.
	field := func(key string, required bool, v any, kind string) bool {
		raw, ok := entry[key]
		if !ok {
			if required {
				errs = append(errs, fmt.Sprintf("%q is required", key))
			}
			return false
		}
		if err := json.Unmarshal(raw, v); err != nil || (kind != "string or null" && string(raw) == "null") {
			errs = append(errs, fmt.Sprintf("%q must be %s", key, kind))
			return false
		}
		return true
	}
	field("username", true, &rr.Username, "string or null")
	if rr.Username != nil && strings.TrimSpace(*rr.Username) == "" {
		errs = append(errs, `"username" must not be empty (null means the manifest's user)`)
	}
	if field("workspace_name", true, &rr.Workspace, "a string") && !validWorkspaceName(rr.Workspace) {
		errs = append(errs, fmt.Sprintf("%q is not a workspace name", rr.Workspace))
	}
	if field("dirs", true, &rr.Dirs, "a list of strings") {
		if len(rr.Dirs) == 0 {
			errs = append(errs, `"dirs" must name at least one folder`)
		}
		for _, d := range rr.Dirs {
			if fsutil.CheckRelPath(d) != nil {
				errs = append(errs, fmt.Sprintf("folder %q is not a workspace path like output/tables", d))
			}
		}
	}
	field("context", false, &rr.Context, "a string")
	field("controls", false, &rr.Controls, "a string")
	if field("supporting_files", false, &rr.SupportingFiles, "a list of strings") {
		for _, f := range rr.SupportingFiles {
			if fsutil.CheckRelPath(f) != nil {
				errs = append(errs, fmt.Sprintf("supporting file %q is not a workspace path", f))
			}
		}
	}
	field("submit", false, &rr.Submit, "true or false")
	if rr.Submit && (strings.TrimSpace(rr.Context) == "" || strings.TrimSpace(rr.Controls) == "") {
		errs = append(errs, `"submit" needs a non-empty "context" and "controls"`)
	}
	return rr, errs
}

// validWorkspaceName: a single folder name (fsutil.CheckName).
func validWorkspaceName(ws string) bool { return fsutil.CheckName(ws) == nil }

// UserLookup returns the current record of a user (from the users file or job-server).
type UserLookup func(ctx context.Context, username string) (airlock.User, error)

// RegularResult is the outcome of one regular request run.
type RegularResult struct {
	Workspace string
	Author    string
	// Completed is false when nothing was done: "Already submitted", "Already released"
	// or "No files found".
	Completed bool
	RequestID string
	Message   string
	// Added counts the files added by this run; Skipped says which could not be, and why.
	Added   int
	Skipped []string
}

// Messages of RegularResult (the reference's words).
const (
	RegularSuccess          = "Success"
	RegularAlreadySubmitted = "Already submitted"
	RegularAlreadyReleased  = "Already released"
	RegularNoFiles          = "No files found"
)

// RunRegularRequest runs one regular request (§10.1) as its author acting through the
// operator's automation: every audit event it writes is marked automated_action. It gets
// or creates the author's current request (a request under review is left alone), adds the
// files under each folder that may be added (group: the folder with "/" as "-"; supporting
// when listed in SupportingFiles, added only with the group's outputs), sets each group's
// context and controls when given, and submits when asked. Every step is an ordinary
// service operation, checked by the domain's rules like a user's.
func (s *Airlock) RunRegularRequest(ctx context.Context, rr RegularRequest, lookup UserLookup) (RegularResult, error) {
	res := RegularResult{Workspace: rr.Workspace}
	if !s.ws.Exists(rr.Workspace) {
		return res, airlock.Errorf(airlock.CodeNotFound, "Workspace '%s' was not found.", rr.Workspace)
	}
	var username string
	if rr.Username != nil {
		username = *rr.Username
	} else {
		var err error
		if username, err = s.latestOutputUser(rr.Workspace); err != nil {
			return res, err
		}
	}
	res.Author = username
	author, err := lookup(ctx, username)
	if err != nil {
		return res, err
	}
	u := author.AsAutomated()
	// The folders are listed first: a missing one fails the run before any request exists.
	dirFiles := make([][]string, len(rr.Dirs))
	for i, dir := range rr.Dirs {
		if dirFiles[i], err = s.filesUnder(rr.Workspace, dir); err != nil {
			return res, err
		}
	}
	view, _, err := s.GetOrCreateRequest(ctx, u, rr.Workspace)
	if err != nil {
		return res, err
	}
	r := view.Request
	res.RequestID = r.ID
	if r.Status.IsUnderReview() {
		res.Message = RegularAlreadySubmitted
		return res, nil
	}
	if err := airlock.CheckCanEdit(u, r); err != nil {
		return res, err
	}
	supporting := map[string]bool{}
	for _, f := range rr.SupportingFiles {
		supporting[f] = true
	}
	type groupPlan struct {
		name                string
		outputs, supporting []FileSpec
	}
	var plans []groupPlan
	total, released := 0, 0
	for i, dir := range rr.Dirs {
		gp := groupPlan{name: strings.ReplaceAll(dir, "/", "-")}
		for _, p := range dirFiles[i] {
			total++
			ft, action := airlock.FileTypeOutput, airlock.ActionAddOutput
			if supporting[p] {
				ft, action = airlock.FileTypeSupporting, airlock.ActionAddSupporting
			}
			d, err := s.GetWorkspaceFile(ctx, u, rr.Workspace, p)
			if err != nil {
				return res, err
			}
			switch {
			case d.Actions[action].Allowed:
				if ft == airlock.FileTypeSupporting {
					gp.supporting = append(gp.supporting, FileSpec{Path: p, FileType: ft})
				} else {
					gp.outputs = append(gp.outputs, FileSpec{Path: p, FileType: ft})
				}
			case d.Status == airlock.WorkspaceReleased:
				released++
			case d.Request != nil:
				// already on the request
			default:
				msg := fmt.Sprintf("Could not add file %s: %s", p, d.Actions[action].Reason)
				if rr.Submit {
					return res, airlock.Errorf(airlock.CodeInvalid, "%s", msg)
				}
				res.Skipped = append(res.Skipped, msg)
				s.log.Warn("regular request: file skipped", "workspace", rr.Workspace, "path", p, "reason", d.Actions[action].Reason)
			}
		}
		plans = append(plans, gp)
	}
	switch {
	case total == 0:
		res.Message = RegularNoFiles
		return res, nil
	case released == total:
		res.Message = RegularAlreadyReleased
		return res, nil
	}
	for _, gp := range plans {
		if len(gp.outputs) > 0 {
			if _, err := s.AddFiles(ctx, u, r.ID, gp.name, gp.outputs); err != nil {
				return res, err
			}
			res.Added += len(gp.outputs)
			if len(gp.supporting) > 0 {
				if _, err := s.AddFiles(ctx, u, r.ID, gp.name, gp.supporting); err != nil {
					return res, err
				}
				res.Added += len(gp.supporting)
			}
		}
		if rr.Context == "" && rr.Controls == "" {
			continue
		}
		cur, err := s.GetRequest(ctx, u, r.ID)
		if err != nil {
			return res, err
		}
		if cur.Request.Group(gp.name) != nil {
			if _, err := s.EditGroup(ctx, u, r.ID, gp.name, rr.Context, rr.Controls); err != nil {
				return res, err
			}
		}
	}
	if rr.Submit {
		if _, err := s.Submit(ctx, u, r.ID); err != nil {
			return res, err
		}
	}
	res.Completed, res.Message = true, RegularSuccess
	return res, nil
}

// RunRegularRequests runs each entry in turn; a failing entry is logged and reported and
// does not stop the others (§10.1). errs[i] is the error of rrs[i].
func (s *Airlock) RunRegularRequests(ctx context.Context, rrs []RegularRequest, lookup UserLookup) (results []RegularResult, errs []error) {
	results, errs = make([]RegularResult, len(rrs)), make([]error, len(rrs))
	for i, rr := range rrs {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			continue
		}
		start := s.clock()
		results[i], errs[i] = s.RunRegularRequest(ctx, rr, lookup)
		took := s.clock().Sub(start).Round(time.Millisecond)
		if errs[i] != nil {
			s.log.Error("regular request failed", "entry", rr.Label(), "err", errs[i], "took", took)
			continue
		}
		s.log.Info("regular request", "entry", rr.Label(), "request", results[i].RequestID,
			"message", results[i].Message, "added", results[i].Added, "skipped", len(results[i].Skipped), "took", took)
	}
	return results, errs
}

// filesUnder lists the files under dir of ws that the tree shows, leaving out what a
// manifest does not list as an output, depth first in tree order; not_found when dir is not
// a folder of ws.
func (s *Airlock) filesUnder(ws, dir string) ([]string, error) {
	entries, err := s.ws.List(ws, dir, false)
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return nil, airlock.Errorf(airlock.CodeNotFound, "%s is not a folder of workspace %s", dir, ws)
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Dir {
			sub, err := s.filesUnder(ws, e.Path)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if e.File.Manifest == airlock.ManifestUnlisted || e.File.Manifest == airlock.ManifestExcludedNotice {
			continue // not an output of the manifest (§10.1 skips such paths)
		}
		out = append(out, e.Path)
	}
	return out, nil
}

// latestOutputUser is the manifest's user of the most recent output of ws (§10.1).
func (s *Airlock) latestOutputUser(ws string) (string, error) {
	var best airlock.WorkspaceFile
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := s.ws.List(ws, dir, true)
		if err != nil {
			return err
		}
		for _, e := range entries {
			switch {
			case e.Dir:
				if err := walk(e.Path); err != nil {
					return err
				}
			case e.File.Manifest == airlock.ManifestOutput && e.File.User != "" && (best.User == "" || e.File.ModifiedAt.After(best.ModifiedAt)):
				best = e.File
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return "", err
	}
	if best.User == "" {
		return "", airlock.Errorf(airlock.CodeInvalid, "No output user found in manifest file of workspace %s", ws)
	}
	return best.User, nil
}
