package workspace

import (
	"os"
	"slices"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// listing is one directory level as List returns it: the root metadata folder, then
// folders, then files, each by name.
type listing struct {
	entries []airlock.TreeEntry
	// found: some visible file lies below the directory (out-of-date ones included).
	found bool
	// disk holds the entries (index into entries, and the entry) whose size, time and hash
	// are read from the disk, still to be completed by complete.
	disk []diskRef
}

type diskRef struct {
	i int
	e *entry
}

// buildListing lists directory dir ("" is the root) of a set of visible files. Out-of-date
// outputs are left out unless ood is set; a folder holding only those is left out too.
func buildListing(files map[string]*entry, dir string, ood bool) listing {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	found := dir == ""
	dirs := map[string]bool{}
	var paths []string
	for p, e := range files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		found = true
		if e.file.OutOfDate && !ood {
			continue
		}
		rest := p[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			dirs[rest[:i]] = true
		} else {
			paths = append(paths, p)
		}
	}
	if !found {
		return listing{}
	}
	names := make([]string, 0, len(dirs))
	for name := range dirs {
		names = append(names, name)
	}
	slices.Sort(names)
	// Files share the prefix, so sorting their paths sorts their names.
	slices.Sort(paths)
	out := make([]airlock.TreeEntry, 0, len(names)+len(paths))
	if dir == "" && dirs["metadata"] {
		out = append(out, airlock.TreeEntry{Name: "metadata", Path: "metadata", Dir: true})
	}
	for _, name := range names {
		if dir == "" && name == "metadata" {
			continue
		}
		out = append(out, airlock.TreeEntry{Name: name, Path: prefix + name, Dir: true})
	}
	var disk []diskRef
	for _, p := range paths {
		e := files[p]
		if e.fromDisk {
			disk = append(disk, diskRef{len(out), e})
		}
		out = append(out, airlock.TreeEntry{Name: p[len(prefix):], Path: p, File: e.file})
	}
	return listing{entries: out, found: true, disk: disk}
}

// complete returns a copy of l's entries with the metadata of the files described by the
// disk read (hashes through the cache; followed: a watcher follows ws).
func (w *Workspaces) complete(ws string, r *os.Root, l listing, followed bool) listing {
	out := listing{entries: slices.Clone(l.entries), found: l.found}
	// Files found by a walk whose hash is cached for the version the walk saw, at once;
	// the others one by one (opened and hashed through the cache).
	miss := w.hashes.lookupWalked(ws, l.disk, out.entries, followed)
	for _, d := range miss {
		out.entries[d.i].File = w.fileInfo(ws, r, d.e, followed)
	}
	return out
}

// withMetadataFolder returns the root level l of a manifest's outputs with the metadata
// folder in front.
func withMetadataFolder(l listing) listing {
	out := listing{entries: make([]airlock.TreeEntry, 0, len(l.entries)+1), found: true}
	out.entries = append(out.entries, airlock.TreeEntry{Name: "metadata", Path: "metadata", Dir: true})
	out.entries = append(out.entries, l.entries...)
	for _, d := range l.disk {
		out.disk = append(out.disk, diskRef{d.i + 1, d.e})
	}
	return out
}

// putBounded stores v at k in *m, making the map when there is none and starting it afresh
// when it already holds limit entries.
func putBounded[K comparable, V any](m *map[K]V, k K, v V, limit int) {
	if *m == nil {
		*m = map[K]V{}
	}
	if len(*m) >= limit {
		clear(*m)
	}
	(*m)[k] = v
}
