package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultMemLimit is the soft memory limit applied when neither the
// gomemlimit key nor the GOMEMLIMIT environment variable says otherwise.
//
// Chosen with scripts/measure-rss (amd64, GOMAXPROCS=1, 150-refresh soak):
// the live heap is about 1 MB (pinned root) to 3.5 MB (system pool), but
// the runtime lets the heap grow to its 4 MB minimum goal before the first
// collection, so anonymous memory drifts up to 5 MB during a soak. With
// 8MiB the soak stays at 3.3 MB anonymous (peak RSS 11.7 instead of 12.9
// MiB, system-pool flow 12.0 instead of 13.8) for the same CPU time (695 vs
// 710 ms); 6MiB saved little more and 4MiB is below the system pool's live
// heap, where the collector would run constantly.
const defaultMemLimit = "8MiB"

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
