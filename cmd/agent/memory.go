package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"github.com/boardlogin/boardlogin/internal/codepages"
)

// defaultMemLimit is the soft memory limit applied when neither the
// gomemlimit key nor the GOMEMLIMIT environment variable says otherwise.
//
// Chosen with scripts/measure-rss when the system pool was still parsed
// into memory (a 3.5 MB live heap) and the runtime's first collection came
// at its 4 MB minimum goal: 8MiB then cut a 150-refresh soak from 12.9 to
// 11.7 MiB. Since internal/sysroots, GOGC 50 and memTrimmer, the live heap
// stays near 300 KB and the Go runtime's own total well under the limit:
// a 1,000-refresh soak (amd64, GOMAXPROCS=1, 2026-12-02) peaks at 10.8 MiB
// with 2.6 to 2.7 MiB anonymous at the end with 8MiB and with 24MiB alike.
// So in normal running the limit does not engage; it is the backstop that
// makes the collector work harder, rather than the heap grow, if a leak or
// a huge reply ever pushes the runtime toward 8 MiB, far below the systemd
// unit's 32M hard limit.
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

// defaultGCPercent is the collector's GOGC when the GOGC environment
// variable does not set one.
//
// At the default 100 the runtime makes its first collection when the heap
// reaches its 4 MB minimum goal; 50 halves that. The agent's live heap is
// about 300 KB, so the difference is garbage, and it is resident until that
// first collection: on 32-bit ARM (scripts/measure-rss-arm) a refresh soak
// peaked at 12.0 MiB (1,000 refreshes) with 100 and at 10.0 MiB (400
// refreshes) with 50, 1.7 MiB anonymous at the end either way, since
// memTrimmer keeps the heap small after that collection. The sign-in flow
// does not reach the lower goal: its peak is the same (8.5 to 8.6 MiB on
// ARM, 9.1 to 9.2 on amd64). GOGC 25 does reach it (amd64 flow 9.1 -> 10.0
// MiB with the trimmer), and the first collection costs more than it frees.
const defaultGCPercent = 50

// applyGCPercent sets defaultGCPercent unless GOGC is set in the
// environment (the runtime has applied that one already).
func applyGCPercent(log *slog.Logger) {
	if v := os.Getenv("GOGC"); v != "" {
		log.Debug("collector target from GOGC", "value", v)
		return
	}
	debug.SetGCPercent(defaultGCPercent)
}

// memTrimmer hands freed heap memory back to the kernel at the agent's
// quiet moments (tokens published and the agent about to sleep until the
// next refresh, a code shown, idle), once the runtime has collected garbage
// on its own at least once.
//
// Without it, the heap grows to the collector's goal between collections
// and the freed pages stay resident: over a soak of refreshes the live heap
// is about 300 KB, but anonymous memory settles at 3.5 MiB. With a trim
// after each publish (once the runtime has collected) it settles at 2.7
// MiB, and the soak's peak RSS is 11.0 instead of 11.8 MiB (GOGC 100,
// scripts/measure-rss, amd64, 200 refreshes; CPU 424 instead of 337 ms in
// all, about 0.6 ms per trim). The agent does not
// force the first collection: that one costs about 0.8 MiB of the
// runtime's own bookkeeping, more than a young heap holds in garbage, so a
// trim at the first refreshes would raise the sign-in flow's peak by that
// much; the runtime makes it when its heap goal says so.
//
// It also releases the pages of the agent's own code (codepages.Release)
// when start-up is over and at every quiet moment, whether or not the
// runtime has collected. After start-up most of the binary is resident: the
// package inits touch code in nearly every 64 KB window of it, and the
// kernel maps 64 KB around each fault. Between refreshes the agent runs
// nothing, and a refresh needs about 60% of the windows. Released, the
// pages stay in the page cache, clean and reclaimable, and what runs next
// maps them again with minor faults. Measured with scripts/measure-rss
// (amd64, GOMAXPROCS=1, 2026-12-02), before and after: the sign-in flow
// with one pinned root peaks at 9,284 and at 8,480 to 8,664 kB; the agent
// asleep between refreshes holds 9.1 and 3.4 to 3.6 MiB (1.4 to 1.7
// anonymous, 1.9 of its binary); the CPU time of a 20-refresh soak is 44
// and 67 to 80 ms, 1 to 2 ms more per refresh (the read of
// /proc/self/smaps and the faults). On 32-bit ARM (scripts/measure-rss-arm)
// the pinned flow peaks at 7.7 instead of 8.7 MiB.
type memTrimmer struct {
	free      func()                // debug.FreeOSMemory; tests count the calls
	release   func() (int64, error) // codepages.Release; tests count the calls
	collected atomic.Bool
	log       *slog.Logger
}

func newMemTrimmer(log *slog.Logger) *memTrimmer {
	m := &memTrimmer{free: debug.FreeOSMemory, release: codepages.Release, log: log}
	// A cleanup on an object nobody keeps runs after the first collection
	// that finds it: that is how the trimmer learns of the runtime's first
	// collection for free. (runtime.ReadMemStats stops the world and costs
	// about 0.5 MiB of anonymous memory the first time; runtime/metrics and
	// debug.ReadGCStats add 16 to 32 KB of binary, about 100 KB resident.)
	// The object is 32 bytes: smaller pointer-free objects may share a
	// block with others and be collected late.
	runtime.AddCleanup(new([4]uint64), func(c *atomic.Bool) { c.Store(true) }, &m.collected)
	return m
}

// maybeTrim trims the heap if the runtime has collected at least once,
// then releases the code pages, and says whether it trimmed the heap. The
// order matters: the trim's collection scans the stacks, which reads the
// function tables, and would map them again right after a release.
func (m *memTrimmer) maybeTrim() bool {
	trimmed := m.collected.Load()
	if trimmed {
		m.free()
		m.log.Debug("returned freed memory to the kernel")
	}
	m.releaseCode()
	return trimmed
}

// releaseCode releases the pages of the agent's code. Where that cannot be
// done (no /proc, a kernel that refuses), the agent runs as before with its
// code resident, so a failure is only worth a debug line.
func (m *memTrimmer) releaseCode() {
	n, err := m.release()
	if err != nil {
		m.log.Debug("code pages stay resident", "err", err)
		return
	}
	m.log.Debug("released code pages", "kB", n>>10)
}
