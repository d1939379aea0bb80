// Package replicatest runs several `airlock serve` processes on one PostgreSQL database
// (backend/internal/pgtest) and one shared data folder, with the strict job-server stand-in
// (backend/internal/fakejobserver) as the release target: the workflow split across the
// servers, sessions and single-use tokens crossing between them, live events committed on
// one reaching sockets on another, every file delivered exactly once, a server killed
// mid-upload taken over by the other, and a server killed while sending a notification:
// the other sends the queued ones once each and never resends the one that may have been
// handled (docs/operations.md, "Several servers").
package replicatest
