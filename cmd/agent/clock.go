package main

import (
	"context"
	"runtime/debug"
	"time"
)

// clock is the time source of the supervisor. Now carries a monotonic
// reading (durations between two Nows are immune to NTP steps); After
// schedules on the monotonic clock. Tests use a fake that advances at once.
type clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// plausibleAfter is the earliest wall-clock time the agent believes: a board
// without a real-time clock boots in 1970 (or at the last fake-hwclock save)
// until NTP answers. Nothing built this year can run before it.
var plausibleAfter = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	// A binary cannot run before it was built: use the commit time stamped
	// by the go command when it is later than the fixed floor.
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil && t.After(plausibleAfter) {
					plausibleAfter = t
				}
			}
		}
	}
}

// clockPlausible reports whether the wall clock can be trusted for token
// expiry times and TLS.
func clockPlausible(now time.Time, floor time.Time) bool {
	return now.After(floor)
}

// sleep waits d on c, or returns false when ctx ends first.
func sleep(ctx context.Context, c clock, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-c.After(d):
		return true
	}
}
