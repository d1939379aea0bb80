package airlock

import "fmt"

// NextStep is one or two sentences telling u what is expected of them now on r, worded
// from the same rules as the actions block (docs/api.md "Request": nextStep).
func NextStep(u User, r *ReleaseRequest, p Policy) string {
	author := u.Username == r.Author
	reviewer := CanViewWorkspace(u, r.Workspace) && CanReview(u, r)
	switch {
	case r.Status.IsEditable():
		if !author {
			return "Nothing to do now: the request is with its author."
		}
		if err := CheckCanSubmit(u, r, p); err != nil {
			return "Your turn: " + ErrorMessage(err)
		}
		if r.Status == StatusReturned {
			return "Your turn: address the requested changes, then resubmit the request for review."
		}
		return "Your turn: when the files, context and controls are ready, submit the request for review."
	case r.Status == StatusReviewed:
		switch {
		case reviewer && CanRelease(u, r, p):
			return "All reviews have been submitted. You can now return, reject or release this request."
		case reviewer && CanReturn(u, r, p):
			return "All reviews have been submitted. You can now return or reject this request."
		case reviewer:
			if err := CheckCanReturn(u, r, p); err != nil {
				return ErrorMessage(err)
			}
		case author:
			return "Nothing to do now: the output checkers are deciding."
		}
		return "All reviews have been submitted."
	case r.Status.IsUnderReview():
		switch {
		case reviewer:
			if r.HasSubmitted(u.Username) {
				return "You have submitted your review. Nothing more to do until all reviews are in."
			}
			voted, total := 0, 0
			for _, f := range r.OutputFiles() {
				total++
				if v := f.Vote(u.Username); v != nil && v.Status != VoteUndecided {
					voted++
				}
			}
			if voted < total {
				return fmt.Sprintf("Review the output files: %d of %d done. Approve or request changes on each, then submit your review.", voted, total)
			}
			if err := CheckCanSubmitReview(u, r, p); err != nil {
				return ErrorMessage(err)
			}
			return "You have reviewed all files. Add comments to groups if needed, then submit your review."
		case author:
			return "Nothing to do now: the request is with the output checkers."
		}
		return "The request is under review."
	case r.Status == StatusApproved:
		released, uploaded := 0, 0
		for _, f := range r.AllFiles() {
			if f.FileType == FileTypeOutput && f.ReleasedAt != nil {
				released++
				if f.Uploaded {
					uploaded++
				}
			}
		}
		return fmt.Sprintf("The files have been released and are being uploaded (%d of %d).", uploaded, released)
	case r.Status == StatusReleased:
		return "The files have been released. This request is closed."
	}
	return "This request is closed."
}

// ReviewList is the list of the output checkers' reviews page a request in status s
// belongs to: "OUTSTANDING" (under review), "RETURNED", "APPROVED" (released, uploading),
// or "" (none of them).
func (s Status) ReviewList() string {
	switch {
	case s.IsUnderReview():
		return "OUTSTANDING"
	case s == StatusReturned:
		return "RETURNED"
	case s == StatusApproved:
		return "APPROVED"
	}
	return ""
}
