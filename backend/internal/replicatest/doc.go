// Package replicatest runs several `airlock serve` processes on one PostgreSQL database
// (backend/internal/pgtest) and one shared data folder, with the strict job-server stand-in
// (backend/internal/fakejobserver) as the release target: the workflow split across the
// servers, sessions and single-use tokens crossing between them, live events committed on
// one reaching sockets on another, every file delivered exactly once, and a server killed
// mid-upload taken over by the other (docs/operations.md, "Several servers").
package replicatest
