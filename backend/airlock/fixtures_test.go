package airlock

import (
	"fmt"
	"time"
)

const ws = "ws"

var (
	activeGrant   = WorkspaceGrant{Project: Project{Name: "p", Ongoing: true}}
	archivedGrant = WorkspaceGrant{Project: Project{Name: "p", Ongoing: true}, Archived: true}
	inactiveGrant = WorkspaceGrant{Project: Project{Name: "p", Ongoing: false}}
	t0            = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func researcher(name string) User {
	return User{Username: name, Workspaces: map[string]WorkspaceGrant{ws: activeGrant}}
}

func checker(name string) User { return User{Username: name, OutputChecker: true} }

func checkerWithRole(name string) User {
	u := researcher(name)
	u.OutputChecker = true
	return u
}

func copilot(name string) User {
	return User{Username: name, CopilotedWorkspaces: map[string]WorkspaceGrant{ws: activeGrant}}
}

func readonly(name string) User { return User{Username: name, ReadonlyAccess: true} }

// newReq builds a request by alice in status st with group g1 (context and controls set)
// holding an output file out/a.csv and a supporting file out/notes.txt.
func newReq(st Status) *ReleaseRequest {
	return &ReleaseRequest{
		ID: "01HZZZABCDEFGHJKMNPQRSTVWX", Workspace: ws, Author: "alice", Status: st, CreatedAt: t0,
		SubmittedReviews: map[string]time.Time{},
		Groups: []*FileGroup{{
			Name: "g1", Context: "ctx", Controls: "ctl",
			Files: []*RequestFile{
				{RelPath: "out/a.csv", Group: "g1", FileType: FileTypeOutput, FileID: "hash-a"},
				{RelPath: "out/notes.txt", Group: "g1", FileType: FileTypeSupporting, FileID: "hash-n"},
			},
		}},
	}
}

func (r *ReleaseRequest) addGroup(name string) *FileGroup {
	g := &FileGroup{Name: name, Context: "ctx", Controls: "ctl"}
	r.Groups = append(r.Groups, g)
	return g
}

func (r *ReleaseRequest) addFile(group, relpath string, ft FileType) *RequestFile {
	g := r.Group(group)
	if g == nil {
		g = r.addGroup(group)
	}
	f := &RequestFile{RelPath: relpath, Group: group, FileType: ft, FileID: "hash-" + relpath}
	g.Files = append(g.Files, f)
	return f
}

func (r *ReleaseRequest) vote(relpath, reviewer string, v Vote, turn int) {
	f := r.File(relpath)
	if f == nil {
		panic("no file " + relpath)
	}
	if f.Reviews == nil {
		f.Reviews = map[string]*FileReview{}
	}
	f.Reviews[reviewer] = &FileReview{Reviewer: reviewer, Status: v, ReviewTurn: turn}
}

func (r *ReleaseRequest) submitReviews(reviewers ...string) {
	for _, rv := range reviewers {
		r.SubmittedReviews[rv] = t0
	}
}

var commentSeq int

func (r *ReleaseRequest) comment(group, author string, v Visibility, turn int) *Comment {
	commentSeq++
	c := &Comment{ID: fmt.Sprint(commentSeq), Author: author, Text: "text", Visibility: v, ReviewTurn: turn}
	g := r.Group(group)
	g.Comments = append(g.Comments, c)
	return c
}

// matrixReq builds the request used by the status × role matrix: every precondition other
// than status and role holds. chk3 and chk4 are the reviewers who already submitted (as many
// as the status implies) and approved out/a.csv; chk1 and chk2 voted but did not submit.
func matrixReq(st Status) *ReleaseRequest {
	r := newReq(st)
	submitted := t0
	turn := map[Status]int{
		StatusPending: 0, StatusSubmitted: 1, StatusPartiallyReviewed: 1, StatusReviewed: 1,
		StatusReturned: 2, StatusApproved: 1, StatusRejected: 1, StatusReleased: 1, StatusWithdrawn: 2,
	}[st]
	r.ReviewTurn = turn
	if st != StatusPending {
		r.LastSubmittedAt = &submitted
	}
	for _, rv := range []string{"chk1", "chk2", "chk3", "chk4"} {
		r.vote("out/a.csv", rv, VoteApproved, turn)
	}
	switch st {
	case StatusPartiallyReviewed:
		r.submitReviews("chk3")
	case StatusReviewed, StatusApproved, StatusRejected, StatusReleased:
		r.submitReviews("chk3", "chk4")
	case StatusReturned, StatusWithdrawn:
		r.TurnReviewers = []string{"chk3", "chk4"}
	}
	return r
}
