//go:build race

package devicecode

// The race detector instruments allocations; allocation counts are only
// asserted without it.
const raceEnabled = true
