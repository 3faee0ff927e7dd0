package board

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Matrix drives a chain of MAX7219 8x8 LED matrices (the common "FC-16"
// 4-in-1 module) as one display.Drawer of 8*Cascade x 8 pixels.
//
// periph's max7219 package is not used: its constructor logs and drops
// initialisation errors, and its ScrollChars sleeps for the whole scroll and
// ignores every write error, so a scrolling text could neither be stopped
// nor reported as failed. Matrix talks to the SPI connection directly; the
// caller scrolls by drawing shifted frames at its own pace, and only rows
// that changed are sent.
//
// Layout (FC-16): the module wired to the Pi is the rightmost one; digit
// register r+1 holds row r; bit 7 is the leftmost LED of a module. Set
// Rotate180 for modules mounted the other way up.
type Matrix struct {
	mu     sync.Mutex
	c      spi.Conn
	n      int // modules
	rot    bool
	rect   image.Rectangle
	img    *image1bit.VerticalLSB
	shown  [8][]byte // per row, per module, as sent
	next   [8][]byte
	valid  bool
	txBuf  []byte
	halted bool
}

// MatrixOpts configures NewMatrix.
type MatrixOpts struct {
	// Cascade is the number of chained 8x8 modules. Default 4 (32x8).
	Cascade int
	// Rotate180 turns the picture upside down.
	Rotate180 bool
	// Intensity is the LED brightness, 0 to 15. Default 0 (dimmest), which
	// is bright enough indoors and draws least current from the 5 V rail.
	Intensity byte
}

// MAX7219 registers.
const (
	maxNoop        = 0x00
	maxDecodeMode  = 0x09
	maxIntensity   = 0x0A
	maxScanLimit   = 0x0B
	maxShutdown    = 0x0C
	maxDisplayTest = 0x0F
)

// NewMatrix connects to the chain on port and initialises every module
// (display test off, no decode, scan all 8 rows, blank, on).
func NewMatrix(port spi.Port, opts *MatrixOpts) (*Matrix, error) {
	if opts == nil {
		opts = &MatrixOpts{}
	}
	n := opts.Cascade
	if n == 0 {
		n = 4
	}
	if n < 1 || n > 16 {
		return nil, fmt.Errorf("board: max7219: cascade of %d modules not supported; use 1 to 16", n)
	}
	if opts.Intensity > 15 {
		return nil, fmt.Errorf("board: max7219: intensity %d out of range 0-15", opts.Intensity)
	}
	c, err := port.Connect(10*physic.MegaHertz, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("board: max7219: %v", err)
	}
	rect := image.Rect(0, 0, 8*n, 8)
	m := &Matrix{c: c, n: n, rot: opts.Rotate180, rect: rect, img: image1bit.NewVerticalLSB(rect)}
	for r := range m.next {
		m.shown[r] = make([]byte, n)
		m.next[r] = make([]byte, n)
	}
	for _, cmd := range [][2]byte{
		{maxDisplayTest, 0},
		{maxShutdown, 0},
		{maxDecodeMode, 0},
		{maxScanLimit, 7},
		{maxIntensity, opts.Intensity},
	} {
		if err := m.all(cmd[0], cmd[1]); err != nil {
			return nil, fmt.Errorf("board: max7219: init: %v", err)
		}
	}
	if err := m.flush(); err != nil {
		return nil, err
	}
	if err := m.all(maxShutdown, 1); err != nil {
		return nil, fmt.Errorf("board: max7219: init: %v", err)
	}
	return m, nil
}

// all writes the same register value to every module in one transaction.
func (m *Matrix) all(reg, v byte) error {
	w := m.txBuf[:0]
	for range m.n {
		w = append(w, reg, v)
	}
	m.txBuf = w
	return m.c.Tx(w, nil)
}

// String implements conn.Resource.
func (m *Matrix) String() string { return fmt.Sprintf("max7219{%s, %dx8}", m.c, 8*m.n) }

// ColorModel implements display.Drawer: one bit per LED.
func (m *Matrix) ColorModel() color.Model { return image1bit.BitModel }

// Bounds implements display.Drawer.
func (m *Matrix) Bounds() image.Rectangle { return m.rect }

// Draw implements display.Drawer. Pixels converted to image1bit.On light.
func (m *Matrix) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.halted {
		if err := m.all(maxShutdown, 1); err != nil {
			return fmt.Errorf("board: max7219: %v", err)
		}
		m.halted = false
	}
	draw.Src.Draw(m.img, r, src, sp)
	w := m.rect.Dx()
	for y := range 8 {
		for mod := range m.n {
			var b byte
			for bit := range 8 {
				x := mod*8 + bit
				yy := y
				if m.rot {
					x, yy = w-1-x, 7-y
				}
				if m.img.BitAt(x, yy) {
					b |= 0x80 >> bit
				}
			}
			m.next[y][mod] = b
		}
	}
	return m.flush()
}

// flush sends the rows that changed since the last successful send; each
// row is one transaction carrying one register write per module. The first
// bytes clocked in end in the module farthest from the Pi, the leftmost.
func (m *Matrix) flush() error {
	for y := range 8 {
		if m.valid && string(m.shown[y]) == string(m.next[y]) {
			continue
		}
		w := m.txBuf[:0]
		for mod := range m.n {
			w = append(w, byte(y+1), m.next[y][mod])
		}
		m.txBuf = w
		if err := m.c.Tx(w, nil); err != nil {
			m.valid = false
			return fmt.Errorf("board: max7219: %v", err)
		}
		copy(m.shown[y], m.next[y])
	}
	m.valid = true
	return nil
}

// SetIntensity sets the brightness, 0 to 15.
func (m *Matrix) SetIntensity(v byte) error {
	if v > 15 {
		return fmt.Errorf("board: max7219: intensity %d out of range 0-15", v)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.all(maxIntensity, v)
}

// Halt implements conn.Resource: blanks the matrix and puts the chips in
// shutdown mode.
func (m *Matrix) Halt() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for y := range m.next {
		clear(m.next[y])
	}
	err := m.flush()
	m.halted = true
	return errors.Join(err, m.all(maxShutdown, 0))
}

var (
	_ display.Drawer = (*Matrix)(nil)
	_ conn.Resource  = (*Matrix)(nil)
	_                = maxNoop
)
