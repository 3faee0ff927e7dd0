package board

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/devices/v3/ht16k33"
)

// Alnum presents a 4-character 14-segment HT16K33 backpack (Adafruit 0.54"
// quad alphanumeric) as a 4x1 display.TextDisplay.
//
// It uses periph's ht16k33 driver for initialisation and its segment font
// (Display.SetDigit) but not Display.WriteString, which blanks all four
// digits before every write (visible flicker, four extra transactions),
// indexes the input string with the digit position when it meets a '.' (so
// "1.5" shows ". 5" and a leading '.' panics), and writes past the fourth
// digit into unrelated RAM. Alnum keeps the shown characters and sends only
// the digits that changed.
type Alnum struct {
	mu    sync.Mutex
	dev   *ht16k33.Display
	ctl   i2c.Dev
	shown [alnumCols]alnumCell
	next  [alnumCols]alnumCell
	valid bool // shown reflects the panel
	col   int
	on    bool
}

const alnumCols = 4

type alnumCell struct {
	r   rune
	dot bool
}

// NewAlnum initialises the HT16K33 at addr (0x70 to 0x77) and blanks it.
func NewAlnum(bus i2c.Bus, addr uint16) (*Alnum, error) {
	dev, err := ht16k33.NewAlphaNumericDisplay(bus, addr)
	if err != nil {
		return nil, fmt.Errorf("board: ht16k33: %v", err)
	}
	a := &Alnum{dev: dev, ctl: i2c.Dev{Bus: bus, Addr: addr}, on: true}
	if err := a.Clear(); err != nil {
		return nil, err
	}
	return a, nil
}

// AutoScroll implements display.TextDisplay; not supported.
func (a *Alnum) AutoScroll(bool) error { return display.ErrNotImplemented }

// Cols implements display.TextDisplay.
func (a *Alnum) Cols() int { return alnumCols }

// Rows implements display.TextDisplay.
func (a *Alnum) Rows() int { return 1 }

// MinCol implements display.TextDisplay. Columns count from 0.
func (a *Alnum) MinCol() int { return 0 }

// MinRow implements display.TextDisplay.
func (a *Alnum) MinRow() int { return 0 }

// Clear implements display.TextDisplay.
func (a *Alnum) Clear() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = [alnumCols]alnumCell{}
	a.col = 0
	return a.flush()
}

// Cursor implements display.TextDisplay; the panel has no cursor, so only
// CursorOff is accepted.
func (a *Alnum) Cursor(modes ...display.CursorMode) error {
	for _, m := range modes {
		if m != display.CursorOff {
			return display.ErrNotImplemented
		}
	}
	return nil
}

// Home implements display.TextDisplay.
func (a *Alnum) Home() error { return a.MoveTo(0, 0) }

// Move implements display.TextDisplay.
func (a *Alnum) Move(dir display.CursorDirection) error {
	a.mu.Lock()
	c := a.col
	a.mu.Unlock()
	switch dir {
	case display.Backward:
		c--
	case display.Forward:
		c++
	default:
		return display.ErrNotImplemented
	}
	return a.MoveTo(0, c)
}

// MoveTo implements display.TextDisplay.
func (a *Alnum) MoveTo(row, col int) error {
	if row != 0 || col < 0 || col >= alnumCols {
		return fmt.Errorf("board: ht16k33: position %d,%d outside the 4x1 panel", row, col)
	}
	a.mu.Lock()
	a.col = col
	a.mu.Unlock()
	return nil
}

// Display implements display.TextDisplay.
func (a *Alnum) Display(on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Display setup register: 0x80, bit 0 turns the display on.
	c := byte(0x80)
	if on {
		c |= 0x01
	}
	if _, err := a.ctl.Write([]byte{c}); err != nil {
		return fmt.Errorf("board: ht16k33: %v", err)
	}
	a.on = on
	return nil
}

// String implements display.TextDisplay.
func (a *Alnum) String() string { return fmt.Sprintf("ht16k33-alnum{%s}", &a.ctl) }

// Halt implements conn.Resource: blanks the digits.
func (a *Alnum) Halt() error { return a.Clear() }

// Write implements display.TextDisplay. A '.' lights the decimal point of
// the character before it (or stands alone after a dot or at column 0).
// Writing past the fourth character continues at the first.
func (a *Alnum) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range p {
		r := rune(c)
		if r == '.' && a.col > 0 && !a.next[a.col-1].dot && a.next[a.col-1].r != 0 {
			a.next[a.col-1].dot = true
			continue
		}
		if r == '.' {
			a.next[a.col] = alnumCell{r: ' ', dot: true}
		} else {
			a.next[a.col] = alnumCell{r: r}
		}
		a.col = (a.col + 1) % alnumCols
	}
	if err := a.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString implements display.TextDisplay.
func (a *Alnum) WriteString(s string) (int, error) { return a.Write([]byte(s)) }

// flush sends the digits whose content changed.
func (a *Alnum) flush() error {
	var errs []error
	for i, c := range a.next {
		if a.valid && a.shown[i] == c {
			continue
		}
		r := c.r
		if r == 0 {
			r = ' '
		}
		if err := a.dev.SetDigit(i, r, c.dot); err != nil {
			errs = append(errs, err)
			continue
		}
		a.shown[i] = c
	}
	if len(errs) > 0 {
		a.valid = false
		return fmt.Errorf("board: ht16k33: %v", errs[0])
	}
	a.valid = true
	return nil
}

var (
	_ display.TextDisplay = (*Alnum)(nil)
	_ conn.Resource       = (*Alnum)(nil)
	_                     = errors.New
)
