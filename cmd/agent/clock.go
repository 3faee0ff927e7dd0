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
// until NTP answers. Nothing built this year can run before it; a binary
// cannot run before the commit it was built from (commitTime).
var plausibleAfter = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// buildTime is the commit time (RFC 3339) stamped by the release build
// (build/arm/build: -ldflags "-X main.buildTime=..."), which builds with
// -buildvcs=false and so gets no vcs.time from the go command.
var buildTime string

// commitTime is the commit time the binary knows, zero when none: the
// release build's stamp, else the go command's vcs.time.
var commitTime time.Time

func init() {
	var vcsTime string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				vcsTime = s.Value
			}
		}
	}
	commitTime = stampedTime(buildTime, vcsTime)
	if commitTime.After(plausibleAfter) {
		plausibleAfter = commitTime
	}
}

// stampedTime returns the first of stamps that parses as an RFC 3339
// time, in UTC; zero when none does.
func stampedTime(stamps ...string) time.Time {
	for _, s := range stamps {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
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
