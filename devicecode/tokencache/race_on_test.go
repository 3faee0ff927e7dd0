//go:build race

package tokencache

// raceEnabled reports whether the test binary was built with -race.
const raceEnabled = true
