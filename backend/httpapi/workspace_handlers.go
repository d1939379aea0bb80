package httpapi

import (
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// Workspace routes (docs/api.md "Workspaces", "Tables and summaries"). Each handler: the
// user → decode the path and query → one service call → a contract value, or writeError.
// The table, summary and log views then hand the opened file to the render engine.

func (s *Server) handleWorkspaceList(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.ListWorkspaces(r.Context(), userFrom(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromWorkspaceSummaries(out))
}

func (s *Server) handleAllWorkspaces(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.ListAllWorkspaces(r.Context(), userFrom(r), r.URL.Query().Get("q"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromAllWorkspaces(out))
}

func (s *Server) handleWorkspaceGet(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.GetWorkspace(r.Context(), userFrom(r), r.PathValue("ws"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromWorkspaceSummary(out))
}

// queryBool reads a boolean query parameter ("1", "true", "0", "false"; absent is false).
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, airlock.Errorf(airlock.CodeInvalid, "%s must be true or false", name)
	}
	return b, nil
}

// handleWorkspaceTree lists one directory level; ?outOfDate=true includes the outputs of
// actions no longer in the project.
func (s *Server) handleWorkspaceTree(w http.ResponseWriter, r *http.Request) {
	outOfDate, err := queryBool(r, "outOfDate")
	if err != nil {
		writeError(w, r, err)
		return
	}
	dir := r.PathValue("path")
	items, err := s.svc.ListTree(r.Context(), userFrom(r), r.PathValue("ws"), dir, outOfDate)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromTree(dir, items))
}

func (s *Server) handleWorkspaceFile(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.GetWorkspaceFile(r.Context(), userFrom(r), r.PathValue("ws"), r.PathValue("path"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromFileDetail(d))
}

// handleWorkspaceContent serves a workspace file for viewing (audited by the service).
// Workspace files are never offered for download: the answer is always inline.
func (s *Server) handleWorkspaceContent(w http.ResponseWriter, r *http.Request) {
	plain, err := queryBool(r, "plaintext")
	if err != nil {
		writeError(w, r, err)
		return
	}
	p := r.PathValue("path")
	rc, wf, err := s.svc.OpenWorkspaceFile(r.Context(), userFrom(r), r.PathValue("ws"), p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer rc.Close()
	serveContent(w, r, rc, p, wf.ContentHash, wf.ModifiedAt, plain, false)
}

// serveContent writes a file with the viewing headers of docs/api.md: inline (attachment
// only for downloads), the Content-Type of its extension (text/plain when plain is set),
// nosniff, the sandbox CSP (set by the security middleware for content routes) and ETag =
// content hash. Conditional and range requests are answered by http.ServeContent.
func serveContent(w http.ResponseWriter, r *http.Request, rc io.ReadSeeker, p, hash string, mod time.Time, plain, download bool) {
	h := w.Header()
	ct := render.ContentType(p)
	if plain {
		ct = render.PlainText
	} else if enc := render.ContentEncoding(p); enc != "" {
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	// The middleware sets it by route; set here too, so file bytes are never served without
	// the sandbox whatever shape the URL had (docs/decisions.md §12).
	h["Content-Security-Policy"] = hdrContentCSP
	disposition := "inline"
	if download {
		disposition = "attachment"
	}
	if cd := mime.FormatMediaType(disposition, map[string]string{"filename": path.Base(p)}); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	if hash != "" {
		h.Set("ETag", strconv.Quote(hash))
	}
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, path.Base(p), mod, rc)
}

// checkCSV refuses the table and summary views for files that are not CSV. It runs after the
// service has opened the file, so that the service's answer about the path (not_found for
// anything outside the workspace) comes first.
func checkCSV(p string) error {
	if !render.IsCSV(p) {
		return airlock.Errorf(airlock.CodeInvalid, "%s is not a CSV file; only CSV files have a table view", path.Base(p))
	}
	return nil
}

// tableView is the read a table page asks for; the service decides whether it is audited
// (the first page in file order opens the file; scrolling, sorting and searching do not).
func tableView(q render.TableQuery) service.FileView {
	return service.FileView{Kind: service.ViewTable, Offset: q.Offset, Sort: q.Sort, Search: q.Q}
}

// handleWorkspaceTable answers one page of a workspace CSV file (docs/api.md "Tables").
func (s *Server) handleWorkspaceTable(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	q, err := render.ParseTableQuery(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	rc, wf, err := s.svc.ReadWorkspaceFile(r.Context(), userFrom(r), r.PathValue("ws"), p, tableView(q))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeTable(w, r, p, tableKey(wf.ContentHash, r.PathValue("ws"), p, wf.Size, wf.ModifiedAt), rc, q)
}

// handleWorkspaceSummary answers the summary statistics and disclosure-check warnings of a
// workspace CSV file (a derived view: not audited by itself).
func (s *Server) handleWorkspaceSummary(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	rc, wf, err := s.svc.ReadWorkspaceFile(r.Context(), userFrom(r), r.PathValue("ws"), p, service.FileView{Kind: service.ViewSummary})
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeSummary(w, r, p, tableKey(wf.ContentHash, r.PathValue("ws"), p, wf.Size, wf.ModifiedAt), rc)
}

// handleWorkspaceLog answers the viewable part of a workspace log: the last 10,000 bytes
// above the job summary, and the summary.
func (s *Server) handleWorkspaceLog(w http.ResponseWriter, r *http.Request) {
	rc, _, err := s.svc.ReadWorkspaceFile(r.Context(), userFrom(r), r.PathValue("ws"), r.PathValue("path"), service.FileView{Kind: service.ViewLog})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeLog(w, r, rc)
}

// writeTable answers one page of the CSV file p that the service has opened (workspace or
// request copy; key names its content for the caches). The page's reader takes rc.
func (s *Server) writeTable(w http.ResponseWriter, r *http.Request, p, key string, rc io.ReadSeekCloser, q render.TableQuery) {
	if err := checkCSV(p); err != nil {
		_ = rc.Close()
		writeError(w, r, err)
		return
	}
	tbl, err := s.viewer().Table(r.Context(), key, rc, q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tbl)
}

// writeSummary answers the summary of the CSV file p that the service has opened, as
// writeTable does a page.
func (s *Server) writeSummary(w http.ResponseWriter, r *http.Request, p, key string, rc io.ReadSeekCloser) {
	if err := checkCSV(p); err != nil {
		_ = rc.Close()
		writeError(w, r, err)
		return
	}
	sum, err := s.viewer().Summary(r.Context(), key, rc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// writeLog answers the viewable part of a log file the service has opened, and closes it.
func writeLog(w http.ResponseWriter, r *http.Request, rc io.ReadSeekCloser) {
	defer rc.Close()
	l, err := render.TruncateLog(rc, render.MaxLogBytes)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// tableKey names a file's content for the table caches: its SHA-256, or when that is not
// known, where it is and its size and time.
func tableKey(hash, scope, p string, size int64, mod time.Time) string {
	if hash != "" {
		return hash
	}
	return "unhashed:" + scope + "/" + p + ":" + strconv.FormatInt(size, 10) + ":" + mod.UTC().Format(time.RFC3339Nano)
}

// viewer is the CSV engine of the table and summary routes.
func (s *Server) viewer() *render.Tables { return s.tables }
