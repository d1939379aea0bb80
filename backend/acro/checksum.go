package acro

import (
	"bytes"
	"path"
	"strings"
)

// ChecksumState is the outcome of comparing a file's bytes with the checksum ACRO wrote.
type ChecksumState string

// The outcomes.
const (
	// ChecksumMatch: the bytes are the ones ACRO checked.
	ChecksumMatch ChecksumState = "MATCH"
	// ChecksumMismatch: the bytes changed after ACRO checked them.
	ChecksumMismatch ChecksumState = "MISMATCH"
	// ChecksumMissing: ACRO wrote no checksum for the file (before 0.4 it wrote none).
	ChecksumMissing ChecksumState = "MISSING"
	// ChecksumInvalid: the checksum file holds no sha256.
	ChecksumInvalid ChecksumState = "INVALID"
)

// Subjects of a verification, for the messages.
const (
	SubjectFile    = "file"
	SubjectResults = "results"
)

// Checksum is one verification: what ACRO recorded, what the bytes hash to, and a message
// for the people reviewing the output.
type Checksum struct {
	State ChecksumState
	// Expected is the sha256 ACRO recorded ("" when missing or invalid); Actual the sha256
	// of the bytes.
	Expected string
	Actual   string
	Message  string
}

// ChecksumPath is where ACRO writes the checksum of the file name (relative to the folder
// of results.json): checksums/<name>.txt in that folder.
func ChecksumPath(name string) string {
	return path.Join(ChecksumsDir, name) + ".txt"
}

// ParseChecksum reads a checksum file: 64 hexadecimal digits (ACRO writes only those;
// "<hex>  <name>" as sha256sum writes it is read too). ok is false for anything else.
func ParseChecksum(data []byte) (sum string, ok bool) {
	fields := strings.Fields(string(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	if len(fields) == 0 || len(data) > MaxChecksumSize {
		return "", false
	}
	sum = strings.ToLower(fields[0])
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", false
	}
	return sum, true
}

// Verify compares actual, the sha256 hex of a file's bytes, with the checksum file ACRO
// wrote for it (found false: there is none). subject (SubjectFile or SubjectResults) words
// the message.
func Verify(subject string, checksumFile []byte, found bool, actual string) Checksum {
	actual = strings.ToLower(actual)
	what := "This file"
	if subject == SubjectResults {
		what = "ACRO's results file"
	}
	c := Checksum{Actual: actual}
	if !found {
		c.State = ChecksumMissing
		c.Message = what + " has no checksum from ACRO, so Airlock cannot tell whether it was changed after ACRO wrote it."
		return c
	}
	want, ok := ParseChecksum(checksumFile)
	if !ok {
		c.State = ChecksumInvalid
		c.Message = what + " could not be verified: the checksum file beside it holds no sha256 checksum."
		return c
	}
	c.Expected = want
	if want != actual {
		c.State = ChecksumMismatch
		if subject == SubjectResults {
			c.Message = "ACRO's results file does not match the checksum ACRO wrote for it: the results shown here were changed after ACRO wrote them and cannot be trusted."
		} else {
			c.Message = "This file does not match the checksum ACRO wrote for it: its content was changed after ACRO checked it, so ACRO's results below do not describe it."
		}
		return c
	}
	c.State = ChecksumMatch
	c.Message = what + " matches the checksum ACRO wrote for it."
	return c
}
