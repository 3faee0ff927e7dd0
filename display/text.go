package display

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/display"
)

// TextOptions configures a TextScreen.
type TextOptions struct {
	// Now is the clock Show draws with. Default time.Now.
	Now func() time.Time
}

// DefaultTextOptions is what a zero TextOptions means.
var DefaultTextOptions = TextOptions{Now: time.Now}

// TextScreen shows Views on a periph display.TextDisplay: character LCDs
// (16x2, 20x4) and 4-character alphanumeric displays (cols 4, rows 1, which
// page through the text). It remembers each row and rewrites only the rows
// that changed, without Clear, so the panel does not flicker.
type TextScreen struct {
	t          display.TextDisplay
	cols, rows int
	opts       TextOptions

	mu     sync.Mutex
	view   View
	shown  time.Time
	lines  []string // what each row shows; "" = unknown
	closed bool
}

var _ Screen = (*TextScreen)(nil)
var _ Ticker = (*TextScreen)(nil)

// NewTextScreen returns a screen writing to t, using cols x rows characters
// (0 takes t.Cols() or t.Rows()). It turns the cursor off.
func NewTextScreen(t display.TextDisplay, cols, rows int, opts TextOptions) (*TextScreen, error) {
	if t == nil {
		return nil, errors.New("display: no text display given; pass the panel board opened")
	}
	if cols == 0 {
		cols = t.Cols()
	}
	if rows == 0 {
		rows = t.Rows()
	}
	if cols < 4 || rows < 1 || cols > 80 || rows > 8 {
		return nil, fmt.Errorf("display: a %dx%d character panel is not supported; use 4x1 up to 80x8", cols, rows)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := t.Cursor(display.CursorOff); err != nil && !errors.Is(err, display.ErrNotImplemented) {
		return nil, fmt.Errorf("display: turn the cursor off: %w", err)
	}
	return &TextScreen{t: t, cols: cols, rows: rows, opts: opts, lines: make([]string, rows)}, nil
}

// Interval is how often this screen wants Tick: one scroll or page step.
func (s *TextScreen) Interval() time.Duration { return textStep(s.cols, s.rows) }

// Show writes v's rows that differ from what the panel shows.
func (s *TextScreen) Show(v View) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if v != s.view || s.shown.IsZero() {
		s.shown = now
	}
	s.view = v
	return s.redraw(now)
}

// Tick rewrites the rows that changed with time: minutes left, a scrolled
// address, the page of a 4-character display.
func (s *TextScreen) Tick(now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown.IsZero() {
		return nil
	}
	return s.redraw(now)
}

// Close clears the panel.
func (s *TextScreen) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.t.Clear(); err != nil {
		return fmt.Errorf("display: clear: %w", err)
	}
	return nil
}

func (s *TextScreen) redraw(now time.Time) error {
	if s.closed {
		return errors.New("display: screen is closed")
	}
	step := int(now.Sub(s.shown) / textStep(s.cols, s.rows))
	lines := TextLines(s.view, s.cols, s.rows, now, step)
	for i, l := range lines {
		if l == s.lines[i] {
			continue
		}
		s.lines[i] = "" // unknown until the write succeeds
		if err := s.t.MoveTo(s.t.MinRow()+i, s.t.MinCol()); err != nil {
			return fmt.Errorf("display: move to row %d: %w", i, err)
		}
		if _, err := s.t.WriteString(l); err != nil {
			return fmt.Errorf("display: write row %d: %w", i, err)
		}
		s.lines[i] = l
	}
	return nil
}
