package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// placeholderPage is served when the binary was built without the web UI.
const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock</title></head>
<body><h1>Airlock</h1><p>This build has no web UI: run <code>make frontend</code> and rebuild.
The API is served under <code>/api/v1</code>.</p></body></html>
`

// staticFile is an embedded file ready to serve.
type staticFile struct {
	data []byte
	etag string
}

// staticFiles loads the web UI's files on first use and keeps those that exist. Names
// that do not exist are not remembered: they come from request paths (client-side routes,
// probes), so remembering them would let any client grow the cache without bound.
type staticFiles struct {
	assets fs.FS
	mu     sync.Mutex
	cache  map[string]*staticFile
}

// load returns the file name, or nil when the UI has no such file (index.html is always
// there: the placeholder page when the build has no UI).
func (sf *staticFiles) load(name string) *staticFile {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if f, ok := sf.cache[name]; ok {
		return f
	}
	var f *staticFile
	if sf.assets != nil {
		if st, err := fs.Stat(sf.assets, name); err == nil && st.Mode().IsRegular() {
			if data, err := fs.ReadFile(sf.assets, name); err == nil {
				sum := sha256.Sum256(data)
				f = &staticFile{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
			}
		}
	}
	if name == "index.html" && f == nil {
		f = &staticFile{data: []byte(placeholderPage), etag: `"placeholder"`}
	}
	if f != nil {
		sf.cache[name] = f
	}
	return f
}

// staticHandler serves the embedded web UI: files by path, hashed assets (under assets/)
// with long caching, and index.html for every other path (the app's client-side routes).
func (s *Server) staticHandler() http.Handler {
	s.static = &staticFiles{assets: s.assets, cache: map[string]*staticFile{}}
	load := s.static.load
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" || strings.HasSuffix(name, "/index.html") {
			name = "index.html"
		}
		f := load(name)
		switch {
		case f != nil && name != "index.html":
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
		case f == nil && (strings.HasPrefix(name, "assets/") || name == "favicon.ico"):
			// A missing asset (say, from an older build) is not the app. Other paths, even
			// with a dot (client routes hold workspace file paths), are the app's routes.
			writePlainNotFound(w, r)
			return
		default:
			name, f = "index.html", load("index.html")
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("ETag", f.etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
	})
}

func writePlainNotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, "404 page not found\n")
	}
	if ri := infoFrom(r); ri != nil {
		ri.errCode = airlock.CodeNotFound
	}
}
