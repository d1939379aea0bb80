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
	if r.fileIndex != nil {
		return r // already an indexed, read-only copy
	}
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
	next := RequestState{ReviewTurn: r.ReviewTurn, SubmittedReviews: r.SubmittedReviews}.newTurn()
	r.TurnReviewers, r.SubmittedReviews, r.ReviewTurn = next.TurnReviewers, next.SubmittedReviews, next.ReviewTurn
}

// SubmittedReviewers returns the reviewers who submitted a review this turn, sorted.
func (r *ReleaseRequest) SubmittedReviewers() []string { return reviewersOf(r.SubmittedReviews) }

// reviewersOf is the reviewers of submitted, sorted (never nil).
func reviewersOf(submitted map[string]time.Time) []string {
	out := make([]string, 0, len(submitted))
	for u := range submitted {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// ReviewCount is how many reviews were submitted in the request's latest review turn, and
// which turn that is (0 when none has started).
type ReviewCount struct {
	Submitted int
	Turn      int
}

// ReviewsSubmitted counts the reviews of r's latest review turn: the current turn's during
// review and after a decision; in an author turn (even, §4.3: RETURNED, or WITHDRAWN from
// it) the turn that ended, whose reviewers StartNewTurn recorded. The count is what the
// status already tells everyone (PARTIALLY_REVIEWED is one review), so it hides nothing
// blinding hides; who submitted is VisibleSubmittedReviewers.
func ReviewsSubmitted(r *ReleaseRequest) ReviewCount {
	if r.ReviewTurn%2 == 0 {
		if r.ReviewTurn == 0 {
			return ReviewCount{}
		}
		return ReviewCount{Submitted: len(r.TurnReviewers), Turn: r.ReviewTurn - 1}
	}
	return ReviewCount{Submitted: len(r.SubmittedReviews), Turn: r.ReviewTurn}
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

// Clone returns a deep copy of r: groups, files, votes, comments, maps and times are its
// own, so the copy may be changed without touching r (the service changes a copy of a
// cached aggregate inside a write transaction). The copy is not indexed.
func (r *ReleaseRequest) Clone() *ReleaseRequest {
	c := *r
	c.fileIndex = nil
	c.Organisations = slices.Clone(r.Organisations)
	c.LastSubmittedAt = cloneTime(r.LastSubmittedAt)
	if r.SubmittedReviews != nil {
		c.SubmittedReviews = make(map[string]time.Time, len(r.SubmittedReviews))
		for k, v := range r.SubmittedReviews {
			c.SubmittedReviews[k] = v
		}
	}
	c.TurnReviewers = slices.Clone(r.TurnReviewers)
	if r.Groups != nil {
		c.Groups = make([]*FileGroup, len(r.Groups))
	}
	for i, g := range r.Groups {
		cg := *g
		if g.Files != nil {
			cg.Files = make([]*RequestFile, len(g.Files))
		}
		for j, f := range g.Files {
			cf := *f
			cf.RowCount, cf.ColCount = cloneInt(f.RowCount), cloneInt(f.ColCount)
			cf.ReleasedAt, cf.UploadedAt = cloneTime(f.ReleasedAt), cloneTime(f.UploadedAt)
			cf.UploadAttemptedAt = cloneTime(f.UploadAttemptedAt)
			if f.Warnings != nil {
				w := *f.Warnings
				cf.Warnings = &w
			}
			if f.Reviews != nil {
				cf.Reviews = make(map[string]*FileReview, len(f.Reviews))
				for k, v := range f.Reviews {
					cv := *v
					cf.Reviews[k] = &cv
				}
			}
			cg.Files[j] = &cf
		}
		if g.Comments != nil {
			cg.Comments = make([]*Comment, len(g.Comments))
		}
		for j, cm := range g.Comments {
			cc := *cm
			cg.Comments[j] = &cc
		}
		c.Groups[i] = &cg
	}
	return &c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

func cloneInt(n *int) *int {
	if n == nil {
		return nil
	}
	v := *n
	return &v
}
