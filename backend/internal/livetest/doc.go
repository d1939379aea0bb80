// Package livetest holds the end-to-end tests of live workspace folders (issue 5): the
// backend that `airlock serve` runs, on a real listener, real temp folders and a real
// SQLite file, observed through a gorilla WebSocket client of /api/v1/events and through
// the service's queries. It has no code of its own.
package livetest
