package display

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// PixelOptions configures a PixelScreen. The zero value is DefaultPixelOptions
// except where a field says otherwise.
type PixelOptions struct {
	// Now is the clock Show draws with. Default time.Now.
	Now func() time.Time
	// Invert draws dark on light, for e-paper (white paper, black ink).
	// Default false: light on dark, for OLEDs and LED matrices.
	Invert bool
	// MinRefresh is the shortest time between two frames that differ only
	// because time passed (the countdown bar, scrolling, paging). A new View
	// whose frame differs is always drawn at once. Default 0: every change is
	// drawn. Use time.Minute for e-paper (a full refresh flashes the panel
	// and wears it).
	MinRefresh time.Duration
	// Rotate turns the picture clockwise by 0, 90, 180 or 270 degrees. A
	// panel whose bounds are portrait (taller than wide, like the
	// Waveshare 2.13" at 122x250) is turned by 90 degrees when Rotate is 0,
	// so the layout is always landscape.
	Rotate int
	// SleepAfter is the burn-in care: once the screen has shown SignedIn
	// for this long without a state change or Wake, the panel dims (when
	// the Drawer has SetContrast(uint8) error and Blank is false) or goes
	// dark. Any state change or Wake wakes it. Default 0: never.
	SleepAfter time.Duration
	// Blank makes sleep draw a dark frame instead of dimming.
	Blank bool
	// DimContrast is the contrast while dimmed (default 1) and
	// WakeContrast the one restored on wake (default 0xFF, the SSD1306
	// power-on value).
	DimContrast, WakeContrast uint8
	// KeepOnClose leaves the last frame on the panel at Close instead of
	// drawing a dark one: an e-paper panel keeps its picture without power
	// (the agent's last View, Stopped, is meant to stay), and a blank frame
	// would cost a full refresh. Leave it false for an OLED, which would
	// burn in.
	KeepOnClose bool
}

// DefaultPixelOptions suits an OLED: light on dark, every change drawn, no
// burn-in care.
var DefaultPixelOptions = PixelOptions{Now: time.Now, WakeContrast: 0xFF, DimContrast: 1}

// EPaperOptions suits e-paper panels (Waveshare 2.13", Inky pHAT): dark on
// light, the countdown redrawn at most once a minute, and the last picture
// kept at Close.
var EPaperOptions = PixelOptions{Now: time.Now, Invert: true, MinRefresh: time.Minute, WakeContrast: 0xFF, DimContrast: 1, KeepOnClose: true}

// contraster is the optional dimming method of some Drawers (ssd1306.Dev).
type contraster interface {
	SetContrast(level uint8) error
}

// PixelScreen shows Views on a periph display.Drawer. It keeps one 1-bit
// frame, renders into a second one, and calls Draw only when they differ.
type PixelScreen struct {
	d     display.Drawer
	opts  PixelOptions
	class Class
	rot   int

	mu       sync.Mutex
	view     View
	shown    time.Time // when the current View was shown (steps count from it)
	awake    time.Time // when the screen last woke (burn-in timer)
	sleeping bool
	drawn    bool      // cur holds what the panel shows
	lastDraw time.Time // when Draw was last called
	cur      *image1bit.VerticalLSB
	next     *image1bit.VerticalLSB
	closed   bool
}

var _ Screen = (*PixelScreen)(nil)
var _ Ticker = (*PixelScreen)(nil)

// NewPixelScreen returns a screen drawing on d. The layout follows d's
// size class (see ClassOf); a panel smaller than 32x8 is an error.
func NewPixelScreen(d display.Drawer, opts PixelOptions) (*PixelScreen, error) {
	if d == nil {
		return nil, errors.New("display: no drawer given; pass the panel board opened")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WakeContrast == 0 {
		opts.WakeContrast = 0xFF
	}
	if opts.DimContrast == 0 {
		opts.DimContrast = 1
	}
	if opts.Rotate%90 != 0 || opts.Rotate < 0 || opts.Rotate >= 360 {
		return nil, fmt.Errorf("display: rotation %d is not one of 0, 90, 180, 270", opts.Rotate)
	}
	if opts.MinRefresh < 0 || opts.SleepAfter < 0 {
		return nil, errors.New("display: MinRefresh and SleepAfter must not be negative")
	}
	b := d.Bounds()
	rot := opts.Rotate
	if rot == 0 && b.Dy() > b.Dx() {
		rot = 90
	}
	lw, lh := b.Dx(), b.Dy()
	if rot == 90 || rot == 270 {
		lw, lh = lh, lw
	}
	class := ClassOf(lw, lh)
	if class == ClassNone {
		return nil, fmt.Errorf("display: a %dx%d panel is too small; the smallest layout is 32x8", b.Dx(), b.Dy())
	}
	return &PixelScreen{
		d: d, opts: opts, class: class, rot: rot,
		cur:  image1bit.NewVerticalLSB(b),
		next: image1bit.NewVerticalLSB(b),
	}, nil
}

// Class returns the layout the screen uses.
func (s *PixelScreen) Class() Class { return s.class }

// Interval is how often this screen wants Tick: its layout's step time
// (40 ms for a 32x8 scroll, 60 ms for the 128x32 address line), else one
// second, which keeps the countdown bar and the pages on time.
func (s *PixelScreen) Interval() time.Duration {
	switch s.class {
	case ClassMatrix:
		return matrixPixelTime
	case ClassOLED32:
		return marqueePixelTime
	}
	return time.Second
}

// Show draws v at once (when its frame differs from the panel's).
func (s *PixelScreen) Show(v View) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if v.State != s.view.State || s.shown.IsZero() {
		s.awake = now
	}
	changed := v != s.view || s.shown.IsZero()
	if changed {
		s.shown = now
	}
	s.view = v
	// Only a new View skips MinRefresh: showing the same View again (the
	// agent does on every poll) must not refresh an e-paper panel.
	return s.redraw(now, changed)
}

// Tick redraws what changed with time: the countdown, scrolling, paging,
// and the burn-in sleep. With MinRefresh set, a frame that changed only
// with time waits until MinRefresh has passed since the last Draw.
func (s *PixelScreen) Tick(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown.IsZero() {
		return nil
	}
	return s.redraw(now, false)
}

// Wake ends the burn-in sleep (or postpones it) as a button press would.
func (s *PixelScreen) Wake() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.awake = now
	if s.shown.IsZero() {
		return nil
	}
	return s.redraw(now, true)
}

// Close draws a dark frame, so an OLED is not left burning the last View;
// with KeepOnClose (e-paper) it leaves the last frame.
func (s *PixelScreen) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.opts.KeepOnClose {
		return nil
	}
	clearFrame(s.next, s.opts.Invert)
	return s.d.Draw(s.d.Bounds(), s.next, s.next.Rect.Min)
}

// redraw renders the View into next and sends it when it differs from cur.
// force is set for a new View or a wake: MinRefresh does not hold it back.
func (s *PixelScreen) redraw(now time.Time, force bool) error {
	if s.closed {
		return errors.New("display: screen is closed")
	}
	sleep := s.opts.SleepAfter > 0 && s.view.State == SignedIn && now.Sub(s.awake) >= s.opts.SleepAfter
	dim := false
	if sleep != s.sleeping {
		if c, ok := s.d.(contraster); ok && !s.opts.Blank {
			level := s.opts.WakeContrast
			if sleep {
				level = s.opts.DimContrast
			}
			if err := c.SetContrast(level); err != nil {
				return fmt.Errorf("display: set contrast: %w", err)
			}
		}
		s.sleeping = sleep
		force = true
	}
	if s.drawn && !force && s.opts.MinRefresh > 0 && now.Sub(s.lastDraw) < s.opts.MinRefresh {
		return nil // nothing could be sent: spare the render (e-paper ticks)
	}
	if sleep {
		_, canDim := s.d.(contraster)
		dim = canDim && !s.opts.Blank
	}
	if sleep && !dim {
		clearFrame(s.next, s.opts.Invert)
	} else {
		step := stepAt(s.class, now.Sub(s.shown))
		DrawView(s.next, s.view, now, step, DrawOptions{Invert: s.opts.Invert, Rotate: s.rot})
	}
	if s.drawn && equalBits(s.cur, s.next) {
		return nil
	}
	if s.drawn && !force && s.opts.MinRefresh > 0 && now.Sub(s.lastDraw) < s.opts.MinRefresh {
		return nil
	}
	if err := s.d.Draw(s.d.Bounds(), s.next, s.next.Rect.Min); err != nil {
		s.drawn = false // the panel's content is unknown now: send the next frame
		return fmt.Errorf("display: draw: %w", err)
	}
	s.cur, s.next = s.next, s.cur
	s.drawn = true
	s.lastDraw = now
	return nil
}

func equalBits(a, b *image1bit.VerticalLSB) bool {
	if len(a.Pix) != len(b.Pix) {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return true
}
