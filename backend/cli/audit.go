package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// audit prints the audit log, one line per event (docs/reference/domain.md §3.6), newest
// first; with --verify it checks the hash chain instead.
func audit(ctx context.Context, env *Env, args []string) error {
	var f airlock.AuditFilter
	var verify bool
	s, pos, err := commandSettings(env, "audit", args, func(fs *flag.FlagSet) {
		fs.StringVar(&f.User, "user", "", "only events by this user")
		fs.StringVar(&f.Workspace, "workspace", "", "only events of this workspace")
		fs.StringVar(&f.Request, "request", "", "only events of this request (ignored with --workspace)")
		fs.IntVar(&f.Limit, "limit", 0, "at most this many events (0: all)")
		fs.BoolVar(&verify, "verify", false, "check the integrity of the audit log")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("airlock audit takes no arguments (got %q): %w", pos[0], errUsage)
	}
	if f.Limit < 0 {
		return fmt.Errorf("--limit must not be negative: %w", errUsage)
	}
	core, err := OpenCore(s, nil)
	if err != nil {
		return err
	}
	defer core.Close()
	if verify {
		checked, bad, err := core.Store.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("verifying the audit log: %w", err)
		}
		if bad != 0 {
			return fmt.Errorf("the audit log has been tampered with: event %d does not match the chain (%d events checked)", bad, checked)
		}
		fmt.Fprintf(env.Stdout, "audit log intact: %d events checked\n", checked)
		return nil
	}
	events, err := core.Service.Audit(ctx, airlock.SystemUser(), f)
	if err != nil {
		return err
	}
	for _, ev := range events {
		writeAuditLine(env.Stdout, ev)
	}
	return nil
}

// auditTypeWidth pads the type column to the longest type name.
var auditTypeWidth = func() int {
	w := 0
	for _, t := range airlock.AuditTypes {
		w = max(w, len(t))
	}
	return w
}()

// writeAuditLine writes one event as
// `<time>: <TYPE padded> user=<u> workspace=<w> [request=<id>] [path=<p>] [k=v ...] [hidden=True]`.
func writeAuditLine(w io.Writer, ev airlock.AuditEvent) {
	var b strings.Builder
	b.WriteString(ev.CreatedAt.UTC().Format(time.RFC3339))
	b.WriteString(": ")
	b.WriteString(fmt.Sprintf("%-*s", auditTypeWidth, ev.Type))
	b.WriteString(" user=" + auditValue(ev.User))
	b.WriteString(" workspace=" + auditValue(ev.Workspace))
	if ev.Request != "" {
		b.WriteString(" request=" + auditValue(ev.Request))
	}
	if ev.Path != "" {
		b.WriteString(" path=" + auditValue(ev.Path))
	}
	keys := make([]string, 0, len(ev.Extra))
	for k := range ev.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" " + k + "=" + auditValue(ev.Extra[k]))
	}
	if ev.Hidden {
		b.WriteString(" hidden=True")
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(w, b.String())
}

// auditValue quotes values that would break the one-line, space-separated format.
func auditValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\r\n\"=\\") || !strconv.IsPrint(firstRune(v)) {
		return strconv.Quote(v)
	}
	for _, r := range v {
		if !strconv.IsPrint(r) {
			return strconv.Quote(v)
		}
	}
	return v
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return ' '
}
