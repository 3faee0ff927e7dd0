package display

import (
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// bitFont is a monospace font rasterised once to 1 bit per pixel (coverage
// of at least half a pixel is ink, so no anti-aliasing grey reaches a 1-bit
// panel). Drawing from it costs no allocation.
type bitFont struct {
	advance int // pixels from one character to the next
	top     int // ink rows above the baseline, over A-Z, 0-9 and '-'
	bottom  int // ink rows below the baseline, over all of printable ASCII
	glyphs  [95][]pt
}

// pt is one ink pixel of a glyph, relative to the dot (left end of the
// baseline).
type pt struct{ x, y int8 }

func (f *bitFont) glyph(r byte) []pt {
	if r < 0x20 || r > 0x7E {
		r = '?'
	}
	return f.glyphs[r-0x20]
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
			for _, p := range f.glyph(s[i]) {
				c.set(x+int(p.x), baseline+int(p.y), on)
			}
		}
		x += f.advance
	}
}

// rasterise builds a bitFont from any face.
func rasterise(face font.Face) *bitFont {
	f := &bitFont{}
	adv, _ := face.GlyphAdvance('M')
	f.advance = adv.Round()
	for r := rune(0x20); r <= 0x7E; r++ {
		dr, mask, mp, _, ok := face.Glyph(fixed.P(0, 0), r)
		if !ok {
			continue
		}
		var pts []pt
		for y := dr.Min.Y; y < dr.Max.Y; y++ {
			for x := dr.Min.X; x < dr.Max.X; x++ {
				_, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA()
				if a < 0x8000 {
					continue
				}
				pts = append(pts, pt{int8(x), int8(y)})
				if y < 0 && -y > f.top && isCodeRune(r) {
					f.top = -y
				}
				if y+1 > f.bottom {
					f.bottom = y + 1
				}
			}
		}
		f.glyphs[r-0x20] = pts
	}
	return f
}

func isCodeRune(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-'
}

var (
	smallOnce sync.Once
	small     *bitFont // basicfont 7x13: addresses, labels

	bigMu sync.Mutex
	big   = map[int]*bitFont{} // gomonobold by pixel size: the user code
)

// smallFont is the 7x13 bitmap face used for every line of small text.
func smallFont() *bitFont {
	smallOnce.Do(func() { small = rasterise(basicfont.Face7x13) })
	return small
}

// Sizes of the big face that layouts may pick from.
const (
	minBig = 8
	maxBig = 48
)

// bigFont returns Go Mono Bold at size px (clamped to [minBig, maxBig]),
// hinted so stems land on whole pixels, rasterised on first use.
func bigFont(px int) *bitFont {
	px = min(max(px, minBig), maxBig)
	bigMu.Lock()
	defer bigMu.Unlock()
	if f, ok := big[px]; ok {
		return f
	}
	ft, err := opentype.Parse(gomonobold.TTF)
	if err != nil {
		panic("display: embedded Go Mono Bold does not parse: " + err.Error()) // cannot happen: the font is compiled in
	}
	face, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("display: Go Mono Bold face: " + err.Error())
	}
	f := rasterise(face)
	big[px] = f
	return f
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
