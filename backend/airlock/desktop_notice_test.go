package airlock

import "testing"

func TestDesktopNoticeFor(t *testing.T) {
	submitted := NoticeFacts{Status: StatusSubmitted, Author: "alice", Workspace: "ws", Reviewer: true}
	returned := NoticeFacts{Status: StatusReturned, Author: "alice", Workspace: "ws"}
	for _, c := range []struct {
		name  string
		user  string
		prev  Status
		known bool
		facts NoticeFacts
		want  string // the notice's title, "" for none
	}{
		{"a reviewer is told of a submission", "olivia", StatusPending, true, submitted, "A request awaits your review"},
		{"of a request the window had not seen", "olivia", "", false, submitted, "A request awaits your review"},
		{"and of a resubmission", "olivia", StatusReturned, true, submitted, "A request awaits your review"},
		{"not again within the same status", "olivia", StatusSubmitted, true, submitted, ""},
		{"not once their review is submitted", "olivia", StatusPending, true, NoticeFacts{Status: StatusSubmitted, Author: "alice", Workspace: "ws", Reviewer: true, ReviewSubmitted: true}, ""},
		{"not a user who may not review", "bob", StatusPending, true, NoticeFacts{Status: StatusSubmitted, Author: "alice", Workspace: "ws"}, ""},
		{"not the author of a submission", "alice", StatusPending, true, NoticeFacts{Status: StatusSubmitted, Author: "alice", Workspace: "ws", Reviewer: true}, ""},
		{"the author is told of a return", "alice", StatusReviewed, true, returned, "Your request was returned"},
		{"a checker is not told of a return", "olivia", StatusReviewed, true, returned, ""},
		{"nobody is told of an approval", "alice", StatusReviewed, true, NoticeFacts{Status: StatusApproved, Author: "alice", Workspace: "ws"}, ""},
		{"nor of a release", "alice", StatusApproved, true, NoticeFacts{Status: StatusReleased, Author: "alice", Workspace: "ws"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, ok := DesktopNoticeFor(c.user, c.prev, c.known, c.facts)
			if ok != (c.want != "") || n.Title != c.want {
				t.Fatalf("notice = %+v, %v; want %q", n, ok, c.want)
			}
			if ok && n.Body == "" {
				t.Fatal("a notice without a body")
			}
		})
	}
}
