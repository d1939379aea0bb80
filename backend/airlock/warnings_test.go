package airlock

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reqWithWarnings: submittedReq with out/a.csv counted as w (nil: never counted).
func reqWithWarnings(w *WarningCounts) *ReleaseRequest {
	r := submittedReq()
	r.File("out/a.csv").Warnings = w
	return r
}

func TestCheckCanApprove_Table(t *testing.T) {
	block := &WarningCounts{Info: 1, Warn: 2, Block: 1}
	twoBlocks := &WarningCounts{Block: 2}
	warnOnly := &WarningCounts{Info: 3, Warn: 4}
	bob := checker("bob")
	for _, tc := range []struct {
		name     string
		user     User
		warnings *WarningCounts
		path     string
		note     string
		code     Code   // "" = allowed
		message  string // substring of the refusal
	}{
		{"block without a note", bob, block, "out/a.csv", "", CodeInvalid, "This file has a BLOCK warning"},
		{"two blocks without a note", bob, twoBlocks, "out/a.csv", "", CodeInvalid, "This file has 2 BLOCK warnings"},
		{"block with a note", bob, block, "out/a.csv", "seen: counts are pre-suppressed", "", ""},
		{"warn only needs no note", bob, warnOnly, "out/a.csv", "", "", ""},
		{"no warnings needs no note", bob, &WarningCounts{}, "out/a.csv", "", "", ""},
		{"never counted needs no note here", bob, nil, "out/a.csv", "", "", ""},
		{"another file of the request needs no note", bob, block, "out/b.csv", "", "", ""},
		// Voting rules come first: a note never lets anyone vote who may not.
		{"the author with a note", researcher("alice"), block, "out/a.csv", "note", CodePermissionDenied, ""},
		{"a supporting file", bob, block, "out/notes.txt", "note", CodeInvalid, "Only output files are reviewed"},
		{"a missing file", bob, block, "out/zzz.csv", "note", CodeNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reqWithWarnings(tc.warnings)
			err := CheckCanApprove(tc.user, r, tc.path, tc.note)
			if tc.code == "" {
				assert.NoError(t, err)
				assert.True(t, CanApprove(tc.user, r, tc.path, tc.note))
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.code, ErrorCode(err))
			assert.Contains(t, ErrorMessage(err), tc.message)
			assert.False(t, CanApprove(tc.user, r, tc.path, tc.note))
		})
	}
}

func TestAcknowledgementReason_ForPeople(t *testing.T) {
	r := reqWithWarnings(&WarningCounts{Block: 1})
	reason := AcknowledgementReason(r.File("out/a.csv"))
	assert.Equal(t, "This file has a BLOCK warning from the disclosure checks. To approve it, add a note saying you have seen the warning and why the file can still be released.", reason)
	assert.Equal(t, "", AcknowledgementReason(r.File("out/b.csv")))
	assert.Equal(t, "", AcknowledgementReason(nil))
	// The refusal without a note says exactly what the action says.
	assert.Equal(t, reason, ErrorMessage(CheckCanApprove(checker("bob"), r, "out/a.csv", "")))
}

func TestApproveAction(t *testing.T) {
	r := reqWithWarnings(&WarningCounts{Block: 3})
	st := ApproveAction(checker("bob"), r, "out/a.csv")
	assert.True(t, st.Allowed)
	assert.Contains(t, st.Acknowledge, "3 BLOCK warnings")
	assert.Empty(t, st.Reason)

	st = ApproveAction(checker("bob"), r, "out/b.csv")
	assert.Equal(t, ActionState{Shown: true, Allowed: true}, st, "no warnings: a plain allowed action")

	// Not allowed to vote: the voting reason, and no acknowledgement text.
	st = ApproveAction(researcher("alice"), r, "out/a.csv")
	assert.False(t, st.Allowed)
	assert.NotEmpty(t, st.Reason)
	assert.Empty(t, st.Acknowledge)
}

func TestCleanAcknowledgement(t *testing.T) {
	n, err := CleanAcknowledgement("  seen it \n")
	require.NoError(t, err)
	assert.Equal(t, "seen it", n)
	n, err = CleanAcknowledgement(" \t ")
	require.NoError(t, err)
	assert.Equal(t, "", n, "blank is no note")
	_, err = CleanAcknowledgement(strings.Repeat("é", MaxAcknowledgementLength))
	assert.NoError(t, err, "the limit counts characters, not bytes")
	_, err = CleanAcknowledgement(strings.Repeat("x", MaxAcknowledgementLength+1))
	assert.Equal(t, CodeInvalid, ErrorCode(err))
	_, err = CleanAcknowledgement("a\x00b")
	assert.Equal(t, CodeInvalid, ErrorCode(err))
	_, err = CleanAcknowledgement("a\xffb")
	assert.Equal(t, CodeInvalid, ErrorCode(err))
}

func TestVisibleAcknowledgements_Blinding(t *testing.T) {
	r := reqWithWarnings(&WarningCounts{Block: 1})
	r.vote("out/a.csv", "bob", VoteApproved, 1)
	r.vote("out/a.csv", "carol", VoteApproved, 1)
	r.vote("out/a.csv", "dave", VoteChangesRequested, 1)
	f := r.File("out/a.csv")
	f.Reviews["bob"].Acknowledgement = "bob saw it"
	f.Reviews["carol"].Acknowledgement = "carol saw it"
	f.Reviews["dave"].Acknowledgement = "not an approval: never shown"

	names := func(acks []Acknowledgement) []string {
		out := []string{}
		for _, a := range acks {
			out = append(out, a.Reviewer+": "+a.Note)
		}
		return out
	}
	// Independent review: each reviewer sees only their own note.
	r.Status = StatusPartiallyReviewed
	assert.Equal(t, []string{"bob: bob saw it"}, names(VisibleAcknowledgements(checker("bob"), r, f)))
	assert.Equal(t, []string{}, names(VisibleAcknowledgements(checker("erin"), r, f)))
	// Consolidating: reviewers see every approval's note, in reviewer order.
	r.Status = StatusReviewed
	assert.Equal(t, []string{"bob: bob saw it", "carol: carol saw it"}, names(VisibleAcknowledgements(checker("erin"), r, f)))
	// Until the request is decided the author and users who cannot review see none.
	assert.Equal(t, []string{}, names(VisibleAcknowledgements(researcher("alice"), r, f)))
	assert.Equal(t, []string{}, names(VisibleAcknowledgements(copilot("cop"), r, f)))
	// Decided: whoever sees the vote's audit event sees its note, the author too.
	r.Status = StatusApproved
	assert.Len(t, VisibleAcknowledgements(researcher("alice"), r, f), 2)
	assert.Len(t, VisibleAcknowledgements(checker("erin"), r, f), 2)
	// The same rule as the audit event that holds the note.
	for _, u := range []User{researcher("alice"), checker("erin"), checker("bob"), copilot("cop")} {
		for _, st := range []Status{StatusPartiallyReviewed, StatusReviewed, StatusApproved} {
			r.Status = st
			ev := NewAuditEvent(AuditRequestFileApprove, checker("carol"), r, "out/a.csv",
				map[string]string{"acknowledgement": "carol saw it"})
			ev.Extra["review_turn"] = "1"
			sees := slices.ContainsFunc(VisibleAcknowledgements(u, r, f), func(a Acknowledgement) bool { return a.Reviewer == "carol" })
			assert.Equal(t, AuditEventVisible(u, r, ev), sees, "%s in %s", u.Username, st)
		}
	}
}

func TestWarningCounts(t *testing.T) {
	a := WarningCounts{Info: 1, Warn: 2, Block: 3}
	assert.Equal(t, 6, a.Total())
	assert.Equal(t, WarningCounts{Info: 2, Warn: 2, Block: 4}, a.Add(WarningCounts{Info: 1, Block: 1}))
}
