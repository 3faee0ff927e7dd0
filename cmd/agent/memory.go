package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultMemLimit is the soft memory limit applied when neither the
// gomemlimit key nor the GOMEMLIMIT environment variable says otherwise.
// Measured with scripts/measure-rss: the whole agent peaks well below it, so
// the limit only matters when something goes wrong (a huge response, a
// leak): the collector then works harder instead of the board swapping.
// It is not a target: GOMEMLIMIT does not shrink a small heap.
const defaultMemLimit = "24MiB"

// applyMemLimit sets the soft memory limit unless GOMEMLIMIT is set in the
// environment (the runtime has applied that one already).
func applyMemLimit(limit int64, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		log.Debug("memory limit from GOMEMLIMIT", "value", os.Getenv("GOMEMLIMIT"))
		return
	}
	if limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "bytes", limit)
}
