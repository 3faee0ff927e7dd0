package board

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/spi/spitest"
)

// goldenDir holds package display's rendered views; these tests push them
// through the real drivers and read them back off the emulated panels.
var goldenDir = filepath.Join("..", "display", "testdata", "pixel")

func loadGolden(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatalf("display golden %s: %v", name, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSSD1306Golden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		h      int
	}{
		{"oled128x64_awaiting_0.png", 64},
		{"oled128x32_awaiting_0.png", 32},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			img := loadGolden(t, tc.golden)
			rec := &i2ctest.Record{}
			dev, err := NewSSD1306I2C(rec, 0x3D, ssd1306Opts(PanelConfig{Height: tc.h}))
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != dev.Bounds() {
				t.Fatalf("golden is %v, panel %v", img.Bounds(), dev.Bounds())
			}
			if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
				t.Fatal(err)
			}
			o := newOLED(128, tc.h)
			o.i2c(t, rec.Ops, 0x3D)
			if d := o.diffImage(img); d != "" {
				t.Fatal(d)
			}
			n := len(rec.Ops)
			if err := dev.Draw(dev.Bounds(), img, image.Point{}); err != nil {
				t.Fatal(err)
			}
			if len(rec.Ops) != n {
				t.Fatal("redrawing the golden sent bytes")
			}
		})
	}
}

func TestMatrixGolden(t *testing.T) {
	img := loadGolden(t, "matrix32x8_awaiting_0.png")
	rec := &spitest.Record{}
	m, err := NewMatrix(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(rec.Ops)
	if err := m.Draw(m.Bounds(), img, image.Point{}); err != nil {
		t.Fatal(err)
	}
	c := &chain{n: 4, regs: make([][16]byte, 4)}
	c.replay(t, rec.Ops[n:])
	for y := range 8 {
		for x := range 32 {
			r, g, b, _ := img.At(x, y).RGBA()
			if want := (r+g+b)/3 >= 0x8000; c.lit(x, y) != want {
				t.Fatalf("LED %d,%d = %t, want %t", x, y, c.lit(x, y), want)
			}
		}
	}
}
