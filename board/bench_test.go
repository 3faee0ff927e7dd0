package board

import (
	"image"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi/spitest"
)

// nullI2C accepts every transaction and keeps nothing, so benchmarks
// measure the driver, not the recorder.
type nullI2C struct{}

func (nullI2C) String() string                  { return "null" }
func (nullI2C) Tx(uint16, []byte, []byte) error { return nil }
func (nullI2C) SetSpeed(physic.Frequency) error { return nil }

func BenchmarkSSD1306Draw(b *testing.B) {
	dev, err := NewSSD1306I2C(nullI2C{}, 0x3D, nil)
	if err != nil {
		b.Fatal(err)
	}
	frames := []image.Image{testFrame(128, 64, 1), testFrame(128, 64, 2)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := dev.Draw(dev.Bounds(), frames[i%2], image.Point{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatrixDraw(b *testing.B) {
	m, err := NewMatrix(&spitest.Record{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	frame := testFrame(32, 8, 1)
	b.ReportAllocs()
	for b.Loop() {
		// Unchanged frames: the cost of converting and diffing.
		if err := m.Draw(m.Bounds(), frame, image.Point{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHD44780Write(b *testing.B) {
	d, err := newHD44780(&i2c.Dev{Bus: nullI2C{}, Addr: 0x27}, &HD44780Opts{Cols: 20, Rows: 4}, func(time.Duration) {})
	if err != nil {
		b.Fatal(err)
	}
	line := []byte("WDJB-MJHT  12 min   ")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Write(line); err != nil {
			b.Fatal(err)
		}
	}
}
