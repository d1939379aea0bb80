// Package airlock is the domain: users and roles, workspaces and their file statuses,
// release requests, the state machine, permissions and policies, decisions, visibility, the
// actions blocks, audit and live event types, and coded errors. It is pure: no I/O, no
// clock, no storage; the service calls it inside its transactions.
//
// Its rules are those of docs/reference/domain.md, with the departures of docs/decisions.md.
// A bare "§N" anywhere in this package, tests included, cites docs/reference/domain.md, and
// "behaviour N" is its §12.N.
package airlock
