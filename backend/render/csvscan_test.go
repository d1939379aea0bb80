package render

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAllScanner reads every record with our scanner, copying the fields.
func readAllScanner(t testing.TB, r io.Reader, bufSize int) ([][]string, []int64, error) {
	s := newScanner(r, bufSize)
	var out [][]string
	var starts []int64
	for {
		f, start, err := s.next()
		if errors.Is(err, io.EOF) {
			return out, starts, nil
		}
		if err != nil {
			return out, starts, err
		}
		rec := make([]string, len(f))
		for i := range f {
			rec[i] = string(f[i])
		}
		out = append(out, rec)
		starts = append(starts, start)
	}
}

func readAllStd(in string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(in))
	r.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func checkSameAsStd(t *testing.T, in string) {
	t.Helper()
	want, wantErr := readAllStd(in)
	for _, size := range []int{1, 3, 4096} {
		// A one-byte reader and a tiny buffer exercise every refill boundary.
		got, starts, gotErr := readAllScanner(t, iotest.OneByteReader(strings.NewReader(in)), size)
		if wantErr != nil {
			require.Error(t, gotErr, "input %q: encoding/csv fails with %v", in, wantErr)
			var pe *csv.ParseError
			var ours *parseError
			if errors.As(wantErr, &pe) && errors.As(gotErr, &ours) {
				assert.Equal(t, pe.Line, ours.Line, "error line for %q", in)
			}
			got = got[:min(len(got), len(want))]
		} else {
			require.NoError(t, gotErr, "input %q", in)
		}
		assert.Equal(t, want, got, "input %q, buffer %d", in, size)
		// skip finds the same record starts and the same errors.
		sk := newScanner(iotest.OneByteReader(strings.NewReader(in)), size)
		var skStarts []int64
		var skErr error
		for {
			raw, st, err := sk.skip()
			if err == nil {
				// raw is the record as written, up to its line end.
				require.LessOrEqual(t, int(st)+len(raw), len(in))
				assert.Equal(t, in[st:int(st)+len(raw)], string(raw), "raw bytes of the record at %d in %q", st, in)
				if rest := in[int(st)+len(raw):]; rest != "" {
					assert.Equal(t, byte('\n'), rest[0], "raw stops at the line end in %q", in)
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					skErr = err
				}
				break
			}
			skStarts = append(skStarts, st)
		}
		if gotErr != nil {
			require.Error(t, skErr, "skip of %q", in)
			var a, b *parseError
			if errors.As(gotErr, &a) && errors.As(skErr, &b) {
				assert.Equal(t, a.Line, b.Line, "skip error line for %q", in)
			}
			skStarts = skStarts[:min(len(skStarts), len(starts))]
		} else {
			require.NoError(t, skErr, "skip of %q", in)
		}
		assert.Equal(t, starts, skStarts, "skip starts of %q", in)
		// Every record start must point at a position where the record can be re-read.
		for i, st := range starts {
			s := newScanner(strings.NewReader(in[st:]), size)
			f, _, err := s.next()
			require.NoError(t, err)
			rec := make([]string, len(f))
			for j := range f {
				rec[j] = string(f[j])
			}
			assert.Equal(t, got[i], rec, "record %d re-read from offset %d of %q", i, st, in)
		}
	}
}

func TestScanner_MatchesEncodingCSV(t *testing.T) {
	cases := []string{
		"",
		"a,b,c\n1,2,3\n",
		"a,b,c\r\n1,2,3\r\n",
		"a,b\n1,2",
		"a,b\n1,2\r",
		"\n\n\na\n\r\n\nb\n",
		"a,,\n,,\n",
		`"a","b ""quoted""",c` + "\n",
		"\"multi\nline\",x\n\"crlf\r\ninside\",y\r\n",
		"\"lone\rcr\",z\n",
		"un\rquoted,cr\n",
		`a"b,c` + "\n",
		`"a"b,c` + "\n",
		`"unterminated` + "\n",
		"x\n\"a\"\"\n",
		"h\n1\n2\n\"bad\"x\n",
		"\"a\",\n",
		"\"a\"\r\n\"b\"\r",
		"\"a\r",
		"é,ü,😀\n\"ß\",\"\"\n",
		" a , b \n",
		",\n",
		"\"\"\n",
		"a,\"b\nc\nd\",e\nf,g,h\n",
	}
	for _, c := range cases {
		checkSameAsStd(t, c)
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\"\"y\",z\r\n", "\"a\nb\",c", "a\"b", "\r\r\n,\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSameAsStd(t, in)
	})
}

func TestScanner_LongRecordGrowsBuffer(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	in := "a,b\n" + long + ",\"" + long + "\n" + long + "\"\n"
	got, _, err := readAllScanner(t, bytes.NewReader([]byte(in)), 16)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, long, got[1][0])
	assert.Equal(t, long+"\n"+long, got[1][1])
}
