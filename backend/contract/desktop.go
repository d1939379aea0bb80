package contract

// DesktopView is what the desktop window's page shows, as the web UI reports it to the
// desktop shell (the bound method Desktop.Showing, app/bindings.go) whenever it changes:
// who the page shows as logged in ("" on the login page), and the workspace and release
// request it shows ("" for none). The shell titles the window from it and decides nothing.
type DesktopView struct {
	User      string `json:"user"`
	Workspace string `json:"workspace"`
	Request   string `json:"request"`
}
