package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/filestore"
	"github.com/trelab/airlock/backend/service"
)

// CheckReport is the outcome of one consistency check of the data (docs/reliability.md).
type CheckReport struct {
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"-"`
	// Hashed says whether the content of every stored copy and delivered file was hashed
	// (airlock check), or only sizes compared (the server's background check).
	Hashed bool `json:"hashed"`
	// Counts of what was checked.
	Requests    int `json:"requests"`
	Files       int `json:"files"`
	Blobs       int `json:"blobs"`
	OutboxFiles int `json:"outboxFiles"`
	AuditEvents int `json:"auditEvents"`
	// Recent counts temporary files and unreferenced blobs younger than the grace period:
	// they may belong to an add in progress, so they are not problems (yet).
	Recent int `json:"recent"`
	// Problems are one line each, for an operator.
	Problems []string `json:"problems"`
}

// OK reports whether the check found nothing wrong.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// CheckOptions tune a check.
type CheckOptions struct {
	// Hash reads every stored copy and delivered file and compares its SHA-256.
	Hash bool
	// Grace is how old a temporary file or an unreferenced blob must be to count as left
	// behind (the recovery sweep's grace period).
	Grace time.Duration
}

// Check verifies that the database, the request file store, the outbox and the audit chain
// agree: every request file's stored copy exists with its size (and hash), no blob or
// temporary file is left that no request refers to, every delivered file is in the outbox
// as reviewed, nothing is in the outbox that was never released, and the audit log's hash
// chain is intact. It reads only; a failure to read is itself a problem.
func (c *Core) Check(ctx context.Context, opt CheckOptions) CheckReport {
	start := time.Now()
	rep := CheckReport{At: start.UTC(), Hashed: opt.Hash, Problems: []string{}}
	problem := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }
	cutoff := start.Add(-opt.Grace)

	var requests []*airlock.ReleaseRequest
	if err := c.Store.View(ctx, func(tx service.Tx) error {
		var err error
		requests, err = tx.ListRequests(ctx, airlock.RequestFilter{})
		return err
	}); err != nil {
		problem("database: cannot list the requests: %v", err)
	}
	rep.Requests = len(requests)

	// database → file store
	referenced := map[string]map[string]bool{} // "<ws>/<id>" → file ids
	for _, r := range requests {
		if ctx.Err() != nil {
			break
		}
		refs := map[string]bool{}
		referenced[r.Workspace+"/"+r.ID] = refs
		for _, g := range r.Groups {
			for _, f := range g.Files {
				rep.Files++
				refs[f.FileID] = true
				if err := c.Files.Verify(r.Workspace, r.ID, f.FileID, f.Size, opt.Hash); err != nil {
					problem("file store: request %s file %s: %v", r.ID, f.RelPath, err)
				}
			}
		}
	}

	// file store → database
	folders, err := c.Files.Folders()
	if err != nil {
		problem("file store: cannot list the request folders: %v", err)
	}
	for _, ws := range sortedKeys(folders) {
		for _, id := range folders[ws] {
			entries, err := c.Files.List(ws, id)
			if err != nil {
				problem("file store: cannot list %s/%s: %v", ws, id, err)
				continue
			}
			refs := referenced[ws+"/"+id]
			for _, e := range entries {
				if e.Kind == filestore.KindBlob {
					rep.Blobs++
				}
				switch {
				case e.Kind == filestore.KindBlob && refs[e.Name]:
				case e.Kind == filestore.KindOther:
					problem("file store: %s/%s/%s is an unexpected file (the store never writes such a name)", ws, id, e.Name)
				case !e.ModTime.Before(cutoff):
					rep.Recent++
				case e.Kind == filestore.KindTemp:
					problem("file store: %s/%s/%s is a temporary file an interrupted add left behind (%d bytes)", ws, id, e.Name, e.Size)
				case refs == nil:
					problem("file store: %s/%s/%s is a blob of a request the database does not have (%d bytes)", ws, id, e.Name, e.Size)
				default:
					problem("file store: %s/%s/%s is a blob no file of the request refers to (%d bytes)", ws, id, e.Name, e.Size)
				}
			}
		}
	}

	// database ↔ outbox
	if c.outbox != nil {
		known := map[string]bool{}
		for _, r := range requests {
			ps, k := c.outbox.CheckDelivered(r, opt.Hash)
			rep.Problems = append(rep.Problems, ps...)
			for p := range k {
				known[p] = true
			}
		}
		entries, err := c.outbox.Entries()
		if err != nil {
			problem("outbox: %v", err)
		}
		for _, e := range entries {
			rep.OutboxFiles++
			switch {
			case known[e.Path]:
			case e.Temp && !e.ModTime.Before(cutoff):
				rep.Recent++
			case e.Temp:
				problem("outbox: %s is a temporary file an interrupted delivery left behind (%d bytes)", e.Path, e.Size)
			default:
				problem("outbox: %s is not a released file of any request (%d bytes)", e.Path, e.Size)
			}
		}
	}

	// audit chain
	checked, bad, err := c.Store.VerifyAudit(ctx)
	rep.AuditEvents = checked
	switch {
	case err != nil:
		problem("audit log: cannot verify the chain: %v", err)
	case bad != 0:
		problem("audit log: event %d does not match the hash chain (%d events checked): the log has been tampered with", bad, checked)
	}
	if err := ctx.Err(); err != nil {
		problem("check: stopped before the end: %v", err)
	}
	rep.Duration = time.Since(start)
	return rep
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RecoveryReport is what one recovery sweep removed.
type RecoveryReport struct {
	Removed []string
	// Busy counts request folders skipped because an add was writing to them.
	Busy int
}

// Recover removes what interrupted work left behind (docs/reliability.md): temporary files
// and unreferenced blobs of the request file store, and temporary files of the outbox, each
// only when older than the grace period. State is never changed: requests, files and
// uploads are as the database says, and the uploader resumes pending deliveries.
func (c *Core) Recover(ctx context.Context, grace time.Duration) (RecoveryReport, error) {
	before := time.Now().Add(-grace)
	sw, err := c.Service.SweepFiles(ctx, before)
	rep := RecoveryReport{Removed: sw.Removed, Busy: sw.Busy}
	if c.outbox != nil {
		removed, oerr := c.outbox.SweepTemps(before)
		for _, p := range removed {
			rep.Removed = append(rep.Removed, "outbox/"+p)
		}
		err = errors.Join(err, oerr)
	}
	return rep, err
}

// check verifies the data (Core.Check), prints one line per problem and fails when there
// is any. With --sweep it first removes what interrupted work left behind (Core.Recover),
// as serve does at start.
func check(ctx context.Context, env *Env, args []string) error {
	var quick, sweep bool
	s, pos, err := commandSettings(env, "check", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&quick, "quick", false, "compare sizes only, without hashing every stored copy and delivered file")
		fs.BoolVar(&sweep, "sweep", false, "first remove temporary files and unreferenced blobs older than --recovery-grace")
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("airlock check takes no arguments (got %q): %w", pos[0], errUsage)
	}
	core, err := OpenCore(s, nil)
	if err != nil {
		return err
	}
	defer core.Close()
	if sweep {
		rec, err := core.Recover(ctx, s.RecoveryGrace)
		for _, p := range rec.Removed {
			fmt.Fprintf(env.Stdout, "removed %s\n", p)
		}
		if err != nil {
			return fmt.Errorf("recovery sweep: %w", err)
		}
	}
	rep := core.Check(ctx, CheckOptions{Hash: !quick, Grace: s.RecoveryGrace})
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, p)
	}
	summary := fmt.Sprintf("%d requests, %d files, %d blobs, %d outbox files, %d audit events checked",
		rep.Requests, rep.Files, rep.Blobs, rep.OutboxFiles, rep.AuditEvents)
	if rep.Recent > 0 {
		summary += fmt.Sprintf(" (%d recent temporary or unreferenced files not counted: younger than --recovery-grace %s)", rep.Recent, s.RecoveryGrace)
	}
	if !rep.OK() {
		return fmt.Errorf("%d problems found; %s", len(rep.Problems), summary)
	}
	fmt.Fprintf(env.Stdout, "consistent: %s\n", summary)
	return nil
}
