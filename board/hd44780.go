package board

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
)

// HD44780 drives an HD44780 character LCD through a PCF8574 I2C backpack
// (the common "LCM1602"/"YwRobot" board) in 4-bit mode.
//
// periph's hd44780 package is not used: it drives the controller through
// GPIO pins only, it does not implement display.TextDisplay, its init never
// sends a 4-bit function set with the two-line bit (it sends 0x14, a cursor
// shift, where 0x28 belongs), and SetCursor computes the address as
// line*0x40+column in a byte, so on a 20x4 panel line 2 lands on 0x80 (row
// 0) and line 3 on 0xC0 (row 1). The DDRAM offsets of the four rows are
// 0x00, 0x40, 0x14 and 0x54 (0x00, 0x40, 0x10, 0x50 on 16x4): this driver
// uses them.
type HD44780 struct {
	mu   sync.Mutex
	d    conn.Conn
	cols int
	rows int

	backlight byte // blBit or 0
	on        bool
	cursor    byte // display control cursor/blink bits
	row, col  int
	buf       []byte
	sleep     func(time.Duration)
}

// HD44780Opts configures NewHD44780PCF8574.
type HD44780Opts struct {
	// Cols and Rows of the panel: 16x2 (default), 20x2, 16x4 or 20x4.
	Cols, Rows int
	// BacklightOff starts with the backlight off.
	BacklightOff bool
}

// DefaultHD44780Opts is a 16x2 panel with the backlight on.
var DefaultHD44780Opts = HD44780Opts{Cols: 16, Rows: 2}

// PCF8574 backpack wiring: P0 RS, P1 RW, P2 EN, P3 backlight, P4-P7 D4-D7.
const (
	pcfRS = 0x01
	pcfEN = 0x04
	pcfBL = 0x08
)

// HD44780 instructions.
const (
	lcdClear        = 0x01
	lcdHome         = 0x02
	lcdEntryMode    = 0x04 // | 0x02 increment | 0x01 shift
	lcdDisplayCtl   = 0x08 // | 0x04 display on | 0x02 cursor | 0x01 blink
	lcdShift        = 0x10 // | 0x04 right
	lcdFunctionSet  = 0x20 // | 0x08 two lines
	lcdSetDDRAMAddr = 0x80
)

// NewHD44780PCF8574 initialises the LCD at addr (0x27 or 0x3F usually) and
// clears it.
func NewHD44780PCF8574(bus i2c.Bus, addr uint16, opts *HD44780Opts) (*HD44780, error) {
	return newHD44780(&i2c.Dev{Bus: bus, Addr: addr}, opts, time.Sleep)
}

func newHD44780(c conn.Conn, opts *HD44780Opts, sleep func(time.Duration)) (*HD44780, error) {
	if opts == nil {
		o := DefaultHD44780Opts
		opts = &o
	}
	cols, rows := opts.Cols, opts.Rows
	if cols == 0 {
		cols = 16
	}
	if rows == 0 {
		rows = 2
	}
	if (cols != 16 && cols != 20 && cols != 8 && cols != 40) || rows < 1 || rows > 4 || (cols == 40 && rows > 2) {
		return nil, fmt.Errorf("board: hd44780 size %dx%d not supported; use 16x2, 20x2, 16x4 or 20x4", cols, rows)
	}
	d := &HD44780{d: c, cols: cols, rows: rows, on: true, sleep: sleep}
	if !opts.BacklightOff {
		d.backlight = pcfBL
	}
	if err := d.init(); err != nil {
		return nil, fmt.Errorf("board: hd44780: %v", err)
	}
	return d, nil
}

// init follows the datasheet's "initializing by instruction" for 4-bit
// mode (figure 24): three 0x3 nibbles, one 0x2, then the real function set.
func (d *HD44780) init() error {
	d.sleep(50 * time.Millisecond) // > 40 ms after Vcc rises
	for i, wait := range []time.Duration{4500 * time.Microsecond, 150 * time.Microsecond, 150 * time.Microsecond} {
		_ = i
		if err := d.d.Tx(d.nibble(0x30, 0), nil); err != nil {
			return err
		}
		d.sleep(wait)
	}
	if err := d.d.Tx(d.nibble(0x20, 0), nil); err != nil {
		return err
	}
	fs := byte(lcdFunctionSet)
	if d.rows > 1 {
		fs |= 0x08
	}
	for _, c := range []byte{fs, lcdDisplayCtl, lcdEntryMode | 0x02} {
		if err := d.command(c); err != nil {
			return err
		}
	}
	if err := d.clear(); err != nil {
		return err
	}
	return d.displayCtl()
}

// nibble appends the two bytes that latch the high nibble of v: EN high,
// then EN low (the controller latches on the falling edge). At 100 kHz
// each byte lasts 90 µs, far above the 450 ns enable pulse and the 37 µs
// most instructions take, so no extra delays are needed between bytes.
func (d *HD44780) nibble(v, rs byte) []byte {
	b := v&0xF0 | d.backlight | rs
	return []byte{b | pcfEN, b}
}

func (d *HD44780) appendByte(buf []byte, v, rs byte) []byte {
	buf = append(buf, d.nibble(v, rs)...)
	return append(buf, d.nibble(v<<4, rs)...)
}

func (d *HD44780) command(c byte) error {
	return d.d.Tx(d.appendByte(nil, c, 0), nil)
}

func (d *HD44780) clear() error {
	if err := d.command(lcdClear); err != nil {
		return err
	}
	d.sleep(2 * time.Millisecond) // clear takes 1.52 ms
	d.row, d.col = 0, 0
	return nil
}

func (d *HD44780) displayCtl() error {
	c := byte(lcdDisplayCtl) | d.cursor
	if d.on {
		c |= 0x04
	}
	return d.command(c)
}

// rowOffset is the DDRAM address of the first cell of row. A 20x4 panel is
// a 40x2 controller folded in two: rows 2 and 3 continue rows 0 and 1 at
// column 20 (0x14 and 0x54).
func (d *HD44780) rowOffset(row int) byte {
	offs := [4]byte{0x00, 0x40, byte(d.cols), 0x40 + byte(d.cols)}
	return offs[row]
}

func (d *HD44780) setAddr(row, col int) []byte {
	return d.appendByte(nil, lcdSetDDRAMAddr|(d.rowOffset(row)+byte(col)), 0)
}

// AutoScroll implements display.TextDisplay: the display shifts with each
// character written.
func (d *HD44780) AutoScroll(enabled bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := byte(lcdEntryMode | 0x02)
	if enabled {
		c |= 0x01
	}
	return d.wrap(d.command(c))
}

// Cols implements display.TextDisplay.
func (d *HD44780) Cols() int { return d.cols }

// Rows implements display.TextDisplay.
func (d *HD44780) Rows() int { return d.rows }

// MinCol implements display.TextDisplay. Columns count from 0.
func (d *HD44780) MinCol() int { return 0 }

// MinRow implements display.TextDisplay. Rows count from 0.
func (d *HD44780) MinRow() int { return 0 }

// Clear implements display.TextDisplay.
func (d *HD44780) Clear() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wrap(d.clear())
}

// Cursor implements display.TextDisplay.
func (d *HD44780) Cursor(modes ...display.CursorMode) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var c byte
	for _, m := range modes {
		switch m {
		case display.CursorOff:
			c = 0
		case display.CursorUnderline:
			c |= 0x02
		case display.CursorBlock, display.CursorBlink:
			c |= 0x01
		default:
			return fmt.Errorf("board: hd44780: invalid cursor mode %d", m)
		}
	}
	d.cursor = c
	return d.wrap(d.displayCtl())
}

// Home implements display.TextDisplay.
func (d *HD44780) Home() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.command(lcdHome); err != nil {
		return d.wrap(err)
	}
	d.sleep(2 * time.Millisecond)
	d.row, d.col = 0, 0
	return nil
}

// Move implements display.TextDisplay.
func (d *HD44780) Move(dir display.CursorDirection) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, c := d.row, d.col
	switch dir {
	case display.Backward:
		c--
	case display.Forward:
		c++
	case display.Up:
		r--
	case display.Down:
		r++
	default:
		return fmt.Errorf("board: hd44780: invalid direction %d", dir)
	}
	if r < 0 || r >= d.rows || c < 0 || c >= d.cols {
		return fmt.Errorf("board: hd44780: cursor would leave the %dx%d panel", d.cols, d.rows)
	}
	return d.moveTo(r, c)
}

// MoveTo implements display.TextDisplay. row and col count from 0.
func (d *HD44780) MoveTo(row, col int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if row < 0 || row >= d.rows || col < 0 || col >= d.cols {
		return fmt.Errorf("board: hd44780: position %d,%d outside the %dx%d panel", row, col, d.cols, d.rows)
	}
	return d.moveTo(row, col)
}

func (d *HD44780) moveTo(row, col int) error {
	if err := d.d.Tx(d.setAddr(row, col), nil); err != nil {
		return d.wrap(err)
	}
	d.row, d.col = row, col
	return nil
}

// Display implements display.TextDisplay.
func (d *HD44780) Display(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.on = on
	return d.wrap(d.displayCtl())
}

// Backlight implements display.DisplayBacklight: 0 is off, anything else on
// (the backpack switches the backlight with a transistor).
func (d *HD44780) Backlight(i display.Intensity) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.backlight = 0
	if i > 0 {
		d.backlight = pcfBL
	}
	// Any write updates P3; a bare byte with EN low latches nothing.
	return d.wrap(d.d.Tx([]byte{d.backlight}, nil))
}

// String implements display.TextDisplay.
func (d *HD44780) String() string {
	return fmt.Sprintf("hd44780-pcf8574{%s, %dx%d}", d.d, d.cols, d.rows)
}

// Halt implements conn.Resource: clears the panel and turns the backlight
// off.
func (d *HD44780) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.clear()
	d.backlight = 0
	return d.wrap(errors.Join(err, d.d.Tx([]byte{0}, nil)))
}

// Write implements display.TextDisplay. Bytes are character codes of the
// controller's ROM (ASCII for 0x20-0x7D on the common A00 ROM). At the end
// of a row the text continues at the start of the next row, and after the
// last row at the top, the same on every panel size; the controller's own
// wrap would skip from row 0 to row 2 on a 20x4 panel. One I2C transaction
// carries a whole row.
func (d *HD44780) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for n < len(p) {
		chunk := min(len(p)-n, d.cols-d.col)
		buf := d.buf[:0]
		for _, c := range p[n : n+chunk] {
			buf = d.appendByte(buf, c, pcfRS)
		}
		d.buf = buf
		if err := d.d.Tx(buf, nil); err != nil {
			return n, d.wrap(err)
		}
		n += chunk
		d.col += chunk
		if d.col >= d.cols {
			if err := d.moveTo((d.row+1)%d.rows, 0); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// WriteString implements display.TextDisplay.
func (d *HD44780) WriteString(s string) (int, error) {
	return d.Write([]byte(s))
}

func (d *HD44780) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("board: hd44780: %v", err)
}

var (
	_ display.TextDisplay      = (*HD44780)(nil)
	_ display.DisplayBacklight = (*HD44780)(nil)
	_ conn.Resource            = (*HD44780)(nil)
)
