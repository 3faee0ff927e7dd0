package display

import (
	"context"
	"time"
)

// Screen shows Views. Every screen in this package implements it, and also
// Ticker.
type Screen interface {
	// Show draws v now and keeps it until the next Show.
	Show(View) error
	// Close blanks the panel where that makes sense and releases it.
	Close() error
}

// Ticker is implemented by every screen in this package. Tick redraws what
// changes with time alone: the countdown, scrolling and paging, the burn-in
// timer. A screen draws nothing when the frame did not change, so calling
// Tick often is cheap.
type Ticker interface {
	Tick(now time.Time) error
}

// TickInterval is how often a caller should call Tick: often enough for a
// smooth 32x8 scroll, and cheap for every other screen because unchanged
// frames are not sent.
const TickInterval = 50 * time.Millisecond

// Animate calls t.Tick(now()) every interval until ctx is done, and returns
// the first Tick error (a failing panel is the caller's to log and replace)
// or nil when ctx ends. now defaults to time.Now.
func Animate(ctx context.Context, t Ticker, interval time.Duration, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	if interval <= 0 {
		interval = TickInterval
	}
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
			if err := t.Tick(now()); err != nil {
				return err
			}
		}
	}
}
