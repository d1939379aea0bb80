package workspace

import (
	"encoding/json"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// ManifestPath is the job-runner manifest, relative to a workspace folder.
const ManifestPath = "metadata/manifest.json"

// manifestFile is the part of job-runner's metadata/manifest.json that Airlock reads.
type manifestFile struct {
	Workspace string                    `json:"workspace"`
	Repo      *string                   `json:"repo"`
	Outputs   map[string]ManifestOutput `json:"outputs"`
}

// ManifestOutput is one entry of a manifest's "outputs", keyed by its path.
type ManifestOutput struct {
	Level           string  `json:"level"`
	JobID           string  `json:"job_id"`
	JobRequest      string  `json:"job_request"`
	Action          string  `json:"action"`
	Repo            string  `json:"repo"`
	Commit          string  `json:"commit"`
	Size            int64   `json:"size"`
	Timestamp       float64 `json:"timestamp"`
	ContentHash     string  `json:"content_hash"`
	Excluded        bool    `json:"excluded"`
	Message         *string `json:"message"`
	RowCount        *int    `json:"row_count"`
	ColCount        *int    `json:"col_count"`
	User            string  `json:"user"`
	OutOfDateAction bool    `json:"out_of_date_action"`
	OutOfDateOutput bool    `json:"out_of_date_output"`
}

// MarshalManifest encodes a manifest of workspace ws (the format parseManifest reads); it is
// how tests and tools write one.
func MarshalManifest(ws, repo string, outputs map[string]ManifestOutput) ([]byte, error) {
	return json.Marshal(manifestFile{Workspace: ws, Repo: &repo, Outputs: outputs})
}

// parsedManifest is a manifest reduced to the valid workspace paths (§2.3). It is never
// changed once parsed, except for the memo of its directory levels.
type parsedManifest struct {
	hash string
	// files maps each valid path to its metadata. Entries with fromDisk set (excluded
	// outputs, shown as their "<key>.txt" message file) take size, time and hash from the
	// file system.
	files map[string]*entry

	mu sync.Mutex
	// lists memoises the directory levels listed from files (see listing.complete for the
	// entries described by the disk, which are read on every call).
	lists map[listKey]listing
}

// listing returns one directory level of the manifest's outputs, memoised. The result is
// shared: callers copy it before changing it.
func (pm *parsedManifest) listing(k listKey) listing {
	pm.mu.Lock()
	l, ok := pm.lists[k]
	pm.mu.Unlock()
	if ok {
		return l
	}
	l = buildListing(pm.files, k.dir, k.ood)
	pm.mu.Lock()
	defer pm.mu.Unlock()
	putBounded(&pm.lists, k, l, maxManifestListings)
	return l
}

// maxManifestListings bounds the memo of a manifest's directory levels (each key is a
// directory a client asked for, valid or not).
const maxManifestListings = 256

func parseManifest(data []byte, hash string) (*parsedManifest, error) {
	var m manifestFile
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	pm := &parsedManifest{hash: hash, files: make(map[string]*entry, len(m.Outputs))}
	for key, o := range m.Outputs {
		if o.Level != "moderately_sensitive" || o.OutOfDateOutput {
			continue
		}
		p := key
		if o.Excluded {
			p = key + ".txt"
		}
		// Keys that are not clean relative paths cannot be addressed; hidden ones are never
		// shown; the metadata folder is described by the disk, not the manifest.
		if !validRel(p) || hidden(p) || p == "metadata" || strings.HasPrefix(p, "metadata/") {
			continue
		}
		// A notice never takes the place of an output listed at the same path.
		if prev, ok := pm.files[p]; ok && o.Excluded && prev.file.Manifest == airlock.ManifestOutput {
			continue
		}
		f := airlock.WorkspaceFile{
			Path:       p,
			OutOfDate:  o.OutOfDateAction,
			Manifest:   airlock.ManifestOutput,
			JobID:      o.JobID,
			JobRequest: o.JobRequest,
			Action:     o.Action,
			Commit:     o.Commit,
			Repo:       o.Repo,
			User:       o.User,
		}
		if o.Excluded {
			f.Manifest = airlock.ManifestExcludedNotice
		}
		if !o.Excluded {
			f.Size = o.Size
			f.ModifiedAt = floatTime(o.Timestamp)
			f.ContentHash = o.ContentHash
			f.RowCount = o.RowCount
			f.ColCount = o.ColCount
		}
		pm.files[p] = &entry{file: f, fromDisk: o.Excluded}
	}
	return pm, nil
}

// floatTime converts job-runner's float seconds to a UTC time (microsecond precision).
func floatTime(ts float64) time.Time {
	if ts <= 0 || math.IsNaN(ts) || math.IsInf(ts, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}
