//go:build race

package render

// raceEnabled: the race detector makes the corpus about ten times slower; it runs smaller.
const raceEnabled = true
