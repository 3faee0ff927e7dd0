package board

import (
	"bytes"
	"slices"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

func FuzzNodeName(f *testing.F) {
	for _, s := range []string{"", "1", "I2C1", "/dev/i2c-1", "i2c-", "SPI0.0", "spidev0.0", "../../etc/passwd", "I2CI2C1", "\x00"} {
		f.Add(s)
	}
	sys := newFakeSystem(f, "i2c-1", "i2c-20", "spidev0.0")
	f.Fuzz(func(t *testing.T, name string) {
		if n, err := sys.i2cNode(name); err == nil && !slices.Contains(sys.i2cNodes(), n) {
			t.Fatalf("i2cNode(%q) = %q, not a listed node", name, n)
		}
		if n, err := sys.spiNode(name); err == nil && !slices.Contains(sys.spiNodes(), n) {
			t.Fatalf("spiNode(%q) = %q, not a listed node", name, n)
		}
		if k, err := normKind(name); err == nil && !slices.Contains(Kinds, k) {
			t.Fatalf("normKind(%q) = %q, not a kind", name, k)
		}
	})
}

// FuzzHD44780Write checks that any byte string lands where the wrap rule
// says: row by row, from the top after the last row.
func FuzzHD44780Write(f *testing.F) {
	f.Add([]byte("hello"), uint8(3))
	f.Add(make([]byte, 200), uint8(0))
	f.Fuzz(func(t *testing.T, text []byte, size uint8) {
		sizes := [][2]int{{16, 2}, {20, 2}, {16, 4}, {20, 4}}
		cols, rows := sizes[int(size)%4][0], sizes[int(size)%4][1]
		d, rec := newTestLCD(t, cols, rows)
		if len(text) > 400 {
			text = text[:400]
		}
		if n, err := d.Write(text); err != nil || n != len(text) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		want := make([][]byte, rows)
		for r := range want {
			want[r] = bytes.Repeat([]byte{' '}, cols)
		}
		for i, b := range text {
			cell := i % (cols * rows)
			want[cell/cols][cell%cols] = b
		}
		l := newLCD(t)
		l.replay(rec.Ops)
		for r, s := range l.screen(cols, rows) {
			if s != string(want[r]) {
				t.Fatalf("%dx%d row %d = %q, want %q", cols, rows, r, s, want[r])
			}
		}
	})
}

func FuzzAlnumWrite(f *testing.F) {
	f.Add([]byte("1.5"))
	f.Add([]byte("...."))
	f.Fuzz(func(t *testing.T, text []byte) {
		a, err := NewAlnum(&i2ctest.Record{}, 0x70)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := a.Write(text); err != nil || n != len(text) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	})
}
