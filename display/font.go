package display

//go:generate go run ./internal/fontgen -o fonts_generated.go

// bitFont is a monospace font rasterised ahead of time to 1 bit per pixel
// (coverage of at least half a pixel is ink, so no anti-aliasing grey
// reaches a 1-bit panel). The tables live in fonts_generated.go, written by
// internal/fontgen, so the agent links no font rasteriser and builds nothing
// at start-up. Drawing from it costs no allocation.
type bitFont struct {
	advance int    // pixels from one character to the next
	top     int    // ink rows above the baseline, over A-Z, 0-9 and '-'
	bottom  int    // ink rows below the baseline, over all of printable ASCII
	bits    string // every glyph's ink, packed as glyph.off describes
	glyphs  [95]glyph
}

// glyph is the ink box of one character relative to the dot (left end of
// the baseline), w by h pixels, packed from byte off of the font's bits as
// raster.Pack describes. A character without ink has w and h zero.
type glyph struct {
	x, y int8
	w, h uint8
	off  uint16
}

func (f *bitFont) glyph(r byte) *glyph {
	if r < 0x20 || r > 0x7E {
		r = '?'
	}
	return &f.glyphs[r-0x20]
}

// width is the width in pixels of n characters.
func (f *bitFont) width(n int) int { return n * f.advance }

// height is the ink height of an upper-case line.
func (f *bitFont) capHeight() int { return f.top }

// draw writes s (ASCII; anything else draws as '?') with the dot at
// (x, baseline), ink on or background.
func (f *bitFont) draw(c canvas, x, baseline int, s []byte, on bool) {
	for i := 0; i < len(s); i++ {
		if x >= c.w {
			return
		}
		if x+f.advance > 0 {
			f.drawGlyph(c, x, baseline, f.glyph(s[i]), on)
		}
		x += f.advance
	}
}

// drawGlyph sets g's ink pixels with the dot at (x, baseline). Each row
// of the packed bits starts with a flag: 1 when the row's w bits follow, 0
// when it repeats the row above.
func (f *bitFont) drawGlyph(c canvas, x, baseline int, g *glyph, on bool) {
	w, h := int(g.w), int(g.h)
	bits := f.bits[g.off:]
	x0, y0 := x+int(g.x), baseline+int(g.y)
	k, row := 0, 0 // next bit to read; first bit of the row being drawn
	for y := y0; y < y0+h; y++ {
		if bits[k>>3]&(0x80>>(k&7)) != 0 {
			row, k = k+1, k+1+w
		} else {
			k++
		}
		for dx, b := 0, row; dx < w; dx, b = dx+1, b+1 {
			if bits[b>>3]&(0x80>>(b&7)) != 0 {
				c.set(x0+dx, y, on)
			}
		}
	}
}

// smallFont is the 7x13 bitmap face (basicfont.Face7x13) used for every
// line of small text: addresses, labels.
func smallFont() *bitFont { return &fontTables[0] }

// bigFont returns Go Mono Bold at size px (clamped to [minBig, maxBig]),
// hinted so stems land on whole pixels: the user code and titles.
func bigFont(px int) *bitFont {
	px = min(max(px, minBig), maxBig)
	return &fontTables[px-minBig+1]
}

// fitBig returns the largest big face whose n characters fit in w pixels
// and whose capitals fit in h pixels, or nil when not even minBig fits.
func fitBig(n, w, h int) *bitFont {
	if n < 1 {
		n = 1
	}
	for px := maxBig; px >= minBig; px-- {
		f := bigFont(px)
		if f.width(n) <= w && f.capHeight() <= h {
			return f
		}
	}
	return nil
}
