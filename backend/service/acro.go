package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/trelab/airlock/backend/acro"
	"github.com/trelab/airlock/backend/airlock"
)

// Where an ACRO results file was read from.
const (
	ACROFromRequest   = "request"   // the request's stored copy (what is reviewed and released)
	ACROFromWorkspace = "workspace" // the workspace folder as it is now
)

// ACROView is what ACRO recorded about one file: the record of a results.json in the file's
// folder or one of its ancestors that names it, with the file's bytes and the results file
// verified against the checksums ACRO wrote beside them (docs/acro.md).
type ACROView struct {
	// ResultsPath is the workspace-relative path of the results.json read; Source says
	// whether it was the request's copy or the workspace's file.
	ResultsPath string
	Source      string
	// Error is set when the results.json beside the file looks like ACRO's but cannot be
	// read; then Output and File are nil and nothing was verified.
	Error   string
	Version string
	Layout  acro.Layout
	Output  *acro.Output
	File    *acro.File
	// Checksum compares the file's bytes with checksums/<name>.txt at ChecksumPath;
	// ResultsChecksum compares results.json with checksums/results.json.txt at
	// ResultsChecksumPath (ACRO writes it last, over the finished results file).
	Checksum            acro.Checksum
	ChecksumPath        string
	ResultsChecksum     acro.Checksum
	ResultsChecksumPath string
}

// acroReader reads a file that ACRO may have written beside an output: its bytes (at most
// limit+1, so a caller can tell it is too large) and where they came from; found is false
// when there is no such file.
type acroReader func(p string, limit int64) (data []byte, source string, found bool, err error)

// WorkspaceFileACRO returns what ACRO recorded about workspace file p of ws, or nil when no
// ACRO results file names it. It reads metadata only and is not audited by itself.
func (s *Airlock) WorkspaceFileACRO(ctx context.Context, u airlock.User, ws, p string) (*ACROView, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return nil, err
	}
	if _, err := s.ws.Stat(ws, p); err != nil {
		return nil, err
	}
	read := func(q string, limit int64) ([]byte, string, bool, error) {
		data, found, err := readAtMost(func() (io.ReadCloser, error) { return s.ws.Open(ws, q) }, limit)
		return data, ACROFromWorkspace, found, err
	}
	return fileACRO(p, read, func() (io.ReadCloser, error) { return s.ws.Open(ws, p) })
}

// RequestFileACRO returns what ACRO recorded about file p of request id, or nil when no
// ACRO results file names it. The results and checksum files are the request's copies when
// it holds them, else the workspace's; the file verified is the request's stored copy. It
// reads metadata only and is not audited by itself.
func (s *Airlock) RequestFileACRO(ctx context.Context, u airlock.User, id, p string) (*ACROView, error) {
	var r *airlock.ReleaseRequest
	err := s.view(ctx, func(tx Tx) error {
		var err error
		r, err = loadRequest(ctx, tx, u, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	f := r.File(p)
	if f == nil {
		return nil, airlock.Errorf(airlock.CodeNotFound, "File %s is not on this request", p)
	}
	inWorkspace := s.ws.Exists(r.Workspace)
	read := func(q string, limit int64) ([]byte, string, bool, error) {
		if rf := r.File(q); rf != nil && rf.FileType != airlock.FileTypeWithdrawn {
			data, found, err := readAtMost(func() (io.ReadCloser, error) { return s.files.Open(r.Workspace, r.ID, rf.FileID) }, limit)
			if found || err != nil {
				return data, ACROFromRequest, found, err
			}
		}
		if !inWorkspace {
			return nil, "", false, nil
		}
		data, found, err := readAtMost(func() (io.ReadCloser, error) { return s.ws.Open(r.Workspace, q) }, limit)
		return data, ACROFromWorkspace, found, err
	}
	return fileACRO(p, read, func() (io.ReadCloser, error) { return s.files.Open(r.Workspace, r.ID, f.FileID) })
}

// fileACRO looks for the results.json that names p, from p's folder up to the workspace
// root (ACRO names files relative to the folder it writes results.json in), and verifies
// what it finds. Results files of other tools are passed over; an ACRO results file that
// cannot be read is reported when it lies in p's own folder, where it would describe p.
func fileACRO(p string, read acroReader, open func() (io.ReadCloser, error)) (*ACROView, error) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if base == acro.ResultsName || (path.Base(dir) == acro.ChecksumsDir && strings.HasSuffix(base, ".txt")) {
		return nil, nil // ACRO's own files are not outputs it checked
	}
	for d := dir; ; d = parentDir(d) {
		rp := path.Join(d, acro.ResultsName)
		data, source, found, err := read(rp, acro.MaxResultsSize)
		if err != nil {
			return nil, err
		}
		if found {
			res, perr := acro.Parse(data)
			var bad *acro.Error
			switch {
			case errors.As(perr, &bad):
				if d == dir {
					return &ACROView{ResultsPath: rp, Source: source, Error: bad.Message}, nil
				}
			case perr == nil:
				rel := strings.TrimPrefix(p, d+"/")
				if d == "" {
					rel = p
				}
				if o, f := res.Find(rel); o != nil {
					return verifyACRO(d, rp, source, data, res, o, f, read, open)
				}
			}
		}
		if d == "" {
			return nil, nil
		}
	}
}

func verifyACRO(dir, rp, source string, results []byte, res *acro.Results, o *acro.Output, f *acro.File,
	read acroReader, open func() (io.ReadCloser, error)) (*ACROView, error) {
	v := &ACROView{
		ResultsPath: rp, Source: source, Version: res.Version, Layout: res.Layout, Output: o, File: f,
		ChecksumPath:        path.Join(dir, acro.ChecksumPath(f.Name)),
		ResultsChecksumPath: path.Join(dir, acro.ChecksumPath(acro.ResultsName)),
	}
	sum, err := hashOf(open)
	if err != nil {
		return nil, err
	}
	data, _, found, err := read(v.ChecksumPath, acro.MaxChecksumSize)
	if err != nil {
		return nil, err
	}
	v.Checksum = acro.Verify(acro.SubjectFile, data, found, sum)
	rsum := sha256.Sum256(results)
	data, _, found, err = read(v.ResultsChecksumPath, acro.MaxChecksumSize)
	if err != nil {
		return nil, err
	}
	v.ResultsChecksum = acro.Verify(acro.SubjectResults, data, found, hex.EncodeToString(rsum[:]))
	return v, nil
}

func parentDir(d string) string {
	if i := strings.LastIndexByte(d, '/'); i >= 0 {
		return d[:i]
	}
	return ""
}

// readAtMost reads at most limit+1 bytes of what open opens; found is false when there is
// no such file (not_found).
func readAtMost(open func() (io.ReadCloser, error), limit int64) ([]byte, bool, error) {
	rc, err := open()
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// hashOf is the sha256 hex of the bytes open opens.
func hashOf(open func() (io.ReadCloser, error)) (string, error) {
	rc, err := open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
