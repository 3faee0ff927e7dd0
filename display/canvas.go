package display

import "periph.io/x/devices/v3/ssd1306/image1bit"

// canvas draws in logical (landscape, top-left 0,0) coordinates on a 1-bit
// frame, turning and inverting as asked, and clips everything to the frame.
type canvas struct {
	img    *image1bit.VerticalLSB
	w, h   int // logical size
	rot    int
	invert bool
}

func newCanvas(img *image1bit.VerticalLSB, o DrawOptions) canvas {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	rot := ((o.Rotate % 360) + 360) % 360 / 90 * 90
	if rot == 90 || rot == 270 {
		w, h = h, w
	}
	return canvas{img: img, w: w, h: h, rot: rot, invert: o.Invert}
}

// clear paints the background. Bits of the frame's bands that lie outside
// its bounds stay 0, so nothing is ever drawn outside the frame.
func (c canvas) clear() {
	clearFrame(c.img, c.invert)
}

// clearFrame sets every pixel of img inside its bounds to on and every
// padding bit of its 8-row bands to 0.
func clearFrame(img *image1bit.VerticalLSB, on bool) {
	if !on {
		clear(img.Pix)
		return
	}
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	r := img.Rect
	if r.Empty() || img.Stride == 0 {
		return
	}
	top := r.Min.Y &^ 7
	first := byte(0xFF) << uint(r.Min.Y-top) // rows of band 0 inside
	lastBand := (r.Max.Y - 1 - top) / 8
	last := byte(0xFF) >> uint(7-(r.Max.Y-1-top)%8)
	for x := 0; x < img.Stride; x++ {
		if i := x; i < len(img.Pix) {
			img.Pix[i] &= first
		}
		if i := lastBand*img.Stride + x; i < len(img.Pix) {
			img.Pix[i] &= last
		}
	}
}

// set paints (x, y) with ink (on) or background (!on).
func (c canvas) set(x, y int, on bool) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	dx, dy := x, y
	switch c.rot {
	case 90: // clockwise: logical top edge becomes the device's right edge
		dx, dy = c.h-1-y, x
	case 180:
		dx, dy = c.w-1-x, c.h-1-y
	case 270:
		dx, dy = y, c.w-1-x
	}
	r := c.img.Rect
	dx += r.Min.X
	dy += r.Min.Y
	band := (dy - r.Min.Y&^7)
	i := band/8*c.img.Stride + dx - r.Min.X
	if i < 0 || i >= len(c.img.Pix) {
		return
	}
	bit := byte(1) << uint(band&7)
	if on != c.invert {
		c.img.Pix[i] |= bit
	} else {
		c.img.Pix[i] &^= bit
	}
}

// rect fills [x0,x1) x [y0,y1).
func (c canvas) rect(x0, y0, x1, y1 int, on bool) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, c.w), min(y1, c.h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.set(x, y, on)
		}
	}
}

// frame draws a one-pixel outline of [x0,x1) x [y0,y1).
func (c canvas) frame(x0, y0, x1, y1 int) {
	c.rect(x0, y0, x1, y0+1, true)
	c.rect(x0, y1-1, x1, y1, true)
	c.rect(x0, y0, x0+1, y1, true)
	c.rect(x1-1, y0, x1, y1, true)
}
