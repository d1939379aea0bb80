package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seekCounter records the furthest-back offset read.
type seekCounter struct {
	*bytes.Reader
	lowest int64
}

func (s *seekCounter) Seek(off int64, whence int) (int64, error) {
	n, err := s.Reader.Seek(off, whence)
	if whence == io.SeekStart && n < s.lowest {
		s.lowest = n
	}
	return n, err
}

func logLines(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2024-01-01T00:00:00Z line %05d of the job output\n", i)
	}
	return b.String()
}

func TestTruncateLog(t *testing.T) {
	summary := LogSummaryMarker + "\nstatus: succeeded\noutputs: 3\n"
	t.Run("short log is shown whole with its summary", func(t *testing.T) {
		in := "hello\nworld\n" + summary
		l, err := TruncateLog(bytes.NewReader([]byte(in)), 0)
		require.NoError(t, err)
		assert.Equal(t, "hello\nworld\n", l.Text)
		assert.Equal(t, summary, l.Summary)
		assert.False(t, l.Truncated)
		assert.Equal(t, int64(len(in)), l.Size)
	})
	t.Run("long log keeps the last 10,000 bytes from a line start, plus the summary", func(t *testing.T) {
		body := logLines(2000)
		in := body + summary
		src := &seekCounter{Reader: bytes.NewReader([]byte(in)), lowest: 1 << 62}
		l, err := TruncateLog(src, 0)
		require.NoError(t, err)
		assert.True(t, l.Truncated)
		assert.Equal(t, summary, l.Summary)
		assert.LessOrEqual(t, len(l.Text), MaxLogBytes)
		assert.Greater(t, len(l.Text), MaxLogBytes-100)
		assert.True(t, strings.HasSuffix(body, l.Text))
		assert.True(t, strings.HasPrefix(l.Text, "2024-"), "partial first line dropped")
		assert.GreaterOrEqual(t, src.lowest, int64(len(in)-MaxLogBytes-maxSummaryBytes), "only the end is read")
	})
	t.Run("log without a summary", func(t *testing.T) {
		body := logLines(500)
		l, err := TruncateLog(bytes.NewReader([]byte(body)), 0)
		require.NoError(t, err)
		assert.Empty(t, l.Summary)
		assert.True(t, strings.HasSuffix(body, l.Text))
		assert.True(t, l.Truncated)
	})
	t.Run("the marker only counts at a line start", func(t *testing.T) {
		in := "echo " + LogSummaryMarker + "\nmore\n"
		l, err := TruncateLog(bytes.NewReader([]byte(in)), 0)
		require.NoError(t, err)
		assert.Empty(t, l.Summary)
		assert.Equal(t, in, l.Text)
	})
	t.Run("summary excluded from the limit", func(t *testing.T) {
		in := "abc\ndef\n" + LogSummaryMarker + "\n" + strings.Repeat("s", 50)
		l, err := TruncateLog(bytes.NewReader([]byte(in)), 8)
		require.NoError(t, err)
		assert.Equal(t, "abc\ndef\n", l.Text)
		assert.False(t, l.Truncated)
		l, err = TruncateLog(bytes.NewReader([]byte(in)), 6)
		require.NoError(t, err)
		assert.Equal(t, "def\n", l.Text)
		assert.True(t, l.Truncated)
	})
	t.Run("one long line is cut at a character boundary", func(t *testing.T) {
		in := strings.Repeat("é", 100)
		l, err := TruncateLog(bytes.NewReader([]byte(in)), 11)
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("é", 5), l.Text)
	})
}

func TestContentType(t *testing.T) {
	for p, want := range map[string]string{
		"a/b.csv": "text/csv; charset=utf-8", "X.CSV": "text/csv; charset=utf-8",
		"r.html": "text/html; charset=utf-8", "f.svg": "image/svg+xml", "f.PNG": "image/png",
		"l.log": "text/plain; charset=utf-8", "d.json": "application/json; charset=utf-8",
		"noext": "application/octet-stream", "x.exe": "application/octet-stream",
	} {
		assert.Equal(t, want, ContentType(p), p)
	}
	assert.Equal(t, "gzip", ContentEncoding("a.SVGZ"))
	assert.Equal(t, "", ContentEncoding("a.svg"))
}
