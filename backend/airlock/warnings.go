package airlock

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Disclosure-check warnings are hints for people (docs/api.md, "Warnings and
// acknowledgements"): nothing is decided from them automatically. The one rule they feed is
// that nobody approves a file with a BLOCK warning without saying, in a note kept with the
// vote and in its audit event, that they have seen it.

// WarningCounts counts the disclosure-check warnings of one file's content by severity.
type WarningCounts struct {
	Info  int
	Warn  int
	Block int
}

// Total is the number of warnings of every severity.
func (w WarningCounts) Total() int { return w.Info + w.Warn + w.Block }

// Add is the sum of w and o.
func (w WarningCounts) Add(o WarningCounts) WarningCounts {
	return WarningCounts{Info: w.Info + o.Info, Warn: w.Warn + o.Warn, Block: w.Block + o.Block}
}

// MaxAcknowledgementLength bounds an acknowledgement note (it is stored with the vote and
// copied into the audit log).
const MaxAcknowledgementLength = 2000

// NeedsAcknowledgement reports whether approving f needs an acknowledgement note: its
// content carries at least one BLOCK warning. A file whose warnings were never counted
// (Warnings nil) needs none here; the service counts them before a vote (it never lets a
// vote through on a file it has not checked).
func NeedsAcknowledgement(f *RequestFile) bool {
	return f != nil && f.Warnings != nil && f.Warnings.Block > 0
}

// AcknowledgementReason says, for people, why approving f needs a note ("" when it needs
// none). It is the text of the file's "approve" action and of the error refusing an approval
// without a note.
func AcknowledgementReason(f *RequestFile) string {
	if !NeedsAcknowledgement(f) {
		return ""
	}
	what := "a BLOCK warning"
	if n := f.Warnings.Block; n > 1 {
		what = fmt.Sprintf("%d BLOCK warnings", n)
	}
	return fmt.Sprintf("This file has %s from the disclosure checks. To approve it, add a note saying you have seen the warning and why the file can still be released.", what)
}

// CleanAcknowledgement trims note and checks its length (an empty result means "no note").
func CleanAcknowledgement(note string) (string, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxAcknowledgementLength {
		return "", Errorf(CodeInvalid, "The acknowledgement note must be at most %d characters", MaxAcknowledgementLength)
	}
	if !utf8.ValidString(note) || strings.ContainsRune(note, 0) {
		return "", Errorf(CodeInvalid, "The acknowledgement note must be plain text")
	}
	return note, nil
}

// CanApprove: see CheckCanApprove.
func CanApprove(u User, r *ReleaseRequest, relpath, note string) bool {
	return CheckCanApprove(u, r, relpath, note) == nil
}

// CheckCanApprove: u may vote on the file at relpath (CheckCanVote), and when the file has
// BLOCK warnings, note (already cleaned: see CleanAcknowledgement) is not empty. The error
// without a note is CodeInvalid with AcknowledgementReason as its message.
func CheckCanApprove(u User, r *ReleaseRequest, relpath, note string) error {
	if err := CheckCanVote(u, r, relpath); err != nil {
		return err
	}
	if f := r.File(relpath); NeedsAcknowledgement(f) && note == "" {
		return Errorf(CodeInvalid, "%s", AcknowledgementReason(f))
	}
	return nil
}

// ApproveAction is the file's "approve" action for u: allowed exactly when voting is, and,
// when approving needs an acknowledgement note, the reason it does in Acknowledge.
func ApproveAction(u User, r *ReleaseRequest, relpath string) ActionState {
	st := StateOf(CheckCanVote(u, r, relpath))
	if st.Allowed {
		st.Acknowledge = AcknowledgementReason(r.File(relpath))
	}
	return st
}

// Acknowledgement is one reviewer's note on approving a file with BLOCK warnings.
type Acknowledgement struct {
	Reviewer string
	Note     string
	Turn     int
}

// VisibleAcknowledgements are the acknowledgement notes on f's current approvals that u may
// see, in reviewer order. A note is part of its vote's audit event (REQUEST_FILE_APPROVE),
// so it is seen exactly by whoever sees that event (AuditEventVisible): its reviewer always;
// during the independent reviews nobody else (blinding); once they are over the other
// reviewers; once the request is returned or decided, everyone who sees the request. Never nil.
func VisibleAcknowledgements(u User, r *ReleaseRequest, f *RequestFile) []Acknowledgement {
	out := []Acknowledgement{}
	for _, name := range slices.Sorted(maps.Keys(f.Reviews)) {
		rv := f.Reviews[name]
		if rv.Status != VoteApproved || rv.Acknowledgement == "" {
			continue
		}
		if itemVisible(u, r, name, rv.ReviewTurn, VisibilityPublic, false) {
			out = append(out, Acknowledgement{Reviewer: name, Note: rv.Acknowledgement, Turn: rv.ReviewTurn})
		}
	}
	return out
}
