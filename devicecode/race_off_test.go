//go:build !race

package devicecode

const raceEnabled = false
