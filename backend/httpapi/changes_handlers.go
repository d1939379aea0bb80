package httpapi

import (
	"io"
	"net/http"

	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/render"
)

// handleRequestChanges answers what changed in a request file since its reviewers last
// voted on it (the versions are read as streams; the answer is bounded by
// render.DefaultDiffLimits whatever their size).
func (s *Server) handleRequestChanges(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	reviewed, current, f, err := s.svc.OpenRequestFileChanges(r.Context(), userFrom(r), r.PathValue("id"), p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer reviewed.Close()
	defer current.Close()
	oldSize, err := reviewed.Seek(0, io.SeekEnd)
	if err != nil {
		writeError(w, r, err)
		return
	}
	d, err := render.DiffFiles(p, reviewed, current,
		render.Version{SHA256: f.ReviewedFileID, Size: oldSize}, render.Version{SHA256: f.FileID, Size: f.Size},
		render.DefaultDiffLimits)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromDiff(p, d))
}
