package display

import (
	"sync"

	"rsc.io/qr"
)

// The last few encoded addresses, so a redraw does not encode again (and
// does not allocate): a screen shows one address for minutes.
var (
	qrMu    sync.Mutex
	qrCache [4]struct {
		text string
		code *qr.Code
	}
	qrNext int
)

// qrCode encodes text at level L (the smallest symbol: it decides whether
// the code fits 64 pixels), or returns nil when text is empty or too long.
func qrCode(text string) *qr.Code {
	if text == "" || len(text) > 1000 {
		return nil
	}
	qrMu.Lock()
	defer qrMu.Unlock()
	for _, e := range qrCache {
		if e.code != nil && e.text == text {
			return e.code
		}
	}
	c, err := qr.Encode(text, qr.L)
	if err != nil {
		return nil
	}
	qrCache[qrNext].text, qrCache[qrNext].code = text, c
	qrNext = (qrNext + 1) % len(qrCache)
	return c
}

// qrFit returns the module size in pixels for a code of size modules in a
// square of side pixels, keeping a quiet zone of at least quiet pixels on
// each side, or 0 when not even 2 pixels per module fit (1 pixel per module
// is not reliably scanned off a small panel).
func qrFit(size, side, quiet int) int {
	if size <= 0 {
		return 0
	}
	s := (side - 2*quiet) / size
	if s < 2 {
		return 0
	}
	return s
}

// drawQR draws code at scale pixels per module with its top-left module at
// (x, y), on a light square reaching quiet pixels beyond the modules.
// Light is ink on a light-emitting panel and background on paper, so the
// symbol is always dark modules on light, as scanners expect.
func drawQR(c canvas, code *qr.Code, x, y, scale, quiet int) {
	light := !c.invert
	side := code.Size * scale
	c.rect(x-quiet, y-quiet, x+side+quiet, y+side+quiet, light)
	for my := 0; my < code.Size; my++ {
		for mx := 0; mx < code.Size; mx++ {
			if code.Black(mx, my) {
				c.rect(x+mx*scale, y+my*scale, x+(mx+1)*scale, y+(my+1)*scale, !light)
			}
		}
	}
}
