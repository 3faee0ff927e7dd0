package board

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// chain emulates n MAX7219s in a daisy chain: each transaction shifts one
// 16-bit word per chip, the first word ending in the farthest chip
// (module 0, leftmost).
type chain struct {
	n        int
	regs     [][16]byte
	rowWrite int
}

func (c *chain) replay(t *testing.T, ops []conntest.IO) {
	t.Helper()
	for i, op := range ops {
		if len(op.W) != 2*c.n {
			t.Fatalf("op %d is %d bytes, want %d (one word per chip)", i, len(op.W), 2*c.n)
		}
		for m := range c.n {
			reg, v := op.W[2*m], op.W[2*m+1]
			if reg > 0x0F {
				t.Fatalf("op %d: register %#x", i, reg)
			}
			if reg >= 1 && reg <= 8 {
				c.rowWrite++
			}
			c.regs[m][reg] = v
		}
	}
}

func (c *chain) lit(x, y int) bool {
	return c.regs[x/8][y+1]&(0x80>>(x%8)) != 0
}

func TestMatrix(t *testing.T) {
	rec := &spitest.Record{}
	m, err := NewMatrix(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounds() != image.Rect(0, 0, 32, 8) {
		t.Fatalf("bounds %v", m.Bounds())
	}
	c := &chain{n: 4, regs: make([][16]byte, 4)}
	c.replay(t, rec.Ops)
	for mod := range 4 {
		r := c.regs[mod]
		if r[maxDisplayTest] != 0 || r[maxDecodeMode] != 0 || r[maxScanLimit] != 7 || r[maxShutdown] != 1 {
			t.Fatalf("module %d not initialised: %v", mod, r)
		}
	}
	img := testFrame(32, 8, 3)
	img.SetGray(9, 2, color.Gray{Y: 255})
	n := len(rec.Ops)
	if err := m.Draw(m.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	c.replay(t, rec.Ops[n:])
	for y := range 8 {
		for x := range 32 {
			if want := img.GrayAt(x, y).Y >= 128; c.lit(x, y) != want {
				t.Fatalf("LED %d,%d = %t, want %t", x, y, c.lit(x, y), want)
			}
		}
	}
	// Unchanged: nothing sent. One pixel: one row.
	n = len(rec.Ops)
	if err := m.Draw(m.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != n {
		t.Fatalf("unchanged frame sent %d transactions", len(rec.Ops)-n)
	}
	img.SetGray(20, 5, color.Gray{Y: 255 - img.GrayAt(20, 5).Y})
	if err := m.Draw(m.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != n+1 {
		t.Fatalf("one changed pixel sent %d transactions, want 1", len(rec.Ops)-n)
	}
	c.replay(t, rec.Ops[n:])
	if c.lit(20, 5) != (img.GrayAt(20, 5).Y >= 128) {
		t.Fatal("changed pixel not shown")
	}
}

func TestMatrixRotate180(t *testing.T) {
	rec := &spitest.Record{}
	m, err := NewMatrix(rec, &MatrixOpts{Cascade: 2, Rotate180: true})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 16, 8))
	img.SetGray(0, 0, color.Gray{Y: 255})
	n := len(rec.Ops)
	if err := m.Draw(m.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	c := &chain{n: 2, regs: make([][16]byte, 2)}
	c.replay(t, rec.Ops[n:])
	if !c.lit(15, 7) || c.lit(0, 0) {
		t.Fatal("top-left pixel not shown bottom-right")
	}
}

// failPort is an SPI port whose transfers fail.
type failPort struct{ spitest.Record }

type failConn struct{ spi.Conn }

func (failConn) Tx(w, r []byte) error { return errors.New("spi: broken pipe") }

func (p *failPort) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	c, err := p.Record.Connect(f, mode, bits)
	return failConn{c}, err
}

func TestMatrixErrors(t *testing.T) {
	if _, err := NewMatrix(&failPort{}, nil); err == nil {
		t.Error("init on a broken port succeeded")
	}
	for _, o := range []MatrixOpts{{Cascade: 17}, {Cascade: -1}, {Intensity: 16}} {
		if _, err := NewMatrix(&spitest.Record{}, &o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	var _ conn.Resource = (*Matrix)(nil)
}
