package board

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Press is one button press, reported when it is recognised: a short press
// on release, a long press as soon as the button has been held for
// ButtonConfig.LongPress (the user need not let go to see it act).
type Press struct {
	// Long is true for a long press (sign out), false for a short one (show
	// the status).
	Long bool
}

// ButtonConfig describes an optional push button on a GPIO pin.
type ButtonConfig struct {
	// Pin names the GPIO ("GPIO27"). Required by OpenButton.
	Pin string
	// LongPress is how long the button must be held for a long press.
	// Default 3 s.
	LongPress time.Duration
	// Debounce is how long a level must hold before it counts. Default 30 ms.
	Debounce time.Duration
	// ActiveHigh is for a button wired to 3.3 V with a pull-down. The
	// default (false) is the usual wiring: button to ground, internal
	// pull-up, pressed reads low.
	ActiveHigh bool
}

// DefaultLongPress and DefaultDebounce are the ButtonConfig defaults.
const (
	DefaultLongPress = 3 * time.Second
	DefaultDebounce  = 30 * time.Millisecond
)

// clock is the time source of the button logic; tests inject a fake.
type clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// buttonPoll bounds each wait for an edge so that a held button's long press
// fires on time and ctx is honoured; also the sampling period on pins
// without edge detection.
const buttonPoll = 20 * time.Millisecond

// buttonIdlePoll is the edge wait while the button is up and settled.
const buttonIdlePoll = 500 * time.Millisecond

// OpenButton resolves cfg.Pin and watches it, see WatchButton.
func OpenButton(ctx context.Context, cfg ButtonConfig) (<-chan Press, error) {
	if cfg.Pin == "" {
		return nil, errors.New("board: button pin not set; name a gpio such as GPIO27")
	}
	s := defaultSystem()
	p, err := s.openPin(cfg.Pin, "", "button")
	if err != nil {
		return nil, err
	}
	return WatchButton(ctx, p, cfg)
}

// WatchButton configures pin as an input with the pull matching the wiring
// and reports presses on the returned channel until ctx ends, when the
// channel is closed. Presses are dropped, not queued, if the receiver is
// not ready: a button is for a person, and a stale press must not sign out
// later.
func WatchButton(ctx context.Context, pin gpio.PinIn, cfg ButtonConfig) (<-chan Press, error) {
	return watchButton(ctx, pin, cfg, realClock{}, buttonPoll)
}

func watchButton(ctx context.Context, pin gpio.PinIn, cfg ButtonConfig, clk clock, poll time.Duration) (<-chan Press, error) {
	if pin == nil {
		return nil, errors.New("board: button pin is nil")
	}
	if cfg.LongPress <= 0 {
		cfg.LongPress = DefaultLongPress
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Debounce >= cfg.LongPress {
		return nil, fmt.Errorf("board: button debounce %s must be shorter than the long press %s", cfg.Debounce, cfg.LongPress)
	}
	pull, active := gpio.PullUp, gpio.Low
	if cfg.ActiveHigh {
		pull, active = gpio.PullDown, gpio.High
	}
	edges := true
	if err := pin.In(pull, gpio.BothEdges); err != nil {
		// Some pins (or kernels) have no edge detection: sample instead.
		if err2 := pin.In(pull, gpio.NoEdge); err2 != nil {
			return nil, fmt.Errorf("board: button pin %s: %v", pin, err)
		}
		edges = false
	}
	out := make(chan Press, 1)
	go func() {
		defer close(out)
		b := &debouncer{cfg: cfg}
		for {
			if edges {
				// Idle, an edge wakes the loop at once; the timeout only
				// bounds how late ctx is noticed, so it can be long. While
				// the button is down or a level is settling, sample often
				// enough to time debounce and the long press.
				wait := poll
				if poll > 0 && b.idle() {
					wait = buttonIdlePoll
				}
				pin.WaitForEdge(wait)
			} else {
				t := time.NewTimer(poll)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
			if ctx.Err() != nil {
				return
			}
			// Read before Now: the sample is at least as old as its time
			// stamp, never newer.
			pressed := pin.Read() == active
			if p, ok := b.step(clk.Now(), pressed); ok {
				select {
				case out <- p:
				default:
				}
			}
		}
	}()
	return out, nil
}

// debouncer turns raw samples into presses. A raw level counts once it
// has held for Debounce; a press is timed from the moment its level first
// appeared.
type debouncer struct {
	cfg ButtonConfig

	started  bool
	raw      bool      // last raw sample
	rawSince time.Time // when raw last changed
	pressed  bool      // debounced state
	downAt   time.Time // when the debounced press began
	longSent bool
}

// idle reports whether the button is up and its level settled.
func (b *debouncer) idle() bool {
	return b.started && !b.pressed && b.raw == b.pressed
}

func (b *debouncer) step(now time.Time, raw bool) (Press, bool) {
	if !b.started {
		// The first sample sets the baseline: a button held at start-up is
		// not a press until it is released and pressed again.
		b.started, b.raw, b.rawSince, b.pressed = true, raw, now, raw
		b.longSent = raw
		return Press{}, false
	}
	if raw != b.raw {
		b.raw, b.rawSince = raw, now
	}
	if b.raw != b.pressed && now.Sub(b.rawSince) >= b.cfg.Debounce {
		b.pressed = b.raw
		if b.pressed {
			b.downAt, b.longSent = b.rawSince, false
		} else if !b.longSent {
			b.longSent = true
			return Press{Long: b.rawSince.Sub(b.downAt) >= b.cfg.LongPress}, true
		}
	}
	if b.pressed && !b.longSent && now.Sub(b.downAt) >= b.cfg.LongPress {
		b.longSent = true
		return Press{Long: true}, true
	}
	return Press{}, false
}
