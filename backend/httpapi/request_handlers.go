package httpapi

import (
	"context"
	"net/http"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// Request routes (docs/api.md "Release requests"). Each handler: the user → decode → one
// service call → the contract value (the Request as the caller may see it), or writeError.

// writeRequest answers a request view, or the error.
func writeRequest(w http.ResponseWriter, r *http.Request, status int, v service.RequestView, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, contract.FromRequestView(v))
}

func (s *Server) handleRequestCreate(w http.ResponseWriter, r *http.Request) {
	var in contract.CreateRequestInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, created, err := s.svc.GetOrCreateRequest(r.Context(), userFrom(r), in.Workspace)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeRequest(w, r, status, v, err)
}

func (s *Server) handleRequestList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rq := service.RequestQuery{Workspace: q.Get("workspace"), Scope: q.Get("scope"), Org: q.Get("org")}
	for _, st := range q["status"] {
		rq.Statuses = append(rq.Statuses, airlock.Status(st))
	}
	out, err := s.svc.ListRequests(r.Context(), userFrom(r), rq)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromRequestSummaries(out))
}

func (s *Server) handleRequestGet(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.GetRequest(r.Context(), userFrom(r), r.PathValue("id"))
	s.writeRequestBody(w, r, v, err)
}

func (s *Server) handleRequestAddFiles(w http.ResponseWriter, r *http.Request) {
	var in contract.AddFilesInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.AddFiles(r.Context(), userFrom(r), r.PathValue("id"), in.Group, in.FileSpecs())
	writeRequest(w, r, http.StatusCreated, v, err)
}

func (s *Server) handleRequestUpdateFiles(w http.ResponseWriter, r *http.Request) {
	var in contract.PathsInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.UpdateFiles(r.Context(), userFrom(r), r.PathValue("id"), in.Paths)
	writeRequest(w, r, http.StatusOK, v, err)
}

func (s *Server) handleRequestWithdrawFiles(w http.ResponseWriter, r *http.Request) {
	var in contract.PathsInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.WithdrawFiles(r.Context(), userFrom(r), r.PathValue("id"), in.Paths)
	writeRequest(w, r, http.StatusOK, v, err)
}

func (s *Server) handleRequestFileProperties(w http.ResponseWriter, r *http.Request) {
	var in contract.PropertiesInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.ChangeFileProperties(r.Context(), userFrom(r), r.PathValue("id"), in.Paths, in.Group, in.FileType)
	writeRequest(w, r, http.StatusOK, v, err)
}

// handleRequestContent serves a request's stored copy for viewing, or with ?download=1 as
// an attachment (audited REQUEST_FILE_DOWNLOAD; the service allows output checkers who are
// not the author).
func (s *Server) handleRequestContent(w http.ResponseWriter, r *http.Request) {
	download, err := queryBool(r, "download")
	var plain bool
	if err == nil {
		plain, err = queryBool(r, "plaintext")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	p := r.PathValue("path")
	rc, f, err := s.svc.OpenRequestFile(r.Context(), userFrom(r), r.PathValue("id"), p, download)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer rc.Close()
	serveContent(w, r, rc, p, f.FileID, f.Timestamp, plain && !download, download)
}

func (s *Server) handleRequestTable(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	q, err := render.ParseTableQuery(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	rc, f, err := s.svc.ReadRequestFile(r.Context(), userFrom(r), r.PathValue("id"), p, tableView(q))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeTable(w, r, p, f.FileID, rc, q)
}

func (s *Server) handleRequestSummary(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	rc, f, err := s.svc.ReadRequestFile(r.Context(), userFrom(r), r.PathValue("id"), p, service.FileView{Kind: service.ViewSummary})
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeSummary(w, r, p, f.FileID, rc)
}

func (s *Server) handleRequestLog(w http.ResponseWriter, r *http.Request) {
	rc, _, err := s.svc.ReadRequestFile(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("path"), service.FileView{Kind: service.ViewLog})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeLog(w, r, rc)
}

func (s *Server) handleGroupEdit(w http.ResponseWriter, r *http.Request) {
	var in contract.GroupInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.EditGroup(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("group"), *in.Context, *in.Controls)
	writeRequest(w, r, http.StatusOK, v, err)
}

// handleCommentAdd answers 201 {"comment": ...}. The comment's blinded, canDelete and
// canPublish flags need the whole request, so they are false here; the request view (which
// the client refetches on the request.changed event) has them.
func (s *Server) handleCommentAdd(w http.ResponseWriter, r *http.Request) {
	var in contract.CommentInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.svc.AddComment(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("group"), in.Text, in.Visibility)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, contract.CommentOutput{Comment: contract.FromNewComment(c)})
}

func (s *Server) handleCommentDelete(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.DeleteComment(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("commentId"))
	writeRequest(w, r, http.StatusOK, v, err)
}

func (s *Server) handleCommentPublish(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.PublishComment(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("commentId"))
	writeRequest(w, r, http.StatusOK, v, err)
}

func (s *Server) handleVote(w http.ResponseWriter, r *http.Request) {
	var in contract.VoteInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := s.svc.VoteWithNote(r.Context(), userFrom(r), r.PathValue("id"), in.Paths, in.Vote, in.Acknowledgement)
	writeRequest(w, r, http.StatusOK, v, err)
}

// requestStep is a service method that moves a request on (submit, withdraw, review, return,
// reject, release): the actor and the request's id, no body.
type requestStep func(ctx context.Context, u airlock.User, id string) (service.RequestView, error)

// handleStep answers one of the request's workflow steps with the request view.
func (s *Server) handleStep(step requestStep) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := step(r.Context(), userFrom(r), r.PathValue("id"))
		writeRequest(w, r, http.StatusOK, v, err)
	}
}

func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) {
	evs, err := s.svc.Activity(r.Context(), userFrom(r), r.PathValue("id"), r.URL.Query().Get("group"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromAuditEvents(evs))
}
