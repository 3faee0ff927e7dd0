package board

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	"periph.io/x/conn/v3/display"
)

// DefaultMaxFailures is the number of consecutive failed operations after
// which a Guard declares its panel dead.
const DefaultMaxFailures = 3

// health counts consecutive failures; any success resets the count.
type health struct {
	mu    sync.Mutex
	max   int
	fails int
	last  error
}

func (h *health) record(err error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fails >= h.max {
		return fmt.Errorf("%w after %d failures: %v", ErrPanelDead, h.fails, h.last)
	}
	if err == nil {
		h.fails = 0
		return nil
	}
	h.fails++
	h.last = err
	if h.fails >= h.max {
		return fmt.Errorf("%w after %d failures: %v", ErrPanelDead, h.fails, err)
	}
	return err
}

func (h *health) dead() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fails >= h.max {
		return fmt.Errorf("%w after %d failures: %v", ErrPanelDead, h.fails, h.last)
	}
	return nil
}

// GuardedDrawer is a display.Drawer that counts consecutive Draw failures.
// Each failure is returned as is until the max-th in a row, which (and
// every later call, without touching the panel) returns an error wrapping
// ErrPanelDead: the agent logs it and goes on with the terminal.
type GuardedDrawer struct {
	display.Drawer
	h health
}

// GuardDrawer wraps d. max <= 0 means DefaultMaxFailures.
func GuardDrawer(d display.Drawer, max int) *GuardedDrawer {
	if max <= 0 {
		max = DefaultMaxFailures
	}
	return &GuardedDrawer{Drawer: d, h: health{max: max}}
}

// Draw implements display.Drawer.
func (g *GuardedDrawer) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	if err := g.h.dead(); err != nil {
		return err
	}
	return g.h.record(g.Drawer.Draw(r, src, sp))
}

// Dead returns nil while the panel works, else an error wrapping
// ErrPanelDead.
func (g *GuardedDrawer) Dead() error { return g.h.dead() }

// ColorModel implements display.Drawer.
func (g *GuardedDrawer) ColorModel() color.Model { return g.Drawer.ColorModel() }

// GuardedText is GuardedDrawer for a display.TextDisplay: every call that
// talks to the panel counts.
type GuardedText struct {
	display.TextDisplay
	h health
}

// GuardText wraps t. max <= 0 means DefaultMaxFailures.
func GuardText(t display.TextDisplay, max int) *GuardedText {
	if max <= 0 {
		max = DefaultMaxFailures
	}
	return &GuardedText{TextDisplay: t, h: health{max: max}}
}

// Dead returns nil while the panel works, else an error wrapping
// ErrPanelDead.
func (g *GuardedText) Dead() error { return g.h.dead() }

func (g *GuardedText) do(f func() error) error {
	if err := g.h.dead(); err != nil {
		return err
	}
	return g.h.record(f())
}

// Clear implements display.TextDisplay.
func (g *GuardedText) Clear() error { return g.do(g.TextDisplay.Clear) }

// Home implements display.TextDisplay.
func (g *GuardedText) Home() error { return g.do(g.TextDisplay.Home) }

// MoveTo implements display.TextDisplay.
func (g *GuardedText) MoveTo(row, col int) error {
	return g.do(func() error { return g.TextDisplay.MoveTo(row, col) })
}

// Display implements display.TextDisplay.
func (g *GuardedText) Display(on bool) error {
	return g.do(func() error { return g.TextDisplay.Display(on) })
}

// Write implements display.TextDisplay.
func (g *GuardedText) Write(p []byte) (int, error) {
	var n int
	err := g.do(func() error {
		var err error
		n, err = g.TextDisplay.Write(p)
		return err
	})
	return n, err
}

// WriteString implements display.TextDisplay.
func (g *GuardedText) WriteString(s string) (int, error) {
	var n int
	err := g.do(func() error {
		var err error
		n, err = g.TextDisplay.WriteString(s)
		return err
	})
	return n, err
}

var (
	_ display.Drawer      = (*GuardedDrawer)(nil)
	_ display.TextDisplay = (*GuardedText)(nil)
)
