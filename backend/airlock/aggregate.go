package airlock

import (
	"slices"
	"strconv"
	"time"
)

// Group returns the group called name, or nil.
func (r *ReleaseRequest) Group(name string) *FileGroup {
	for _, g := range r.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// File returns the file at relpath (any group, any type), or nil.
func (r *ReleaseRequest) File(relpath string) *RequestFile {
	if r.fileIndex != nil {
		return r.fileIndex[relpath]
	}
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.RelPath == relpath {
				return f
			}
		}
	}
	return nil
}

// Indexed returns a shallow copy of r whose File looks relpaths up in an index built now
// instead of scanning every group, for evaluating rules file by file over a large request.
// The copy shares r's groups and files: neither may change while it is in use (it is for
// reading, such as building a view of the request).
func (r *ReleaseRequest) Indexed() *ReleaseRequest {
	c := *r
	c.fileIndex = map[string]*RequestFile{}
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if _, ok := c.fileIndex[f.RelPath]; !ok {
				c.fileIndex[f.RelPath] = f
			}
		}
	}
	return &c
}

// AllFiles returns every file of every type, group by group.
func (r *ReleaseRequest) AllFiles() []*RequestFile {
	var out []*RequestFile
	for _, g := range r.Groups {
		out = append(out, g.Files...)
	}
	return out
}

// OutputFiles returns the OUTPUT files, group by group.
func (r *ReleaseRequest) OutputFiles() []*RequestFile {
	var out []*RequestFile
	for _, g := range r.Groups {
		out = append(out, g.OutputFiles()...)
	}
	return out
}

// Comment returns the comment with id and its group, or nils.
func (r *ReleaseRequest) Comment(id string) (*Comment, *FileGroup) {
	for _, g := range r.Groups {
		for _, c := range g.Comments {
			if c.ID == id {
				return c, g
			}
		}
	}
	return nil, nil
}

// ShortID is the id as shown in lists: first 3 + "..." + last 6 characters.
func (r *ReleaseRequest) ShortID() string {
	if len(r.ID) <= 9 {
		return r.ID
	}
	return r.ID[:3] + "..." + r.ID[len(r.ID)-6:]
}

// StartNewTurn records who reviewed in the turn that ends, clears the submitted reviews and
// advances the turn (§4.3). It runs after submit/resubmit and after return.
func (r *ReleaseRequest) StartNewTurn() {
	r.TurnReviewers = r.SubmittedReviewers()
	r.SubmittedReviews = map[string]time.Time{}
	r.ReviewTurn++
}

// SubmittedReviewers returns the reviewers who submitted a review this turn, sorted.
func (r *ReleaseRequest) SubmittedReviewers() []string {
	out := make([]string, 0, len(r.SubmittedReviews))
	for u := range r.SubmittedReviews {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// HasSubmitted reports whether user submitted a review this turn.
func (r *ReleaseRequest) HasSubmitted(user string) bool {
	_, ok := r.SubmittedReviews[user]
	return ok
}

// IsAuthor reports whether u wrote r.
func (r *ReleaseRequest) IsAuthor(u User) bool { return u.Username == r.Author }

// TurnString is the review turn as written in audit extras.
func (r *ReleaseRequest) TurnString() string { return strconv.Itoa(r.ReviewTurn) }

// OutputFiles returns the group's OUTPUT files (withdrawn files are in neither list).
func (g *FileGroup) OutputFiles() []*RequestFile {
	return filesOfType(g.Files, FileTypeOutput)
}

// SupportingFiles returns the group's SUPPORTING files.
func (g *FileGroup) SupportingFiles() []*RequestFile {
	return filesOfType(g.Files, FileTypeSupporting)
}

// IsEmpty reports whether the group has no output and no supporting files.
func (g *FileGroup) IsEmpty() bool {
	return len(g.OutputFiles()) == 0 && len(g.SupportingFiles()) == 0
}

// IsIncomplete reports whether a non-empty group lacks context or controls.
func (g *FileGroup) IsIncomplete() bool {
	return !g.IsEmpty() && (g.Context == "" || g.Controls == "")
}

// HasPublicCommentForTurn reports whether the group has a PUBLIC comment of turn.
func (g *FileGroup) HasPublicCommentForTurn(turn int) bool {
	return slices.ContainsFunc(g.Comments, func(c *Comment) bool {
		return c.Visibility == VisibilityPublic && c.ReviewTurn == turn
	})
}

// File returns the group's file at relpath, or nil.
func (g *FileGroup) File(relpath string) *RequestFile {
	for _, f := range g.Files {
		if f.RelPath == relpath {
			return f
		}
	}
	return nil
}

func filesOfType(files []*RequestFile, t FileType) []*RequestFile {
	var out []*RequestFile
	for _, f := range files {
		if f.FileType == t {
			out = append(out, f)
		}
	}
	return out
}

// GroupPath is the address of a file inside a request: "<group>/<relpath>".
func (f *RequestFile) GroupPath() string { return f.Group + "/" + f.RelPath }

// Vote returns reviewer's vote on f, or nil.
func (f *RequestFile) Vote(reviewer string) *FileReview {
	if f.Reviews == nil {
		return nil
	}
	return f.Reviews[reviewer]
}

// UploadInProgress: released but not yet uploaded.
func (f *RequestFile) UploadInProgress() bool { return f.ReleasedAt != nil && !f.Uploaded }

// Valid reports whether t is a file type a file may be added as or moved to.
func (t FileType) Valid() bool { return t == FileTypeOutput || t == FileTypeSupporting }

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool { return v == VisibilityPublic || v == VisibilityPrivate }
