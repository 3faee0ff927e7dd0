package board

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// lcd emulates an HD44780 behind a PCF8574 from the bytes written to the
// expander: a nibble is latched on each falling edge of EN (P2), RS is P0,
// D4-D7 are P4-P7.
type lcd struct {
	t        *testing.T
	fourBit  bool
	twoLines bool
	half     *byte // first nibble of a byte in 4-bit mode
	halfRS   bool
	addr     byte
	ddram    [0x80]byte
	prev     byte
	on       bool
	bl       bool
}

func newLCD(t *testing.T) *lcd {
	l := &lcd{t: t}
	for i := range l.ddram {
		l.ddram[i] = ' '
	}
	return l
}

func (l *lcd) replay(ops []i2ctest.IO) {
	for _, op := range ops {
		for _, b := range op.W {
			l.bl = b&pcfBL != 0
			if l.prev&pcfEN != 0 && b&pcfEN == 0 {
				l.latch(l.prev&0xF0, l.prev&pcfRS != 0)
			}
			l.prev = b
		}
	}
}

func (l *lcd) latch(nib byte, rs bool) {
	if !l.fourBit {
		// 8-bit interface: D0-D3 are not wired and read as 0.
		l.exec(nib, rs)
		return
	}
	if l.half == nil {
		l.half, l.halfRS = &nib, rs
		return
	}
	if l.halfRS != rs {
		l.t.Fatalf("rs changed within a byte")
	}
	v := *l.half | nib>>4
	l.half = nil
	l.exec(v, rs)
}

func (l *lcd) exec(v byte, rs bool) {
	if rs {
		l.ddram[l.addr] = v
		l.addr = l.next(l.addr)
		return
	}
	switch {
	case v&0x80 != 0:
		l.addr = v & 0x7F
	case v&0x20 != 0:
		l.fourBit = v&0x10 == 0
		l.twoLines = v&0x08 != 0
	case v&0x08 != 0:
		l.on = v&0x04 != 0
	case v == 0x01:
		for i := range l.ddram {
			l.ddram[i] = ' '
		}
		l.addr = 0
	case v == 0x02:
		l.addr = 0
	}
}

// next is the address counter of a two-line controller: 0x00-0x27 then
// 0x40-0x67.
func (l *lcd) next(a byte) byte {
	switch a {
	case 0x27:
		return 0x40
	case 0x67:
		return 0x00
	}
	return a + 1
}

// screen renders the visible cells with the module's wiring of DDRAM to
// rows (HD44780 datasheet and 20x4 module sheets: 0x00, 0x40, 0x14, 0x54).
func (l *lcd) screen(cols, rows int) []string {
	offs := []byte{0x00, 0x40, byte(cols), 0x40 + byte(cols)}
	out := make([]string, rows)
	for r := range rows {
		out[r] = string(l.ddram[offs[r] : offs[r]+byte(cols)])
	}
	return out
}

func newTestLCD(t *testing.T, cols, rows int) (*HD44780, *i2ctest.Record) {
	t.Helper()
	rec := &i2ctest.Record{}
	d, err := newHD44780(&i2c.Dev{Bus: rec, Addr: 0x27}, &HD44780Opts{Cols: cols, Rows: rows}, func(time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	return d, rec
}

func TestHD44780Rows(t *testing.T) {
	for _, tc := range []struct {
		cols, rows int
		offsets    []byte
	}{
		{16, 2, []byte{0x00, 0x40}},
		{20, 2, []byte{0x00, 0x40}},
		{16, 4, []byte{0x00, 0x40, 0x10, 0x50}},
		{20, 4, []byte{0x00, 0x40, 0x14, 0x54}},
	} {
		d, rec := newTestLCD(t, tc.cols, tc.rows)
		lines := []string{"first row", "second row", "third row", "fourth row"}[:tc.rows]
		for r, s := range lines {
			if err := d.MoveTo(r, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := d.WriteString(s); err != nil {
				t.Fatal(err)
			}
		}
		l := newLCD(t)
		l.replay(rec.Ops)
		if !l.fourBit || !l.twoLines || !l.on || !l.bl {
			t.Fatalf("%dx%d: controller state 4-bit=%t two-lines=%t on=%t backlight=%t", tc.cols, tc.rows, l.fourBit, l.twoLines, l.on, l.bl)
		}
		for r, s := range lines {
			off := tc.offsets[r]
			if got := string(l.ddram[off : off+byte(len(s))]); got != s {
				t.Errorf("%dx%d row %d at DDRAM %#02x: %q, want %q", tc.cols, tc.rows, r, off, got, s)
			}
		}
		got := l.screen(tc.cols, tc.rows)
		for r, s := range lines {
			if want := s + strings.Repeat(" ", tc.cols-len(s)); got[r] != want {
				t.Errorf("%dx%d screen row %d = %q, want %q", tc.cols, tc.rows, r, got[r], want)
			}
		}
	}
}

func TestHD44780WrapsRows(t *testing.T) {
	d, rec := newTestLCD(t, 20, 4)
	text := strings.Repeat("a", 20) + strings.Repeat("b", 20) + strings.Repeat("c", 20) + strings.Repeat("d", 20) + "e"
	if n, err := d.WriteString(text); err != nil || n != len(text) {
		t.Fatalf("WriteString = %d, %v", n, err)
	}
	l := newLCD(t)
	l.replay(rec.Ops)
	want := []string{"e" + strings.Repeat("a", 19), strings.Repeat("b", 20), strings.Repeat("c", 20), strings.Repeat("d", 20)}
	for r, s := range l.screen(20, 4) {
		if s != want[r] {
			t.Errorf("row %d = %q, want %q", r, s, want[r])
		}
	}
}

func TestHD44780Errors(t *testing.T) {
	d, _ := newTestLCD(t, 16, 2)
	for _, pos := range [][2]int{{-1, 0}, {2, 0}, {0, 16}, {0, -1}} {
		if err := d.MoveTo(pos[0], pos[1]); err == nil {
			t.Errorf("MoveTo(%d,%d) accepted", pos[0], pos[1])
		}
	}
	if err := d.Cursor(display.CursorMode(9)); err == nil {
		t.Error("bad cursor mode accepted")
	}
	if _, err := newHD44780(&i2c.Dev{Bus: &i2ctest.Record{}, Addr: 0x27}, &HD44780Opts{Cols: 17, Rows: 2}, func(time.Duration) {}); err == nil {
		t.Error("17 columns accepted")
	}
	// A bus error comes back from Write.
	bad := &failBus{}
	if _, err := newHD44780(&i2c.Dev{Bus: bad, Addr: 0x27}, nil, func(time.Duration) {}); err == nil {
		t.Error("init on a dead bus succeeded")
	}
}

func TestHD44780BacklightAndDisplay(t *testing.T) {
	d, rec := newTestLCD(t, 16, 2)
	if err := d.Display(false); err != nil {
		t.Fatal(err)
	}
	if err := d.Backlight(0); err != nil {
		t.Fatal(err)
	}
	l := newLCD(t)
	l.replay(rec.Ops)
	if l.on || l.bl {
		t.Errorf("on=%t backlight=%t after Display(false), Backlight(0)", l.on, l.bl)
	}
}
