package render

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// LogSummaryMarker starts the job-summary trailer of a job-runner log.
const LogSummaryMarker = "=============JOB SUMMARY============="

// MaxLogBytes is how much of a log (above its job summary) is shown
// (docs/reference/ui.md §5.4).
const MaxLogBytes = 10_000

// maxSummaryBytes bounds how far back from the end the job summary is looked for.
const maxSummaryBytes = 64 << 10

// Log is the viewable part of a log file.
type Log struct {
	// Text is the end of the log above the job summary: at most MaxLogBytes bytes, starting at
	// a line start when it was truncated.
	Text string `json:"text"`
	// Summary is the job-summary trailer from its marker line to the end ("" when none).
	Summary string `json:"summary"`
	// Truncated is set when the start of the log was left out.
	Truncated bool `json:"truncated"`
	// Size is the size of the whole file in bytes.
	Size int64 `json:"size"`
}

// TruncateLog reads the viewable part of a log: the job summary (a trailer starting at a line
// that begins with LogSummaryMarker, found within the last 64 KiB) is always kept and not
// counted; of the rest, only the last max bytes are kept, dropping a partial first line.
// Only the end of the file is read.
func TruncateLog(src io.ReadSeeker, max int) (Log, error) {
	if max <= 0 {
		max = MaxLogBytes
	}
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return Log{}, err
	}
	out := Log{Size: size}
	// Find the summary in the tail.
	tailLen := min(size, int64(max+maxSummaryBytes))
	tail, err := readAt(src, size-tailLen, int(tailLen))
	if err != nil {
		return Log{}, err
	}
	bodyEnd := size
	marker := []byte(LogSummaryMarker)
	for i := bytes.LastIndex(tail, marker); i >= 0; i = bytes.LastIndex(tail[:i], marker) {
		abs := size - tailLen + int64(i)
		if abs == 0 || (i > 0 && tail[i-1] == '\n') {
			bodyEnd = abs
			out.Summary = string(tail[i:])
			break
		}
		if i == 0 {
			break
		}
	}
	start := max64(0, bodyEnd-int64(max))
	var body []byte
	if start >= size-tailLen {
		body = tail[start-(size-tailLen) : bodyEnd-(size-tailLen)]
	} else if body, err = readAt(src, start, int(bodyEnd-start)); err != nil {
		return Log{}, err
	}
	if start > 0 {
		out.Truncated = true
		if nl := bytes.IndexByte(body, '\n'); nl >= 0 && nl+1 < len(body) {
			body = body[nl+1:]
		} else {
			// One long line: keep it, but start at a character boundary.
			for len(body) > 0 && !utf8.RuneStart(body[0]) {
				body = body[1:]
			}
		}
	}
	out.Text = string(body)
	return out, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func readAt(src io.ReadSeeker, off int64, n int) ([]byte, error) {
	if _, err := src.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(src, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
