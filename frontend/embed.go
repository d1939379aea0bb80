// Package frontend holds the built web UI (frontend/dist), embedded in the binary.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built frontend: index.html and its assets at the root.
// Before the first `npm run build` it holds only .gitkeep.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid, embedded directory name: cannot happen
	}
	return sub
}
