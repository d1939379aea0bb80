package service_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/internal/testbin"
)

// BenchmarkWriteThroughput: votes and comments on one submitted request of eight output
// files, from eight concurrent writers (two checkers; half of the writers vote, half
// comment), each call going through the service as the API makes it (Vote answers the
// request as the voter now sees it, AddComment the comment). Every call is one write
// transaction with its audit event. The baseline, timed in the same run, is a plain SQLite
// insert-and-commit loop — one row per transaction — on a file opened with the same driver
// and pragmas as the store (sqlite.WriterDSN). Goal (issue 14): ≥ 1,000 writes/s. CPU time
// per write (client and service in this process) is reported beside the rates: on a busy
// machine the rates measure the waiting too.
//
// It runs on both stores in the same run (sub-benchmarks sqlite and postgres); on
// PostgreSQL the baseline is the same plain insert-and-commit loop on a fresh database of
// the same server (backend/internal/pgtest), through the same driver (pgx).
func BenchmarkWriteThroughput(b *testing.B) { onEachStore(b, benchWriteThroughput) }

// plainDB opens the baseline's database for store, with its one table.
func plainDB(b *testing.B, store string) *sql.DB {
	var db *sql.DB
	var err error
	switch store {
	case "postgres":
		db, err = sql.Open("pgx", pgtest.New(b))
		benchMust(b, err)
		_, err = db.Exec(`CREATE TABLE plain (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, who TEXT NOT NULL, what TEXT NOT NULL, at TEXT NOT NULL)`)
	default:
		db, err = sql.Open("sqlite3", sqlite.WriterDSN(filepath.Join(b.TempDir(), "plain.db")))
		benchMust(b, err)
		_, err = db.Exec(`CREATE TABLE plain (id INTEGER PRIMARY KEY, who TEXT NOT NULL, what TEXT NOT NULL, at TEXT NOT NULL)`)
	}
	benchMust(b, err)
	b.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	return db
}

func benchWriteThroughput(b *testing.B, store string) {
	env := testenv.NewEnv(b, testenv.WithStore(store))
	ctx := testenv.Ctx()
	var files []testenv.FileDef
	var paths []string
	for i := range 8 {
		p := fmt.Sprintf("output/table%d.csv", i)
		files = append(files, testenv.File(p))
		paths = append(paths, p)
	}
	r := testenv.CreateRequestAtStatus(b, env, testenv.Researcher(), airlock.StatusSubmitted, files...)
	checkers := []airlock.User{testenv.Checker1(), testenv.Checker2()}

	db := plainDB(b, store)
	insert := `INSERT INTO plain (who, what, at) VALUES (?, ?, ?)`
	if store == "postgres" {
		insert = `INSERT INTO plain (who, what, at) VALUES ($1, $2, $3)`
	}

	const writers, perWriter = 8, 100
	const total = writers * perWriter
	var votes, comments, plain time.Duration
	var svcCPU, plainCPU time.Duration
	var nVotes, nComments int
	for b.Loop() {
		// The service: writers at once, as concurrent API calls.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed error
		cpu := testbin.CPUTime()
		start := time.Now()
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := checkers[w%len(checkers)]
				for i := range perWriter {
					var err error
					if w < writers/2 {
						vote := airlock.VoteApproved
						if i%2 == 1 {
							vote = airlock.VoteChangesRequested
						}
						_, err = env.Svc.Vote(ctx, u, r.ID, []string{paths[(w+i)%len(paths)]}, string(vote))
					} else {
						_, err = env.Svc.AddComment(ctx, u, r.ID, testenv.DefaultGroup,
							fmt.Sprintf("comment %d of writer %d", i, w), airlock.VisibilityPrivate)
					}
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		benchMust(b, failed)
		both := time.Since(start)
		svcCPU += testbin.CPUTime() - cpu
		// Both kinds ran together for the same time: each kind's rate is its count over it.
		votes += both
		comments += both
		nVotes += total / 2
		nComments += total / 2

		// The baseline: one insert per transaction, committed, one after another.
		cpu = testbin.CPUTime()
		start = time.Now()
		for i := range total {
			tx, err := db.Begin()
			benchMust(b, err)
			_, err = tx.Exec(insert, "checker1",
				fmt.Sprintf("row %d", i), time.Now().UTC().Format(time.RFC3339Nano))
			benchMust(b, err)
			benchMust(b, tx.Commit())
		}
		plain += time.Since(start)
		plainCPU += testbin.CPUTime() - cpu
	}
	voteRate := float64(nVotes) / votes.Seconds()
	commentRate := float64(nComments) / comments.Seconds()
	writeRate := voteRate + commentRate
	plainRate := float64(nVotes+nComments) / plain.Seconds()
	b.ReportMetric(voteRate, "votes/s")
	b.ReportMetric(commentRate, "comments/s")
	b.ReportMetric(writeRate, "writes/s")
	b.ReportMetric(plainRate, "plain-commits/s")
	b.ReportMetric(writeRate/plainRate, "ratio")
	// The same in CPU time per write, which other load on the machine disturbs far less.
	if svcCPU > 0 && plainCPU > 0 {
		perWrite := svcCPU.Seconds() / float64(nVotes+nComments)
		perCommit := plainCPU.Seconds() / float64(nVotes+nComments)
		b.ReportMetric(perWrite*1e6, "cpu-µs/write")
		b.ReportMetric(perCommit*1e6, "plain-cpu-µs/commit")
		b.ReportMetric(perCommit/perWrite, "cpu-ratio")
	}
	b.ReportMetric(0, "ns/op")
}
