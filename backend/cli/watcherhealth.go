package cli

// HealthDetails is what /healthz adds to "ok": the workspaces the watcher follows by
// periodic rescanning instead of file-system events (inotify watch limit reached, network
// file system, no inotify at all), with the reason. Rescanning keeps everything working,
// more slowly, so the server stays healthy. Nil when there is nothing to report.
func (b *Backend) HealthDetails() map[string]any {
	var bus map[string]any
	if b.replicas != nil {
		bus = b.replicas.health()
	}
	w := b.watcherHealth()
	if w == nil {
		return bus
	}
	for k, v := range bus {
		w[k] = v
	}
	return w
}

func (b *Backend) watcherHealth() map[string]any {
	if b.Watcher == nil {
		return nil
	}
	st := b.Watcher.Status()
	if len(st.Degraded) == 0 {
		return nil
	}
	w := map[string]any{"mode": "rescanning", "reason": st.DegradedReason}
	workspaces := []string{}
	for _, ws := range st.Degraded {
		if ws == "" { // the workspaces root itself: new workspaces are found by rescanning
			w["root"] = true
			continue
		}
		workspaces = append(workspaces, ws)
	}
	w["workspaces"] = workspaces
	return map[string]any{"watcher": w}
}
