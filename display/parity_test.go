package display

import (
	"testing"

	"github.com/boardlogin/boardlogin/display/internal/fontgen/raster"
)

// The generator's rasteriser reproduces the run-time one pixel for pixel,
// at every size, before the product code switches to its tables.
func TestRasterMatchesRuntime(t *testing.T) {
	fonts, err := raster.All()
	if err != nil {
		t.Fatal(err)
	}
	for i, rf := range fonts {
		f := smallFont()
		if i > 0 {
			f = bigFont(raster.MinBig + i - 1)
		}
		if f.advance != rf.Advance || f.top != rf.Top || f.bottom != rf.Bottom {
			t.Fatalf("font %d: metrics %d/%d/%d, raster %d/%d/%d", i, f.advance, f.top, f.bottom, rf.Advance, rf.Top, rf.Bottom)
		}
		for r := range f.glyphs {
			g := &rf.Glyphs[r]
			n := 0
			for _, p := range f.glyphs[r] {
				if !g.At(int(p.x), int(p.y)) {
					t.Fatalf("font %d %q: (%d,%d) ink at run time only", i, rune(r+0x20), p.x, p.y)
				}
			}
			for _, on := range g.Ink {
				if on {
					n++
				}
			}
			if n != len(f.glyphs[r]) {
				t.Fatalf("font %d %q: %d ink pixels at run time, raster %d", i, rune(r+0x20), len(f.glyphs[r]), n)
			}
		}
	}
}
