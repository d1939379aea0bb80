package service_test

import (
	"strings"
	"testing"

	"github.com/trelab/airlock/backend/internal/testenv"
)

// BenchmarkWorkspaceFileACRO is the cost the file view adds by asking for ACRO's record,
// against the file detail it already fetches (GetWorkspaceFile, the baseline, timed in the
// same run): for a file three folders deep with no ACRO results file above it (the common
// case), and for a 1 MB table that ACRO's results.json names (its bytes and results.json
// hashed, their checksums read).
func BenchmarkWorkspaceFileACRO(b *testing.B) {
	env := testenv.NewEnv(b)
	ctx, u, ws := testenv.Ctx(), testenv.Researcher(), testenv.Workspace
	env.WriteFile(b, ws, "output/a/b/plain.csv", "a\n1\n")
	table := ",x\n" + strings.Repeat("row,12345678\n", 1<<20/13)
	results := strings.Replace(acroResults, "admissions_0.csv", "big_0.csv", 1)
	env.WriteFile(b, ws, "output/acro/big_0.csv", table)
	env.WriteFile(b, ws, "output/acro/results.json", results)
	env.WriteFile(b, ws, "output/acro/checksums/big_0.csv.txt", testenv.SHA256(table))
	env.WriteFile(b, ws, "output/acro/checksums/results.json.txt", testenv.SHA256(results))

	b.Run("baseline-file-detail", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.Svc.GetWorkspaceFile(ctx, u, ws, "output/a/b/plain.csv"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no-results", func(b *testing.B) {
		for b.Loop() {
			if v, err := env.Svc.WorkspaceFileACRO(ctx, u, ws, "output/a/b/plain.csv"); err != nil || v != nil {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("named-1MB", func(b *testing.B) {
		b.SetBytes(int64(len(table)))
		for b.Loop() {
			if v, err := env.Svc.WorkspaceFileACRO(ctx, u, ws, "output/acro/big_0.csv"); err != nil || v == nil || v.Checksum.State != "MATCH" {
				b.Fatal(v, err)
			}
		}
	})
}
