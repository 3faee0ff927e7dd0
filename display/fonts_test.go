//go:build amd64 || 386 || arm

// These tests re-rasterise the fonts and compare with the generated tables,
// so they are built only where rasterising is exact (see
// raster.ReferenceArch): CI runs them natively on amd64 and under qemu for
// ARMv6. On arm64 the tables are still exercised by every golden test.

package display

import (
	"bytes"
	"image"
	"math/bits"
	"os"
	"sync"
	"testing"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/boardlogin/boardlogin/display/internal/fontgen/raster"
)

var (
	rasterOnce  sync.Once
	rasterFonts []raster.Font
	rasterErr   error
)

// fontsFromRaster rasterises every face with opentype, once per test binary
// (it is the slow part of these tests under qemu).
func fontsFromRaster(t *testing.T) []raster.Font {
	t.Helper()
	rasterOnce.Do(func() { rasterFonts, rasterErr = raster.All() })
	if rasterErr != nil {
		t.Fatal(rasterErr)
	}
	return rasterFonts
}

// fonts_generated.go is exactly what the generator writes today: nobody
// edited a table by hand, and nobody changed the faces, sizes or the
// rasteriser without regenerating.
func TestFontsGeneratedUpToDate(t *testing.T) {
	want, err := raster.Source(fontsFromRaster(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("fonts_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("display: fonts_generated.go is stale or was edited by hand; run go generate ./display")
	}
	if len(fontTables) != 1+maxBig-minBig+1 || minBig != raster.MinBig || maxBig != raster.MaxBig {
		t.Fatalf("display: %d font tables for sizes %d..%d", len(fontTables), minBig, maxBig)
	}
}

// Drawing a character from the tables puts ink on exactly the pixels the
// opentype rasteriser covers by half or more, for every size and character.
func TestFontTablesDrawLikeRaster(t *testing.T) {
	for i, rf := range fontsFromRaster(t) {
		f := smallFont()
		if i > 0 {
			f = bigFont(raster.MinBig + i - 1)
		}
		if f.advance != rf.Advance || f.top != rf.Top || f.bottom != rf.Bottom {
			t.Fatalf("font %d: metrics %d/%d/%d, raster %d/%d/%d", i, f.advance, f.top, f.bottom, rf.Advance, rf.Top, rf.Bottom)
		}
		size := 3 * max(rf.Advance, rf.Top+rf.Bottom, 8)
		dotX, dotY := size/3, 2*size/3
		img := image1bit.NewVerticalLSB(image.Rect(0, 0, size, size))
		for r := range rf.Glyphs {
			g := &rf.Glyphs[r]
			clear(img.Pix)
			c := newCanvas(img, DrawOptions{})
			f.draw(c, dotX, dotY, []byte{byte(raster.First + r)}, true)
			want := 0
			for _, on := range g.Ink {
				if on {
					want++
				}
			}
			got := 0
			for _, b := range img.Pix {
				got += bits.OnesCount8(b)
			}
			if got != want {
				t.Fatalf("font %d %q: %d ink pixels drawn, raster has %d", i, rune(raster.First+r), got, want)
			}
			for y := g.Y; y < g.Y+g.H; y++ {
				for x := g.X; x < g.X+g.W; x++ {
					if img.BitAt(dotX+x, dotY+y) != image1bit.Bit(g.At(x, y)) {
						t.Fatalf("font %d %q: pixel (%d,%d) differs from raster", i, rune(raster.First+r), x, y)
					}
				}
			}
		}
	}
}
