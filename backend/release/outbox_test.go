package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/release"
)

var deliveredAt = time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC)

func newOutbox(t *testing.T, dir string) *release.Outbox {
	log, _ := newLogger()
	o, err := release.NewOutbox(dir, func() time.Time { return deliveredAt }, log)
	require.NoError(t, err)
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func readManifest(t *testing.T, p string) release.Manifest {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	var m release.Manifest
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// listFiles returns every regular file below dir (relative, slash-separated).
func listFiles(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	return out
}

func TestOutbox_Delivers(t *testing.T) {
	dir := t.TempDir()
	o := newOutbox(t, dir)
	files := content{"output/a.csv": []byte("a,b\n1,2\n"), "output/sub/deep/b.txt": []byte("hello"), "top.md": []byte("# hi")}
	r := approvedRequest("01HOUT", files)
	id, err := o.CreateRelease(context.Background(), checker, r, releaseFiles(r))
	require.NoError(t, err)
	assert.Empty(t, id, "the outbox keeps no release id")

	reqDir := filepath.Join(dir, "ws1", "01HOUT")
	outs := release.ReleasedFiles(r)
	require.Len(t, outs, 3, "supporting and withdrawn files are not released")
	for i, f := range outs {
		require.NoError(t, o.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		if i < len(outs)-1 {
			assert.NoFileExists(t, filepath.Join(reqDir, release.ManifestName), "release.json only once every file is in place")
		}
	}
	for p, b := range files {
		got, err := os.ReadFile(filepath.Join(reqDir, filepath.FromSlash(p)))
		require.NoError(t, err)
		assert.Equal(t, b, got, p)
	}
	m := readManifest(t, filepath.Join(reqDir, release.ManifestName))
	released := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, release.Manifest{
		Workspace: "ws1", RequestID: "01HOUT", ReleasedBy: "bob", ReleasedAt: released, DeliveredAt: deliveredAt,
		Files: []release.ManifestFile{
			{Path: "output/a.csv", Size: 8, SHA256: sum(files["output/a.csv"]), ReleasedBy: "bob", ReleasedAt: released},
			{Path: "output/sub/deep/b.txt", Size: 5, SHA256: sum(files["output/sub/deep/b.txt"]), ReleasedBy: "bob", ReleasedAt: released},
			{Path: "top.md", Size: 4, SHA256: sum(files["top.md"]), ReleasedBy: "bob", ReleasedAt: released},
		},
	}, m)
	assert.ElementsMatch(t, []string{"ws1/01HOUT/output/a.csv", "ws1/01HOUT/output/sub/deep/b.txt", "ws1/01HOUT/top.md", "ws1/01HOUT/release.json"},
		listFiles(t, dir), "nothing else, no temporary files")

	t.Run("delivering again is harmless", func(t *testing.T) {
		f := r.File("output/a.csv")
		require.NoError(t, o.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		assert.Len(t, listFiles(t, dir), 4)
	})
	t.Run("a restarted outbox finishes from what is on disk", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(reqDir, release.ManifestName)))
		o2 := newOutbox(t, dir)
		f := r.File("top.md")
		require.NoError(t, o2.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		assert.Equal(t, m, readManifest(t, filepath.Join(reqDir, release.ManifestName)))
	})
	t.Run("releasedBy is the most recent release's checker", func(t *testing.T) {
		r2 := approvedRequest("01HLATER", files)
		later := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
		f := r2.File("top.md")
		f.ReleasedAt, f.ReleasedBy = &later, "carol"
		for _, f := range release.ReleasedFiles(r2) {
			require.NoError(t, o.Upload(context.Background(), r2, f, opener(files[f.RelPath])))
		}
		m2 := readManifest(t, filepath.Join(dir, "ws1", "01HLATER", release.ManifestName))
		assert.Equal(t, "carol", m2.ReleasedBy)
		assert.Equal(t, later, m2.ReleasedAt)
		assert.Equal(t, "bob", m2.Files[0].ReleasedBy)
	})
}

// failingReader gives part of the content, then fails: a crash or I/O error mid-file.
type failingReader struct {
	data  []byte
	after int
	pos   int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.pos >= f.after {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.data[f.pos:min(f.after, len(f.data))])
	f.pos += n
	return n, nil
}

func TestOutbox_NoPartialFiles(t *testing.T) {
	dir := t.TempDir()
	o := newOutbox(t, dir)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB, several copy buffers
	files := content{"output/a.csv": []byte("a\n"), "output/big.csv": big}
	r := approvedRequest("01HCRASH", files)
	reqDir := filepath.Join(dir, "ws1", "01HCRASH")

	require.NoError(t, o.Upload(context.Background(), r, r.File("output/a.csv"), opener(files["output/a.csv"])))

	t.Run("a reader failing mid-file leaves nothing under the final name", func(t *testing.T) {
		err := o.Upload(context.Background(), r, r.File("output/big.csv"), func() (io.ReadCloser, error) {
			return io.NopCloser(&failingReader{data: big, after: len(big) / 2}), nil
		})
		require.ErrorContains(t, err, "disk on fire")
		assert.NoFileExists(t, filepath.Join(reqDir, "output", "big.csv"))
		assert.NoFileExists(t, filepath.Join(reqDir, release.ManifestName))
		assert.Equal(t, []string{"ws1/01HCRASH/output/a.csv"}, listFiles(t, dir), "the temporary file is removed")
	})
	t.Run("bytes that are not the reviewed copy are refused", func(t *testing.T) {
		changed := bytes.Clone(big)
		changed[100] = 'X'
		err := o.Upload(context.Background(), r, r.File("output/big.csv"), opener(changed))
		require.Error(t, err)
		assert.NoFileExists(t, filepath.Join(reqDir, "output", "big.csv"))
		err = o.Upload(context.Background(), r, r.File("output/big.csv"), opener(big[:len(big)-1]))
		require.Error(t, err)
		assert.NoFileExists(t, filepath.Join(reqDir, "output", "big.csv"))
	})
	t.Run("a cancelled copy leaves nothing under the final name", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := o.Upload(ctx, r, r.File("output/big.csv"), opener(big))
		require.ErrorIs(t, err, context.Canceled)
		assert.NoFileExists(t, filepath.Join(reqDir, "output", "big.csv"))
	})
	t.Run("a temporary file left by a killed process is swept once older than the grace", func(t *testing.T) {
		stale := filepath.Join(reqDir, "output", ".big.csv.airlock-tmp-deadbeef")
		require.NoError(t, os.WriteFile(stale, big[:1000], 0o644))
		o2 := newOutbox(t, dir)
		require.NoError(t, o2.Upload(context.Background(), r, r.File("output/big.csv"), opener(big)))
		got, err := os.ReadFile(filepath.Join(reqDir, "output", "big.csv"))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(big, got))
		assert.FileExists(t, filepath.Join(reqDir, release.ManifestName))
		// Delivering into the folder removes nothing (another server may be writing there).
		assert.FileExists(t, stale)
		removed, err := o2.SweepTemps(time.Now().Add(-time.Hour))
		require.NoError(t, err)
		assert.Empty(t, removed, "younger than the grace")
		old := time.Now().Add(-2 * time.Hour)
		require.NoError(t, os.Chtimes(stale, old, old))
		removed, err = o2.SweepTemps(time.Now().Add(-time.Hour))
		require.NoError(t, err)
		assert.Equal(t, []string{"ws1/01HCRASH/output/.big.csv.airlock-tmp-deadbeef"}, removed)
		assert.Len(t, listFiles(t, dir), 3)
	})
}

func TestOutbox_StaysInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "released")
	outside := filepath.Join(base, "outside")
	require.NoError(t, os.MkdirAll(outside, 0o755))
	o := newOutbox(t, dir)
	data := []byte("x")

	for _, tc := range []struct {
		name, ws, id, path string
	}{
		{"dot-dot path", "ws1", "01H", "../../../outside/x.csv"},
		{"inner dot-dot", "ws1", "01H", "output/../../x.csv"},
		{"absolute path", "ws1", "01H", "/etc/x.csv"},
		{"backslash", "ws1", "01H", `output\..\x.csv`},
		{"dot-dot workspace", "..", "01H", "x.csv"},
		{"slash in request id", "ws1", "a/../../outside", "x.csv"},
		{"empty workspace", "", "01H", "x.csv"},
		{"newline", "ws1", "01H", "a\nb.csv"},
		{"release.json at the top", "ws1", "01H", "release.json"},
		{"temporary name", "ws1", "01H", "output/.a.airlock-tmp-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := approvedRequest(tc.id, content{tc.path: data})
			r.Workspace = tc.ws
			_, err := o.CreateRelease(context.Background(), checker, r, releaseFiles(r))
			assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), "create release")
			err = o.Upload(context.Background(), r, release.ReleasedFiles(r)[0], opener(data))
			assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), "upload")
		})
	}
	assert.Empty(t, listFiles(t, outside))

	t.Run("a symlink inside the release folder pointing outside is not followed", func(t *testing.T) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "ws2"), 0o755))
		require.NoError(t, os.Symlink(outside, filepath.Join(dir, "ws2", "01HLINK")))
		r := approvedRequest("01HLINK", content{"x.csv": data})
		r.Workspace = "ws2"
		err := o.Upload(context.Background(), r, r.File("x.csv"), opener(data))
		require.Error(t, err)
		assert.Empty(t, listFiles(t, outside))
	})
	t.Run("nested release.json is an ordinary file", func(t *testing.T) {
		r := approvedRequest("01HNEST", content{"output/release.json": []byte("{}")})
		require.NoError(t, o.Upload(context.Background(), r, r.File("output/release.json"), opener([]byte("{}"))))
		assert.FileExists(t, filepath.Join(dir, "ws1", "01HNEST", "release.json"))
		assert.True(t, strings.HasSuffix(readManifest(t, filepath.Join(dir, "ws1", "01HNEST", "release.json")).Files[0].Path, "release.json"))
	})
}
