package display

import mbits "math/bits"

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
// the baseline): w*h bits from byte off of the font's bits, row-major,
// most significant bit first. A character without ink has w or h zero.
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

// drawGlyph sets g's ink pixels with the dot at (x, baseline). It walks
// the packed bits a byte at a time, skipping empty bytes, and tracks the
// row and column by addition: ARMv6 has no divide instruction.
func (f *bitFont) drawGlyph(c canvas, x, baseline int, g *glyph, on bool) {
	w, n := int(g.w), int(g.w)*int(g.h)
	if n == 0 {
		return
	}
	x0, y := x+int(g.x), baseline+int(g.y)
	bits := f.bits[g.off : int(g.off)+(n+7)/8]
	col := 0 // column of the byte's first bit; y is its row
	for i := 0; i < len(bits); i++ {
		b := bits[i]
		for b != 0 {
			j := mbits.LeadingZeros8(b)
			b &^= 0x80 >> j
			cx, cy := col+j, y
			for cx >= w {
				cx -= w
				cy++
			}
			c.set(x0+cx, cy, on)
		}
		for col += 8; col >= w; col -= w {
			y++
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
