package sqlstore

import (
	"testing"
	"time"
)

// TestParseStoredTime: the fast reader of stored times agrees with time.Parse on every
// well-formed time and leaves everything else to it.
func TestParseStoredTime(t *testing.T) {
	base := time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	for i := range 2000 {
		want := base.Add(time.Duration(i) * 7919 * time.Hour).Add(time.Duration(i*104729) * time.Nanosecond)
		s := fmtTime(want)
		got, ok := parseStoredTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("parseStoredTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
		if p, err := parseTime(s); err != nil || !p.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, %v", s, p, err)
		}
	}
	for _, bad := range []string{"", "2025-02-30T00:00:00.000000000Z", "2025-13-01T00:00:00.000000000Z",
		"2025-01-01T24:00:00.000000000Z", "2025-01-01 00:00:00.000000000Z", "2025-01-01T00:00:00.00000000Z",
		"2025-01-01T00:00:00.000000000+", "2025-0a-01T00:00:00.000000000Z", "2025-01-01T00:00:00Z"} {
		if _, ok := parseStoredTime(bad); ok {
			t.Errorf("parseStoredTime(%q) accepted it", bad)
		}
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) accepted it", bad)
		}
	}
}
