package devicecode

import (
	"context"
	"time"
)

// Clock is the engine's only source of time. Polling and expiry are
// scheduled with it, so tests inject a fake one and run in milliseconds.
//
// Now must carry a monotonic reading in production (time.Now does): expiry
// and the poll deadline are computed from it, and a board without an RTC may
// jump its wall clock from 1970 to today when NTP syncs.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks for d, or until ctx is done, in which case it returns
	// ctx.Err() at once.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock: time.Now and a timer.
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now(), with its monotonic reading.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
