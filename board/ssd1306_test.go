package board

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/spi/spitest"
	"periph.io/x/devices/v3/ssd1306"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// oled emulates the SSD1306 graphic RAM as far as the datasheet describes
// it: a command stream (with each command's argument count) and a data
// stream written at the page/column pointer, which advances along the
// column window and wraps to the next page (horizontal addressing mode,
// 0x20 0x00, which periph selects).
type oled struct {
	w, h               int
	ram                []byte // pages x w, LSB is the top pixel of a page
	page, col          int
	colStart, colEnd   int
	pageStart, pageEnd int
	pendingArgs        int
	cmd                []byte
	dataBytes          int
}

func newOLED(w, h int) *oled {
	return &oled{w: w, h: h, ram: make([]byte, w*h/8), colEnd: w - 1, pageEnd: h/8 - 1}
}

// argCount is the number of argument bytes following each multi-byte
// command (SSD1306 datasheet, section 9).
var argCount = map[byte]int{
	0x81: 1, 0x20: 1, 0x21: 2, 0x22: 2, 0xA8: 1, 0xD3: 1, 0xDA: 1, 0xD5: 1,
	0x8D: 1, 0xD9: 1, 0xDB: 1, 0xA3: 2, 0x26: 6, 0x27: 6, 0x29: 5, 0x2A: 5,
}

func (o *oled) command(bs []byte) {
	for _, b := range bs {
		if o.pendingArgs > 0 {
			o.cmd = append(o.cmd, b)
			o.pendingArgs--
			if o.pendingArgs == 0 {
				o.exec()
			}
			continue
		}
		o.cmd = append(o.cmd[:0], b)
		if n := argCount[b]; n > 0 {
			o.pendingArgs = n
			continue
		}
		o.exec()
	}
}

func (o *oled) exec() {
	c := o.cmd
	switch {
	case c[0] == 0x21:
		o.colStart, o.colEnd, o.col = int(c[1]), int(c[2]), int(c[1])
	case c[0] == 0x22:
		o.pageStart, o.pageEnd, o.page = int(c[1]&7), int(c[2]&7), int(c[1]&7)
	case c[0] >= 0xB0 && c[0] <= 0xB7:
		o.page = int(c[0] & 7)
	case c[0] <= 0x0F:
		o.col = o.col&0xF0 | int(c[0])
	case c[0] >= 0x10 && c[0] <= 0x1F:
		o.col = o.col&0x0F | int(c[0]&0x0F)<<4
	}
}

func (o *oled) data(bs []byte) {
	for _, b := range bs {
		if o.page < o.h/8 && o.col < o.w {
			o.ram[o.page*o.w+o.col] = b
		}
		o.dataBytes++
		o.col++
		if o.col > o.colEnd {
			o.col = o.colStart
			o.page++
			if o.page > o.pageEnd {
				o.page = o.pageStart
			}
		}
	}
}

// i2c replays recorded I2C writes: the control byte 0x00 starts a command
// stream, 0x40 a data stream.
func (o *oled) i2c(t *testing.T, ops []i2ctest.IO, addr uint16) {
	t.Helper()
	for i, op := range ops {
		if op.Addr != addr {
			t.Fatalf("op %d went to %#x, want %#x", i, op.Addr, addr)
		}
		if len(op.W) == 0 {
			t.Fatalf("op %d is empty", i)
		}
		switch op.W[0] {
		case 0x00:
			o.command(op.W[1:])
		case 0x40:
			o.data(op.W[1:])
		default:
			t.Fatalf("op %d has control byte %#x", i, op.W[0])
		}
	}
}

func (o *oled) pixel(x, y int) bool {
	return o.ram[(y/8)*o.w+x]>>(y%8)&1 == 1
}

// diffImage returns the first pixel where the emulated panel differs from
// img (converted to one bit the way the driver does), or "".
func (o *oled) diffImage(img image.Image) string {
	b := img.Bounds()
	for y := range o.h {
		for x := range o.w {
			want := image1bit.BitModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(image1bit.Bit)
			if got := o.pixel(x, y); got != bool(want) {
				return fmt.Sprintf("pixel %d,%d = %t, want %t", x, y, got, bool(want))
			}
		}
	}
	return ""
}

// testFrame draws a pattern that exercises every page and column edge:
// a border, a diagonal, and noise in the middle.
func testFrame(w, h int, seed uint64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			on := x == 0 || y == 0 || x == w-1 || y == h-1 || x == y*w/h ||
				(x > 20 && x < w-20 && y > 10 && y < h-10 && r.IntN(3) == 0)
			if on {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return img
}

func TestSSD1306I2CFramebuffer(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr uint16
		w, h int
	}{
		{"128x64 at 0x3c", 0x3C, 128, 64},
		{"128x64 at 0x3d", 0x3D, 128, 64},
		{"128x32 at 0x3c", 0x3C, 128, 32},
		{"128x32 at 0x3d", 0x3D, 128, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &i2ctest.Record{}
			dev, err := NewSSD1306I2C(rec, tc.addr, ssd1306Opts(PanelConfig{Width: tc.w, Height: tc.h}))
			if err != nil {
				t.Fatal(err)
			}
			o := newOLED(tc.w, tc.h)
			img := testFrame(tc.w, tc.h, 1)
			if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
				t.Fatal(err)
			}
			// Every transaction, init included, must reach the configured
			// address: the 0x3c hard-coded in periph is rewritten.
			o.i2c(t, rec.Ops, tc.addr)
			if d := o.diffImage(img); d != "" {
				t.Fatalf("first frame: %s", d)
			}

			// The same frame again sends nothing.
			n := len(rec.Ops)
			if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
				t.Fatal(err)
			}
			if len(rec.Ops) != n {
				t.Fatalf("unchanged frame sent %d transactions: %+v", len(rec.Ops)-n, rec.Ops[n:])
			}

			// A small change sends only the band around it, and the panel
			// ends up equal to the new frame.
			img2 := testFrame(tc.w, tc.h, 1)
			draw.Draw(img2, image.Rect(60, 12, 70, 18), image.NewUniform(color.Gray{Y: 255}), image.Point{}, draw.Src)
			o.dataBytes = 0
			if err := dev.Draw(dev.Bounds(), img2, image.Point{}); err != nil {
				t.Fatal(err)
			}
			o.i2c(t, rec.Ops[n:], tc.addr)
			if d := o.diffImage(img2); d != "" {
				t.Fatalf("partial update: %s", d)
			}
			// Rows 12-17 span pages 1 and 2; columns 60-69 changed.
			if o.dataBytes > 2*10 {
				t.Errorf("partial update sent %d data bytes, want at most 20", o.dataBytes)
			}
		})
	}
}

// dcLog records the D/C pin level seen by each SPI transaction.
type dcPin struct {
	gpiotest.Pin
	rec    *spitest.Record
	levels map[int]gpio.Level // op index -> level from then on
}

func (p *dcPin) Out(l gpio.Level) error {
	p.rec.Lock()
	p.levels[len(p.rec.Ops)] = l
	p.rec.Unlock()
	return p.Pin.Out(l)
}

func (p *dcPin) replay(t *testing.T, o *oled, from int) {
	t.Helper()
	level := gpio.Low
	for i := range from {
		if l, ok := p.levels[i]; ok {
			level = l
		}
	}
	for i, op := range p.rec.Ops {
		if l, ok := p.levels[i]; ok {
			level = l
		}
		if i < from {
			continue
		}
		if level == gpio.Low {
			o.command(op.W)
		} else {
			o.data(op.W)
		}
	}
}

func TestSSD1306SPIFramebuffer(t *testing.T) {
	rec := &spitest.Record{}
	dc := &dcPin{Pin: gpiotest.Pin{N: "DC"}, rec: rec, levels: map[int]gpio.Level{}}
	rst := &gpiotest.Pin{N: "RST"}
	dev, err := NewSSD1306SPI(rec, dc, rst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rst.Read() != gpio.High {
		t.Error("reset pin left low")
	}
	img := testFrame(128, 64, 2)
	if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	o := newOLED(128, 64)
	dc.replay(t, o, 0)
	if d := o.diffImage(img); d != "" {
		t.Fatal(d)
	}
	n := len(rec.Ops)
	if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != n {
		t.Fatalf("unchanged frame sent %d transactions", len(rec.Ops)-n)
	}
}

func TestSSD1306SPINeedsDC(t *testing.T) {
	if _, err := NewSSD1306SPI(&spitest.Record{}, nil, nil, nil); err == nil {
		t.Fatal("no error without a dc pin")
	}
}

func TestAddrBus(t *testing.T) {
	rec := &i2ctest.Record{}
	b := &AddrBus{Bus: rec, From: 0x3C, To: 0x3D}
	for _, a := range []uint16{0x3C, 0x27} {
		if err := b.Tx(a, []byte{1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if rec.Ops[0].Addr != 0x3D || rec.Ops[1].Addr != 0x27 {
		t.Fatalf("addresses %#x %#x, want 0x3d 0x27", rec.Ops[0].Addr, rec.Ops[1].Addr)
	}
}

func TestSSD1306Opts(t *testing.T) {
	for _, tc := range []struct {
		cfg        PanelConfig
		w, h       int
		sequential bool
		mirror     bool
	}{
		{PanelConfig{}, 128, 64, false, false},
		{PanelConfig{Height: 32}, 128, 32, true, false},
		{PanelConfig{Rotate180: true}, 128, 64, false, true},
	} {
		o := ssd1306Opts(tc.cfg)
		if o.W != tc.w || o.H != tc.h || o.Sequential != tc.sequential || o.MirrorHorizontal != tc.mirror || o.MirrorVertical != tc.mirror {
			t.Errorf("%+v: got %+v", tc.cfg, o)
		}
	}
	_ = ssd1306.DefaultOpts
}
