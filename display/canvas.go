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

// rect fills [x0,x1) x [y0,y1). It works in device coordinates a band
// byte at a time, since QR codes and bars are most of a frame's pixels.
func (c canvas) rect(x0, y0, x1, y1 int, on bool) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, c.w), min(y1, c.h)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	// The same rectangle in device coordinates (relative to Rect.Min).
	dx0, dy0, dx1, dy1 := x0, y0, x1, y1
	switch c.rot {
	case 90:
		dx0, dx1, dy0, dy1 = c.h-y1, c.h-y0, x0, x1
	case 180:
		dx0, dx1, dy0, dy1 = c.w-x1, c.w-x0, c.h-y1, c.h-y0
	case 270:
		dx0, dx1, dy0, dy1 = y0, y1, c.w-x1, c.w-x0
	}
	ink := on != c.invert
	off := c.img.Rect.Min.Y - c.img.Rect.Min.Y&^7 // rows of band 0 above the frame
	for y := dy0 + off; y < dy1+off; {
		band := y / 8
		end := min((band+1)*8, dy1+off)
		mask := byte(0xFF<<uint(y-band*8)) & byte(0xFF>>uint(8-(end-band*8)))
		row := c.img.Pix[band*c.img.Stride:]
		for x := dx0; x < dx1 && x < len(row); x++ {
			if ink {
				row[x] |= mask
			} else {
				row[x] &^= mask
			}
		}
		y = end
	}
}

// frame draws a one-pixel outline of [x0,x1) x [y0,y1).
func (c canvas) frame(x0, y0, x1, y1 int) {
	c.rect(x0, y0, x1, y0+1, true)
	c.rect(x0, y1-1, x1, y1, true)
	c.rect(x0, y0, x0+1, y1, true)
	c.rect(x1-1, y0, x1, y1, true)
}
