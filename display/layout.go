package display

import (
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Class is a layout size class, chosen from the panel's (landscape) size.
type Class int

// The pixel size classes.
const (
	// ClassNone: smaller than 32x8, nothing fits.
	ClassNone Class = iota
	// ClassMatrix: at least 32x8 (MAX7219 cascades): one scrolling line.
	ClassMatrix
	// ClassOLED32: at least 128x32: address, code, countdown bar.
	ClassOLED32
	// ClassOLED64: at least 128x64: address, big code, bar; pages to a QR.
	ClassOLED64
	// ClassLarge: at least 200x100 (e-paper 250x122, Inky 212x104): text
	// beside a QR code.
	ClassLarge
)

var classNames = [...]string{"none", "32x8", "128x32", "128x64", "250x122"}

// String names the class by the panel size it was designed on.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "none"
}

// ClassOf returns the layout class for a landscape panel of w x h pixels.
func ClassOf(w, h int) Class {
	switch {
	case w >= 200 && h >= 100:
		return ClassLarge
	case w >= 128 && h >= 64:
		return ClassOLED64
	case w >= 128 && h >= 32:
		return ClassOLED32
	case w >= 32 && h >= 8:
		return ClassMatrix
	}
	return ClassNone
}

// DrawOptions are the pixel layout's inputs besides the View.
type DrawOptions struct {
	// Invert draws dark on light (e-paper).
	Invert bool
	// Rotate turns the picture clockwise by 0, 90, 180 or 270 degrees; the
	// layout class follows the turned (logical) size.
	Rotate int
}

// DrawView is the pure pixel layout: it clears dst and draws v as it looks
// at time now. step is the scroll offset in pixels (ClassMatrix, and the
// address line of ClassOLED32) or the page (ClassOLED64); other classes
// ignore it; a negative step counts as 0, as in TextLines. The same inputs
// always give the same pixels, and nothing is drawn outside dst.
func DrawView(dst *image1bit.VerticalLSB, v View, now time.Time, step int, o DrawOptions) {
	// The layouts page and scroll with step % n, which is negative for a
	// negative step: a slice index out of range, found by FuzzLayouts.
	step = max(step, 0)
	c := newCanvas(dst, o)
	c.clear()
	switch ClassOf(c.w, c.h) {
	case ClassLarge:
		layoutLarge(c, v, now)
	case ClassOLED64:
		layout64(c, v, now, step)
	case ClassOLED32:
		layout32(c, v, now, step)
	case ClassMatrix:
		layoutMatrix(c, v, now, step)
	}
}

// stepAt converts the time since a View was shown to the layout's step.
func stepAt(c Class, d time.Duration) int {
	if d < 0 {
		return 0
	}
	switch c {
	case ClassMatrix:
		return int(d / matrixPixelTime)
	case ClassOLED32:
		return int(d / marqueePixelTime)
	case ClassOLED64:
		return int(d / pageTime)
	}
	return 0
}

// How fast things move. A 32x8 matrix scrolls 25 pixels a second (about
// four characters: readable while walking by); the 128x32 address line
// scrolls slower, it is read while typing; 128x64 pages every 6 seconds.
const (
	matrixPixelTime  = 40 * time.Millisecond
	marqueePixelTime = 60 * time.Millisecond
	pageTime         = 6 * time.Second
)

// textStep is how long one step of a character panel lasts: a 4-character
// display shows each page for 1.5 s, a scrolled LCD row moves one
// character every 400 ms.
func textStep(cols, rows int) time.Duration {
	if cols <= 4 {
		return 1500 * time.Millisecond
	}
	return 400 * time.Millisecond
}
