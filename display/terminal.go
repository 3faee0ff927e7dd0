package display

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
)

// TerminalOptions configures a Terminal.
type TerminalOptions struct {
	// Now is the clock Show draws with. Default time.Now.
	Now func() time.Time
	// TTY says the writer is a terminal: the view is redrawn in place with
	// ANSI escape codes, the countdown ticks, and the QR code gets explicit
	// colours as `qrencode -t ANSIUTF8` does. When false (a pipe, a log
	// file, journald) no escape code is ever written: each new view is
	// appended once as plain UTF-8 with the minutes left at that moment.
	TTY bool
	// NoQR leaves out the QR code.
	NoQR bool
}

// Terminal shows Views as text on a writer, the default display. It writes
// only when the text changes.
type Terminal struct {
	w    io.Writer
	opts TerminalOptions

	mu     sync.Mutex
	view   View
	shown  bool
	last   string // the text on screen
	closed bool
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

// Interval is how often the terminal wants Tick: once a second is plenty
// for a countdown in minutes.
func (t *Terminal) Interval() time.Duration { return time.Second }

// Show writes v when its text differs from what is shown.
func (t *Terminal) Show(v View) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown && v == t.view && !t.opts.TTY {
		return nil
	}
	t.view, t.shown = v, true
	return t.redraw(t.opts.Now())
}

// Tick rewrites the view when its countdown changed, on a TTY only: a log
// gets one copy of each view, not one a minute.
func (t *Terminal) Tick(now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.shown || !t.opts.TTY {
		return nil
	}
	return t.redraw(now)
}

// Close ends the terminal's use; it writes nothing, so the last view stays
// readable.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}

func (t *Terminal) redraw(now time.Time) error {
	if t.closed {
		return fmt.Errorf("display: terminal is closed")
	}
	text := TerminalText(t.view, now, t.opts)
	if text == t.last {
		return nil
	}
	var b strings.Builder
	if t.opts.TTY && t.last != "" {
		// Back to the first line of the previous view, then clear to the
		// end of the screen: one write, no blank frame in between.
		fmt.Fprintf(&b, "\x1b[%dF\x1b[J", strings.Count(t.last, "\n"))
	}
	b.WriteString(text)
	t.last = "" // unknown until the write succeeds
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return fmt.Errorf("display: write to terminal: %w", err)
	}
	t.last = text
	return nil
}

// TerminalText is the pure terminal layout: v at time now as lines of
// UTF-8, each ending in a newline. With o.TTY the QR code carries ANSI
// colours and the countdown is a bar; without, there is no escape code.
func TerminalText(v View, now time.Time, o TerminalOptions) string {
	var b strings.Builder
	b.WriteString("\n")
	if v.State != AwaitingUser {
		title, sentences := message(v)
		if v.State == SignedIn {
			title = "Signed in as"
			sentences[1] = string(appendTokenLeft(nil, v, now))
		}
		fmt.Fprintf(&b, "  %s\n", title)
		for _, s := range sentences {
			if strings.TrimSpace(s) != "" {
				fmt.Fprintf(&b, "  %s\n", oneLine(s))
			}
		}
		b.WriteString("\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  To sign in, open %s\n  and enter the code:\n\n", oneLine(v.VerificationURI))
	code := string(appendASCII(nil, v.UserCode))
	blockLetters(&b, code)
	fmt.Fprintf(&b, "\n  %s\n", code)
	if !v.ExpiresAt.IsZero() {
		if o.TTY {
			fmt.Fprintf(&b, "  %s %s\n", textBar(v, now, 30), appendLeft(nil, v, now))
		} else {
			fmt.Fprintf(&b, "  %s\n", appendLeft(nil, v, now))
		}
	}
	if target := qrTarget(v); !o.NoQR && target != "" {
		if c := qrCode(target); c != nil {
			b.WriteString("\n")
			if v.VerificationURIComplete != "" {
				b.WriteString("  Or scan this code (it includes the code):\n")
			} else {
				b.WriteString("  Or scan this code:\n")
			}
			qrHalfBlocks(&b, c.Size, c.Black, o.TTY)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// oneLine sanitises s for a terminal: control characters (escape codes
// included) become '?', so a View cannot move the cursor; so do Unicode
// format characters (bidi overrides and isolates, zero-width ones) and
// the line and paragraph separators, so a View cannot reorder or hide
// part of the address a person is asked to open.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
}

// textBar is the countdown as n cells of full and light shade blocks.
func textBar(v View, now time.Time, n int) string {
	total := v.ExpiresAt.Sub(v.Issued)
	if v.Issued.IsZero() || total <= 0 {
		total = 15 * time.Minute
	}
	full := fillOf(n, min(remaining(v, now), total), total)
	return strings.Repeat("█", full) + strings.Repeat("░", n-full)
}

// halfBlock returns the character for a pair of vertically stacked cells.
func halfBlock(top, bottom bool) string {
	switch {
	case top && bottom:
		return "█"
	case top:
		return "▀"
	case bottom:
		return "▄"
	}
	return " "
}

// blockLetters writes s in the 8x8 matrix font, two pixel rows per line
// with half blocks, at most 9 characters (72 columns) per band. A line is
// built in a buffer on the stack: a TTY redraws the view every tick, and
// concatenating the line cell by cell made 23 KB of garbage each time.
func blockLetters(b *strings.Builder, s string) {
	const perBand = 9
	var buf [perBand * 8 * len("█")]byte
	for len(s) > 0 {
		part := s[:min(len(s), perBand)]
		s = s[len(part):]
		for row := 0; row < 8; row += 2 {
			line := buf[:0]
			for i := 0; i < len(part); i++ {
				g := &matrixGlyphs[part[i]-0x20]
				for col := 0; col < 8; col++ {
					m := byte(0x80 >> col)
					line = append(line, halfBlock(g[row]&m != 0, g[row+1]&m != 0)...)
				}
			}
			b.WriteString("  ")
			b.Write(bytes.TrimRight(line, " "))
			b.WriteString("\n")
		}
	}
}

// qrHalfBlocks draws a QR code as `qrencode -t UTF8` does: two modules per
// character, light modules as the (light) foreground, a 2-module quiet
// zone. On a TTY each line is wrapped in white-on-black colours (as
// ANSIUTF8 does), so it scans on light terminal themes too.
func qrHalfBlocks(b *strings.Builder, size int, black func(x, y int) bool, tty bool) {
	const quiet = 2
	light := func(x, y int) bool {
		return !black(x-quiet, y-quiet) // outside the symbol is light
	}
	n := size + 2*quiet
	for y := 0; y < n; y += 2 {
		b.WriteString("  ")
		if tty {
			b.WriteString("\x1b[40;97m")
		}
		for x := 0; x < n; x++ {
			b.WriteString(halfBlock(light(x, y), y+1 < n && light(x, y+1)))
		}
		if tty {
			b.WriteString("\x1b[0m")
		}
		b.WriteString("\n")
	}
}
