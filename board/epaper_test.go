package board

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"
	"periph.io/x/devices/v3/inky"
)

func epdPins() (dc, cs, rst *gpiotest.Pin) {
	return &gpiotest.Pin{N: "DC"}, &gpiotest.Pin{N: "CS"}, &gpiotest.Pin{N: "RST"}
}

func TestEPaper(t *testing.T) {
	for _, kind := range []string{KindEPD2in13v2, KindEPD2in13v3, KindEPD2in13v4} {
		t.Run(kind, func(t *testing.T) {
			rec := &spitest.Record{}
			dc, cs, rst := epdPins()
			busy := &gpiotest.Pin{N: "BUSY", EdgesChan: make(chan gpio.Level)} // idle: low
			e, err := NewEPD2in13(rec, kind, dc, cs, rst, busy, &EPDOpts{BusyTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if e.Bounds() != image.Rect(0, 0, 250, 122) {
				t.Fatalf("bounds %v, want landscape 250x122", e.Bounds())
			}
			n := len(rec.Ops)
			img := image.NewGray(e.Bounds())
			if err := e.Draw(e.Bounds(), img, image.Point{}); err != nil {
				t.Fatal(err)
			}
			if len(rec.Ops) == n {
				t.Fatal("draw sent nothing")
			}
		})
	}
}

func TestEPaperBusyStuck(t *testing.T) {
	rec := &spitest.Record{}
	dc, cs, rst := epdPins()
	busy := &gpiotest.Pin{N: "BUSY", L: gpio.High, EdgesChan: make(chan gpio.Level)}
	_, err := NewEPD2in13(rec, KindEPD2in13v3, dc, cs, rst, busy, &EPDOpts{BusyTimeout: 30 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "busy pin stayed high") {
		t.Fatalf("err = %v, want a busy timeout", err)
	}
	if _, err := NewEPD2in13(rec, "epd9in7", dc, cs, rst, busy, nil); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

// quickBusy is an Inky busy line that falls as soon as it is waited on.
type quickBusy struct{ gpiotest.Pin }

func (p *quickBusy) WaitForEdge(time.Duration) bool { _ = p.Out(gpio.Low); return true }

func TestInky(t *testing.T) {
	rec := &spitest.Record{}
	dc, _, rst := epdPins()
	busy := &quickBusy{gpiotest.Pin{N: "BUSY", EdgesChan: make(chan gpio.Level)}}
	k, err := NewInkyPHAT(rec, dc, rst, busy, &InkyOpts{Color: inky.Red})
	if err != nil {
		t.Fatal(err)
	}
	if k.Bounds() != image.Rect(0, 0, 212, 104) {
		t.Fatalf("bounds %v, want landscape 212x104", k.Bounds())
	}
	img := image.NewRGBA(k.Bounds())
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	img.Set(0, 0, color.Black)                // black corner
	img.Set(1, 0, color.Gray{Y: 0x70})        // dark grey: black, not red
	img.Set(2, 0, color.Gray{Y: 0x90})        // light grey: white, not red
	img.Set(3, 0, color.RGBA{R: 255, A: 255}) // red
	if err := k.Draw(k.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	black, red := inkyPlane(t, rec, 0x24), inkyPlane(t, rec, 0x26)
	// Landscape (x, 0) lands in portrait column 0, row 211-x; the driver
	// then flips rows (pHAT mounting), so it is bit x of row 0.
	bit := func(plane []byte, x int) bool {
		i := x
		return plane[i/8]&(0x80>>(i%8)) != 0
	}
	for _, tc := range []struct {
		x          int
		white, red bool
	}{{0, false, false}, {1, false, false}, {2, true, false}, {3, true, true}, {4, true, false}} {
		if bit(black, tc.x*104) != tc.white || bit(red, tc.x*104) != tc.red {
			t.Errorf("pixel %d,0: white=%t red=%t, want %t %t", tc.x, bit(black, tc.x*104), bit(red, tc.x*104), tc.white, tc.red)
		}
	}
}

// inkyPlane returns the data sent after command cmd.
func inkyPlane(t *testing.T, rec *spitest.Record, cmd byte) []byte {
	t.Helper()
	for i, op := range rec.Ops {
		if bytes.Equal(op.W, []byte{cmd}) && i+1 < len(rec.Ops) {
			if len(rec.Ops[i+1].W) != 104*212/8 {
				t.Fatalf("plane %#x is %d bytes", cmd, len(rec.Ops[i+1].W))
			}
			return rec.Ops[i+1].W
		}
	}
	t.Fatalf("command %#x not sent", cmd)
	return nil
}

func TestInkyBusyStuck(t *testing.T) {
	rec := &spitest.Record{}
	dc, _, rst := epdPins()
	busy := &gpiotest.Pin{N: "BUSY", EdgesChan: make(chan gpio.Level)}
	k, err := NewInkyPHAT(rec, dc, rst, busy, &InkyOpts{BusyTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = k.Draw(k.Bounds(), image.NewGray(k.Bounds()), image.Point{})
	if err == nil || !strings.Contains(err.Error(), "busy pin stayed high") {
		t.Fatalf("err = %v, want a busy timeout", err)
	}
}
