package app

import (
	"context"
	"os/exec"
	goruntime "runtime"

	wails "github.com/wailsapp/wails/v2/pkg/runtime"
)

// WailsRuntime is the Runtime of a started Wails window (the context Wails passes to
// OnStartup). Notifications go through the OS notification service (D-Bus on Linux); when
// there is none they are only recorded in the window's state.
type WailsRuntime struct {
	ctx           context.Context
	notifications bool
}

// NewWailsRuntime wraps the context Wails passes to OnStartup.
func NewWailsRuntime(ctx context.Context) *WailsRuntime {
	rt := &WailsRuntime{ctx: ctx}
	if err := wails.InitializeNotifications(ctx); err == nil {
		rt.notifications = wails.IsNotificationAvailable(ctx)
	}
	return rt
}

// SetTitle sets the window title.
func (r *WailsRuntime) SetTitle(title string) { wails.WindowSetTitle(r.ctx, title) }

// Emit sends a runtime event to the window's JavaScript.
func (r *WailsRuntime) Emit(name string, data any) { wails.EventsEmit(r.ctx, name, data) }

// Notify shows an OS notification.
func (r *WailsRuntime) Notify(id, title, body string) error {
	if !r.notifications {
		return errNoNotifications
	}
	return wails.SendNotification(r.ctx, wails.NotificationOptions{ID: id, Title: title, Body: body})
}

// SaveFileDialog asks where to save a file.
func (r *WailsRuntime) SaveFileDialog(title, defaultName string) (string, error) {
	return wails.SaveFileDialog(r.ctx, wails.SaveDialogOptions{Title: title, DefaultFilename: defaultName, CanCreateDirectories: true})
}

// OpenFolder opens dir in the OS file manager.
func (r *WailsRuntime) OpenFolder(dir string) error {
	var cmd *exec.Cmd
	switch goruntime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", dir)
	case "darwin":
		cmd = exec.Command("open", dir)
	default:
		cmd = exec.Command("xdg-open", dir)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }() // explorer exits 1 even when it opened the folder
	return nil
}

// ExecJS runs JavaScript in the window's page.
func (r *WailsRuntime) ExecJS(js string) { wails.WindowExecJS(r.ctx, js) }

// Shutdown releases the notification service.
func (r *WailsRuntime) Shutdown() {
	if r.notifications {
		wails.CleanupNotifications(r.ctx)
	}
}

type notificationError struct{}

func (notificationError) Error() string { return "this desktop has no notification service" }

var errNoNotifications error = notificationError{}
