package board

import (
	"fmt"

	"periph.io/x/conn/v3/display"
)

// ZeroBased presents a periph display.TextDisplay with rows and columns
// counted from 0, whatever the driver uses: aip31068 and matrixorbital count
// from 1, serlcd and this package's drivers from 0. Open wraps every text
// panel so that package display can address all of them the same way.
//
// It can also replace bytes the panel would take for commands (SerLCD
// treats '|' and 0xFE in the text stream as command prefixes).
type ZeroBased struct {
	display.TextDisplay
	row0, col0 int
	reserved   map[byte]byte
	buf        []byte
}

// NewZeroBased wraps t. reserved maps bytes that must not reach the panel
// as text to their replacement; it may be nil.
func NewZeroBased(t display.TextDisplay, reserved map[byte]byte) *ZeroBased {
	return &ZeroBased{TextDisplay: t, row0: t.MinRow(), col0: t.MinCol(), reserved: reserved}
}

// MinRow implements display.TextDisplay: always 0.
func (z *ZeroBased) MinRow() int { return 0 }

// MinCol implements display.TextDisplay: always 0.
func (z *ZeroBased) MinCol() int { return 0 }

// MoveTo implements display.TextDisplay with 0-based row and col.
func (z *ZeroBased) MoveTo(row, col int) error {
	if row < 0 || row >= z.Rows() || col < 0 || col >= z.Cols() {
		return fmt.Errorf("board: position %d,%d outside the %dx%d panel", row, col, z.Cols(), z.Rows())
	}
	return z.TextDisplay.MoveTo(row+z.row0, col+z.col0)
}

// Write implements display.TextDisplay, replacing reserved bytes.
func (z *ZeroBased) Write(p []byte) (int, error) {
	if len(z.reserved) == 0 {
		return z.TextDisplay.Write(p)
	}
	z.buf = append(z.buf[:0], p...)
	for i, b := range z.buf {
		if r, ok := z.reserved[b]; ok {
			z.buf[i] = r
		}
	}
	return z.TextDisplay.Write(z.buf)
}

// WriteString implements display.TextDisplay.
func (z *ZeroBased) WriteString(s string) (int, error) { return z.Write([]byte(s)) }

// Backlight implements display.DisplayBacklight when the panel does.
func (z *ZeroBased) Backlight(i display.Intensity) error {
	if bl, ok := z.TextDisplay.(display.DisplayBacklight); ok {
		return bl.Backlight(i)
	}
	return display.ErrNotImplemented
}

// Unwrap returns the driver, for its extra features (contrast, RGB
// backlight).
func (z *ZeroBased) Unwrap() display.TextDisplay { return z.TextDisplay }

// serlcdReserved are the SerLCD's command prefixes ('|' settings, 0xFE
// HD44780 commands).
var serlcdReserved = map[byte]byte{'|': '!', 0xFE: ' '}

var (
	_ display.TextDisplay      = (*ZeroBased)(nil)
	_ display.DisplayBacklight = (*ZeroBased)(nil)
)
