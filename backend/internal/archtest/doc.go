// Package archtest holds the test that keeps package dependencies pointing inward, as
// docs/architecture.md draws them. It has no code of its own.
package archtest
