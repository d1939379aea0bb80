package workspace

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
)

// fuzzWorkspaces is a workspaces root for the path fuzzer: "plain" without a manifest,
// "manifest" with one, each holding visible files, a hidden file and symbolic links that
// leave the workspace (a file and a folder outside, whose content is secret).
func fuzzWorkspaces(f *testing.F) (*Workspaces, string) {
	dir := f.TempDir()
	root := filepath.Join(dir, "workspaces")
	outside := filepath.Join(dir, "outside")
	writeFile(f, outside, "secret.csv", "SECRET\n")
	for _, ws := range []string{"plain", "manifest"} {
		wsDir := filepath.Join(root, ws)
		writeFile(f, wsDir, "output/a.csv", "a\n1\n")
		writeFile(f, wsDir, "output/sub/b.csv", "b\n2\n")
		writeFile(f, wsDir, "output/.hidden.csv", "hidden\n")
		writeFile(f, wsDir, "metadata/log.txt", "log\n")
		for link, target := range map[string]string{
			"output/link.csv": filepath.Join(outside, "secret.csv"),
			"output/rel.csv":  "../../../outside/secret.csv",
			"output/out":      outside,
		} {
			if err := os.Symlink(target, filepath.Join(wsDir, filepath.FromSlash(link))); err != nil {
				f.Fatal(err)
			}
		}
	}
	writeManifest(f, filepath.Join(root, "manifest"), map[string]output{
		"output/a.csv": moderately("a\n1\n"), "output/sub/b.csv": moderately("b\n2\n"),
		"output/link.csv": moderately("SECRET\n"), "output/out/secret.csv": moderately("SECRET\n"),
		"../outside/secret.csv": moderately("SECRET\n"),
	})
	return New(root, Options{}), root
}

// FuzzPathResolution: whatever path a client sends, Stat, Open and List never panic, never
// read anything outside the workspace (the secret behind the links), never show a hidden
// file, and refuse with a coded not_found error that does not reveal the folder on disk.
func FuzzPathResolution(f *testing.F) {
	w, root := fuzzWorkspaces(f)
	for _, p := range []string{
		"output/a.csv", "output/sub/b.csv", "output/link.csv", "output/rel.csv", "output/out/secret.csv",
		"output/.hidden.csv", "../outside/secret.csv", "output/../output/a.csv", "/etc/passwd", "output//a.csv",
		"output/./a.csv", "output/a.csv/", "output\\a.csv", "output/a.csv\x00", "metadata/log.txt", "metadata",
		"", ".", "..", "output", "output/sub", "%2e%2e/outside", "output/a.csv/..", "…/a.csv",
	} {
		f.Add("plain", p)
		f.Add("manifest", p)
	}
	// The set-up is what it says: visible files open, the links out do not.
	for _, ws := range []string{"plain", "manifest"} {
		rc, err := w.Open(ws, "output/sub/b.csv")
		if err != nil {
			f.Fatalf("%s: a visible file does not open: %v", ws, err)
		}
		rc.Close()
		if _, err := w.Open(ws, "output/link.csv"); err == nil {
			f.Fatalf("%s: a link leaving the workspace opens", ws)
		}
	}
	f.Fuzz(func(t *testing.T, ws, p string) {
		if ws != "plain" && ws != "manifest" {
			ws = "plain"
		}
		refused := func(op string, err error) {
			if code := airlock.ErrorCode(err); code != airlock.CodeNotFound && code != airlock.CodeInvalid {
				t.Fatalf("%s(%q, %q): code %s (%v), want not_found", op, ws, p, code, err)
			}
			if strings.Contains(err.Error(), root) {
				t.Fatalf("%s(%q, %q): the error names the folder on disk: %v", op, ws, p, err)
			}
		}
		if fi, err := w.Stat(ws, p); err != nil {
			refused("Stat", err)
		} else {
			if fi.Path != p || hidden(p) || !validRel(p) {
				t.Fatalf("Stat(%q, %q) = %+v: not the clean, visible path asked for", ws, p, fi)
			}
			if fi.ContentHash == sha("SECRET\n") {
				t.Fatalf("Stat(%q, %q) hashed the secret outside the workspace", ws, p)
			}
		}
		if rc, err := w.Open(ws, p); err != nil {
			refused("Open", err)
		} else {
			data, _ := io.ReadAll(rc)
			rc.Close()
			if strings.Contains(string(data), "SECRET") || strings.Contains(string(data), "hidden") {
				t.Fatalf("Open(%q, %q) read %q from outside the workspace or a hidden file", ws, p, data)
			}
		}
		if entries, err := w.List(ws, p, true); err != nil {
			refused("List", err)
		} else {
			for _, e := range entries {
				if strings.HasPrefix(e.Name, ".") || strings.ContainsAny(e.Name, "/\\\x00") || e.Name == "" {
					t.Fatalf("List(%q, %q) shows %q", ws, p, e.Name)
				}
			}
		}
	})
}

// FuzzParseManifest: any manifest content parses or fails without panicking, and keeps only
// clean, visible paths outside the metadata folder, whose listings can be built.
func FuzzParseManifest(f *testing.F) {
	good, err := MarshalManifest("ws", "https://github.com/o/r", map[string]output{
		"output/a.csv": moderately("a\n"), "output/sub/b.csv": moderately("b\n"),
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(good), `{}`, `{"outputs":null}`, `[]`, `{"outputs":{"":{}}}`,
		`{"outputs":{"../x.csv":{"level":"moderately_sensitive"},"/abs.csv":{"level":"moderately_sensitive"}}}`,
		`{"outputs":{"a//b.csv":{"level":"moderately_sensitive"},"a/./b.csv":{"level":"moderately_sensitive"},".h/x.csv":{"level":"moderately_sensitive"}}}`,
		`{"outputs":{"metadata/x.log":{"level":"moderately_sensitive"},"x.csv":{"level":"moderately_sensitive","excluded":true}}}`,
		`{"outputs":{"a.csv":{"level":"moderately_sensitive","timestamp":1e300,"size":-1}}}`,
		`{"outputs":{"a.csv":{"level":"moderately_sensitive","timestamp":-1}}}`,
		`{"outputs":{"a":{"level":"moderately_sensitive"},"a/b.csv":{"level":"moderately_sensitive"}}}`,
		"{\"outputs\":{\"a\\u0000.csv\":{\"level\":\"moderately_sensitive\"}}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pm, err := parseManifest(data, "hash")
		if err != nil {
			return
		}
		for p := range pm.files {
			if !validRel(p) || hidden(p) || p == "metadata" || strings.HasPrefix(p, "metadata/") {
				t.Fatalf("%q: kept path %q", data, p)
			}
		}
		for _, ood := range []bool{false, true} {
			l := pm.listing(listKey{dir: "", ood: ood})
			for _, e := range l.entries {
				if e.Name == "" || strings.Contains(e.Name, "/") || strings.HasPrefix(e.Name, ".") {
					t.Fatalf("%q: root listing shows %q", data, e.Name)
				}
			}
			for p := range pm.files {
				pm.listing(listKey{dir: filepath.ToSlash(filepath.Dir(p)), ood: ood})
			}
		}
	})
}
