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
// timer. A screen draws nothing when the frame did not change. Each screen
// also has Interval(), the Tick period it wants.
type Ticker interface {
	Tick(now time.Time) error
}

// TickInterval is the default period of Animate for a Ticker without an
// Interval method: fast enough for the 32x8 scroll.
const TickInterval = 40 * time.Millisecond

// Animate calls t.Tick(now()) every interval until ctx is done, and returns
// the first Tick error (a failing panel is the caller's to log and replace)
// or nil when ctx ends. An interval of 0 takes t's own Interval() (every
// screen here has one: 40 ms for a scrolling matrix, a second for an OLED
// or e-paper panel), else TickInterval. now defaults to time.Now.
func Animate(ctx context.Context, t Ticker, interval time.Duration, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	if interval <= 0 {
		interval = TickInterval
		if i, ok := t.(interface{ Interval() time.Duration }); ok && i.Interval() > 0 {
			interval = i.Interval()
		}
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
