package workspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// start watches the root and every workspace below it.
func (l *loop) start() {
	if err := l.watch(l.root, ""); err != nil {
		l.degradeRoot(err)
	}
	for _, ws := range workspaceNames(l.root) {
		l.addWorkspace(ws, false, time.Time{})
	}
}

// addWorkspace starts following ws; when collect is set its files are reported as changed.
func (l *loop) addWorkspace(ws string, collect bool, now time.Time) {
	dir := filepath.Join(l.root, ws)
	l.workspaces[ws] = true
	l.manifests[ws] = l.loadManifest(ws)
	poll := l.w.NeedsPolling
	if poll == nil {
		poll = networkFS
	}
	if l.fsw == nil || l.scans.rootFollowed() || poll(dir) {
		reason := "the file system gives no change events"
		if l.fsw == nil || l.scans.rootFollowed() {
			reason = l.reason
		}
		l.degrade(ws, reason)
		return
	}
	for _, p := range l.addTree(ws, dir, collect) {
		l.mark(ws, p, fsnotify.Create, now)
	}
	l.refollow(ws)
}

// refollow turns the snapshot cache of ws on while every folder of it is watched, and off
// otherwise.
func (l *loop) refollow(ws string) {
	st := l.state(ws)
	on := l.workspaces[ws] && !l.scans.following(ws) && len(st.unwatched) == 0
	if on != st.followed {
		st.followed = on
		l.w.Workspaces.snaps.follow(ws, on)
	}
}

func (l *loop) loadManifest(ws string) *parsedManifest {
	_, pm := l.w.Workspaces.reloadManifest(ws)
	return pm
}

// watch adds a watch on one folder.
func (l *loop) watch(dir, ws string) error {
	if l.fsw == nil {
		return errors.New("no file-system events")
	}
	if hook := l.w.AddWatch; hook != nil {
		if err := hook(dir); err != nil {
			return err
		}
	}
	if err := l.fsw.Add(dir); err != nil {
		return err
	}
	l.watched[dir] = ws
	return nil
}

func isWatchLimit(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// addTree watches dir and the folders below it (not hidden ones, not through symlinks) and
// returns the workspace-relative paths of the files found when collect is set.
func (l *loop) addTree(ws, dir string, collect bool) []string {
	st := l.state(ws)
	var files []string
	wsDir := filepath.Join(l.root, ws)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if _, ok := l.watched[p]; !ok && !l.scans.following(ws) {
				if err := l.watch(p, ws); err != nil {
					if isWatchLimit(err) {
						l.degrade(ws, "the inotify watch limit (fs.inotify.max_user_watches) is reached")
					} else {
						l.log.Debug("workspace watcher: folder not watched", "dir", p, "err", err)
						if st.unwatched == nil {
							st.unwatched = map[string]bool{}
						}
						st.unwatched[p] = true
					}
				} else {
					delete(st.unwatched, p)
				}
			}
			return nil
		}
		if collect {
			if rel, err := filepath.Rel(wsDir, p); err == nil {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	return files
}

// degrade switches ws to periodic rescanning.
func (l *loop) degrade(ws, reason string) {
	if !l.scans.follow(ws) {
		return
	}
	l.refollow(ws)
	if l.reason == "" {
		l.reason = reason
	}
	l.log.Warn("workspace watcher: rescanning workspace periodically", "workspace", ws, "reason", reason, "interval", l.rescan)
}

func (l *loop) degradeRoot(err error) {
	if !l.scans.followRoot() {
		return
	}
	if l.reason == "" {
		l.reason = "the workspaces root cannot be watched: " + err.Error()
	}
	l.log.Warn("workspace watcher: rescanning the workspaces root periodically", "err", err, "interval", l.rescan)
}

// rescanDegraded marks what the rescanner found moved in degraded workspaces (and the
// workspaces that came and went in a degraded root).
func (l *loop) rescanDegraded(now time.Time) {
	added, gone := l.scans.rescanRoot()
	for _, ws := range added {
		l.addWorkspace(ws, true, now)
		l.mark(ws, "", fsnotify.Create, now)
	}
	for _, ws := range gone {
		l.mark(ws, "", fsnotify.Remove, now)
	}
	for _, c := range l.scans.rescan() {
		l.mark(c.ws, c.p, c.op, now)
	}
}

// handle takes one raw event.
func (l *loop) handle(ev fsnotify.Event, now time.Time) {
	l.events++
	name := filepath.Clean(ev.Name)
	if name == l.root {
		return
	}
	rel, err := filepath.Rel(l.root, name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return
	}
	ws, p, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if !validName(ws) || p != "" && hidden(p) {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		l.unwatchTree(name)
	}
	l.mark(ws, p, ev.Op, now)
}

// unwatchTree drops the watches of a folder that was removed or renamed, and of the
// folders below it (a renamed folder's watches would keep reporting its old name).
func (l *loop) unwatchTree(dir string) {
	if _, ok := l.watched[dir]; !ok {
		return
	}
	prefix := dir + string(filepath.Separator)
	for d := range l.watched {
		if d == dir || strings.HasPrefix(d, prefix) {
			if l.fsw != nil {
				_ = l.fsw.Remove(d)
			}
			delete(l.watched, d)
		}
	}
}

// settle works out what a settled path means. A busy path (still active, but it has
// waited MaxDelay) is reported without hashing.
func (l *loop) settle(s settled, now time.Time) {
	ws, p := s.ws, s.p
	st := l.state(ws)
	abs := filepath.Join(l.root, ws, filepath.FromSlash(p))
	fi, err := os.Lstat(abs)

	if p == "" { // the workspace folder itself
		switch {
		case err == nil && fi.IsDir():
			if _, ok := l.watched[abs]; !ok && !l.scans.following(ws) {
				l.addWorkspace(ws, true, now)
			}
			l.workspaces[ws] = true
			st.all = true
			l.noteChange(st, now)
		case l.workspaces[ws] && (err != nil || !fi.IsDir()):
			delete(l.workspaces, ws)
			l.unwatchTree(abs)
			l.w.Workspaces.forgetPath(ws, "")
			delete(l.manifests, ws)
			for kk := range l.known {
				if kk.ws == ws {
					delete(l.known, kk)
				}
			}
			l.scans.drop(ws)
			st.all, st.unwatched = true, nil
			l.refollow(ws)
			l.noteChange(st, now)
		}
		return
	}

	switch {
	case err != nil: // gone
		l.forget(ws, p)
		if p == ManifestPath {
			l.manifestChanged(ws, now)
		}
		l.changed(ws, p, now)
	case fi.IsDir():
		if _, ok := l.watched[abs]; !ok {
			for _, f := range l.addTree(ws, abs, true) {
				l.mark(ws, f, fsnotify.Create, now)
			}
			l.refollow(ws)
			l.changed(ws, p, now)
		}
	default:
		cur := stateOf(fi)
		old, seen := l.known[s.pathKey]
		if seen && old == cur && !s.ops.Has(fsnotify.Write) {
			// Nothing moved: a chmod. A write is never skipped so: a rewrite within one tick
			// of the file system's clock keeps size, mtime and inode, so it is hashed again
			// (and published) whatever its stat says.
			return
		}
		l.known[s.pathKey] = cur
		if !seen && s.ops == fsnotify.Chmod {
			return
		}
		if p == ManifestPath {
			l.manifestChanged(ws, now)
		}
		if !s.busy && fi.Mode().IsRegular() && l.w.Workspaces.describedByDisk(ws, p) {
			l.pool.add(s.pathKey)
			return
		}
		l.changed(ws, p, now)
	}
}

func (l *loop) forget(ws, p string) {
	l.w.Workspaces.forgetPath(ws, p)
	prefix := p + "/"
	for kk := range l.known {
		if kk.ws == ws && (kk.p == p || strings.HasPrefix(kk.p, prefix)) {
			delete(l.known, kk)
		}
	}
}

// manifestChanged reloads the manifest of ws and reports the outputs whose metadata moved.
func (l *loop) manifestChanged(ws string, now time.Time) {
	before := l.manifests[ws]
	after := l.loadManifest(ws)
	for _, p := range diffManifests(before, after) {
		l.changed(ws, p, now)
	}
	if after != nil || !fileExists(filepath.Join(l.root, ws, ManifestPath)) {
		l.manifests[ws] = after
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
