package workspace

import (
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fsnotify/fsnotify"
)

// fileState is what a scan or an event saw of a path: enough to tell whether it moved.
type fileState struct {
	dir   bool
	size  int64
	mtime int64
	ino   uint64
}

func stateOf(fi fs.FileInfo) fileState {
	_, ino, _ := sysKey(fi)
	if fi.IsDir() {
		return fileState{dir: true, ino: ino}
	}
	return fileState{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ino: ino}
}

// rescanChange is a difference a rescan found.
type rescanChange struct {
	pathKey
	op fsnotify.Op // Write (new or changed) or Remove
}

// rescanner follows, by comparing periodic scans, the workspaces whose changes give no
// events (watch limit reached, network file system), and the workspaces root itself when
// it cannot be watched. Each rescan reports what moved since the last one. Not safe for
// concurrent use.
type rescanner struct {
	root  string
	scans map[string]map[string]fileState // followed workspace → its last scan
	// names are the workspaces seen in the root's last scan; nil unless the root is
	// followed.
	names   map[string]bool
	rescans uint64
}

func newRescanner(root string) *rescanner {
	return &rescanner{root: root, scans: map[string]map[string]fileState{}}
}

// follow starts following ws (taking its first scan); false when it already was.
func (r *rescanner) follow(ws string) bool {
	if r.following(ws) {
		return false
	}
	r.scans[ws] = scanWorkspace(filepath.Join(r.root, ws))
	return true
}

func (r *rescanner) following(ws string) bool {
	_, ok := r.scans[ws]
	return ok
}

// drop stops following ws (it is gone).
func (r *rescanner) drop(ws string) { delete(r.scans, ws) }

// followRoot starts following the workspaces root; false when it already was.
func (r *rescanner) followRoot() bool {
	if r.names != nil {
		return false
	}
	r.names = map[string]bool{}
	for _, ws := range workspaceNames(r.root) {
		r.names[ws] = true
	}
	return true
}

func (r *rescanner) rootFollowed() bool { return r.names != nil }

// followed lists the followed workspaces in order, with "" first for the root.
func (r *rescanner) followed() []string {
	var out []string
	if r.names != nil {
		out = append(out, "")
	}
	for ws := range r.scans {
		out = append(out, ws)
	}
	slices.Sort(out)
	return out
}

// rescanRoot compares the root with its last scan: the workspaces that appeared and the
// ones that went, in order. Nothing when the root is not followed.
func (r *rescanner) rescanRoot() (added, gone []string) {
	if r.names == nil {
		return nil, nil
	}
	names := map[string]bool{}
	for _, ws := range workspaceNames(r.root) {
		names[ws] = true
		if !r.names[ws] {
			added = append(added, ws)
		}
	}
	for ws := range r.names {
		if !names[ws] {
			gone = append(gone, ws)
		}
	}
	slices.Sort(gone)
	r.names = names
	return added, gone
}

// rescan compares every followed workspace with its last scan and returns the paths that
// appeared or changed (Write) and the ones that went (Remove), in order.
func (r *rescanner) rescan() []rescanChange {
	var out []rescanChange
	for ws, last := range r.scans {
		r.rescans++
		scan := scanWorkspace(filepath.Join(r.root, ws))
		for p, s := range scan {
			if old, ok := last[p]; !ok || old != s {
				out = append(out, rescanChange{pathKey{ws, p}, fsnotify.Write})
			}
		}
		for p := range last {
			if _, ok := scan[p]; !ok {
				out = append(out, rescanChange{pathKey{ws, p}, fsnotify.Remove})
			}
		}
		r.scans[ws] = scan
	}
	slices.SortFunc(out, func(a, b rescanChange) int {
		return cmp.Or(cmp.Compare(a.ws, b.ws), cmp.Compare(a.p, b.p))
	})
	return out
}

// workspaceNames lists the workspace folders in root (nothing when it cannot be read).
func workspaceNames(root string) []string {
	des, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, de := range des {
		if validName(de.Name()) && de.IsDir() {
			out = append(out, de.Name())
		}
	}
	return out
}

// scanWorkspace lists every visible-candidate path below wsDir with its state.
func scanWorkspace(wsDir string) map[string]fileState {
	out := map[string]fileState{}
	_ = filepath.WalkDir(wsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == wsDir {
			if err != nil && d != nil && d.IsDir() && p != wsDir {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(wsDir, p)
		out[filepath.ToSlash(rel)] = stateOf(fi)
		return nil
	})
	return out
}
