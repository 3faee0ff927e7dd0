package display

import (
	"time"
)

// Text working space: every layout copies the View's strings into stack
// buffers (as sanitised ASCII), so a frame costs no allocation.
const bufSize = 256

// line height and baseline offset of the 7x13 face: caps are 9 pixels,
// descenders 2, and one row of air above.
const (
	smallLine = 13
	smallBase = 10 // baseline from the top of a small line
)

// bar draws the countdown: an outline [x0,x1) x [y0,y0+h) filled in
// proportion to the time left, shrinking towards the left as the code ages.
func bar(c canvas, v View, now time.Time, x0, y0, x1, h int) {
	if v.ExpiresAt.IsZero() || x1-x0 < 4 || h < 3 {
		return
	}
	c.frame(x0, y0, x1, y0+h)
	total := v.ExpiresAt.Sub(v.Issued)
	if v.Issued.IsZero() || total <= 0 {
		total = 15 * time.Minute // Entra's default lifetime
	}
	left := min(remaining(v, now), total)
	inner := x1 - x0 - 4
	fillW := fillOf(inner, left, total)
	if left > 0 && fillW == 0 {
		fillW = 1 // a live code never shows an empty bar
	}
	if h == 3 {
		c.rect(x0+1, y0+1, x0+1+fillW+2, y0+2, true)
		return
	}
	c.rect(x0+2, y0+2, x0+2+fillW, y0+h-2, true)
}

// smallLines draws wrapped lines of text in the 7x13 face from y,
// returning the y below them.
func smallLines(c canvas, x, y int, text []byte, lines []span) int {
	f := smallFont()
	for _, l := range lines {
		f.draw(c, x, y+smallBase, text[l.a:l.b], true)
		y += smallLine
	}
	return y
}

// centred returns the x that centres n characters of f in [x0, x1).
func centred(f *bitFont, n, x0, x1 int) int {
	return x0 + max((x1-x0-f.width(n))/2, 0)
}

// marquee draws s in the small face on the line at y in [x0, x1): still
// when it fits, else scrolling left one pixel per step with a gap before
// it comes round again.
func marquee(c canvas, x0, y, x1 int, s []byte, step int) {
	f := smallFont()
	w := f.width(len(s))
	if w <= x1-x0 {
		f.draw(c, centred(f, len(s), x0, x1), y+smallBase, s, true)
		return
	}
	period := w + 4*f.advance
	off := step % period
	if off < 0 {
		off += period
	}
	f.draw(c, x0-off, y+smallBase, s, true)
	f.draw(c, x0-off+period, y+smallBase, s, true)
}

// drawMessage lays out a non-code state: the title large, the sentences
// wrapped below in the small face; when they need more lines than fit,
// step pages through them.
func drawMessage(c canvas, v View, now time.Time, titleMax, step int) {
	title, sentences := message(v)
	var tb [32]byte
	t := appendASCII(tb[:0], title)
	f := fitBig(len(t), c.w-4, titleMax)
	y := 1
	if f != nil {
		f.draw(c, centred(f, len(t), 0, c.w), y+f.top, t, true)
		y += f.top + f.bottom + 2
	}
	cols := (c.w - 4) / smallFont().advance
	avail := (c.h - y) / smallLine
	if avail <= 0 {
		return
	}
	// Each sentence is wrapped on its own, into one buffer.
	var buf [3 * bufSize]byte
	var lines [8]span
	text := buf[:0]
	n := 0
	for i, s := range sentences {
		start := len(text)
		if v.State == SignedIn && i == 1 {
			text = appendTokenLeft(text, v, now)
		} else {
			text = appendASCII(text, s)
		}
		if len(text)-start > bufSize {
			text = text[:start+bufSize]
		}
		if len(text) == start || n >= len(lines) {
			continue
		}
		m := wrap(text[start:], cols, lines[n:])
		for j := n; j < n+m; j++ {
			lines[j].a += start
			lines[j].b += start
		}
		n += m
	}
	// More lines than fit: show them a screenful at a time, one per step.
	if n > avail {
		pagesN := (n + avail - 1) / avail
		first := (step % pagesN) * avail
		smallLines(c, 2, y, text, lines[first:min(first+avail, n)])
		return
	}
	smallLines(c, 2, y, text, lines[:n])
}

// layoutLarge (e-paper 250x122, Inky 212x104): the address and the code
// on the left, the QR code on the right, the countdown at the bottom.
func layoutLarge(c canvas, v View, now time.Time) {
	if v.State != AwaitingUser {
		drawMessage(c, v, now, 24, 0)
		return
	}
	textR := c.w - 2
	if code := qrCode(qrTarget(v)); code != nil {
		if s := qrFit(code.Size, c.h, 3); s > 0 && code.Size*s <= c.w/2 {
			side := code.Size * s
			x := c.w - side - (c.h-side)/2
			drawQR(c, code, x, (c.h-side)/2, s, 3)
			textR = x - 6
		}
	}
	f := smallFont()
	cols := (textR - 2) / f.advance
	var lb [16]byte
	f.draw(c, 2, 1+smallBase, appendASCII(lb[:0], "Sign in at"), true)
	y := 1 + smallLine
	var ab [bufSize]byte
	var lines [3]span
	addr := appendASCII(ab[:0], shortURI(v.VerificationURI))
	n := wrap(addr, cols, lines[:])
	y = smallLines(c, 2, y, addr, lines[:n])
	y += 2
	var cb [bufSize]byte
	code := appendASCII(cb[:0], v.UserCode)
	bottom := c.h - smallLine - 8
	if big := fitBig(len(code), textR-2, bottom-y-2); big != nil {
		top := y + (bottom-y-big.top)/2
		big.draw(c, centred(big, len(code), 2, textR), top+big.top, code, true)
	}
	var mb [32]byte
	left := appendLeft(mb[:0], v, now)
	f.draw(c, 2, c.h-9-smallLine+smallBase, left, true)
	bar(c, v, now, 2, c.h-7, textR, 6)
}

// layout64 (OLED 128x64). Page 0: the address over the code in the largest
// face that fits, the bar below. Odd pages, when a QR code of at least 2
// pixels per module fits 64 pixels (version 3 and below: 29 modules), show
// the QR on the right and the code in two lines beside it. The address
// needs the full width, so the two take turns rather than both shrink.
func layout64(c canvas, v View, now time.Time, step int) {
	if v.State != AwaitingUser {
		drawMessage(c, v, now, 16, step)
		return
	}
	var cb [bufSize]byte
	code := appendASCII(cb[:0], v.UserCode)
	if step%2 == 1 {
		if qrc := qrCode(qrTarget(v)); qrc != nil {
			if s := qrFit(qrc.Size, c.h, 2); s > 0 {
				side := qrc.Size * s
				quiet := (c.h - side) / 2
				x := c.w - side - quiet
				drawQR(c, qrc, x, quiet, s, quiet)
				split64(c, code, x-quiet-2, v, now)
				return
			}
		}
	}
	f := smallFont()
	var ab [bufSize]byte
	var lines [2]span
	addr := appendASCII(ab[:0], shortURI(v.VerificationURI))
	n := wrap(addr, c.w/f.advance, lines[:])
	y := 0
	for _, l := range lines[:n] {
		f.draw(c, centred(f, l.b-l.a, 0, c.w), y+smallBase, addr[l.a:l.b], true)
		y += smallLine
	}
	barH := 6
	y += 2
	if big := fitBig(len(code), c.w-2, c.h-barH-2-y-2); big != nil {
		top := y + (c.h-barH-2-y-big.top)/2
		big.draw(c, centred(big, len(code), 0, c.w), top+big.top, code, true)
	}
	bar(c, v, now, 0, c.h-barH, c.w, barH)
}

// split64 draws the code in two lines (split after a '-' near the middle,
// else at the middle) in [0, right), with the bar below.
func split64(c canvas, code []byte, right int, v View, now time.Time) {
	cut := (len(code) + 1) / 2
	for i := range code {
		if code[i] == '-' && i+1 >= len(code)/2 && i+1 <= (len(code)+3)/2 {
			cut = i + 1
			break
		}
	}
	a, b := code[:cut], code[cut:]
	barH := 6
	lineH := (c.h - barH - 2) / 2
	if big := fitBig(max(len(a), len(b)), right, lineH-4); big != nil {
		y := (lineH - big.top) / 2
		big.draw(c, centred(big, len(a), 0, right), y+big.top, a, true)
		big.draw(c, centred(big, len(b), 0, right), lineH+y+big.top, b, true)
	}
	bar(c, v, now, 0, c.h-barH, right, barH)
}

// layout32 (OLED 128x32): the address on the top line (scrolling when
// longer than 18 characters), the code below, a thin bar at the bottom.
// No QR: 29 modules at 1 pixel each do not scan reliably.
func layout32(c canvas, v View, now time.Time, step int) {
	if v.State != AwaitingUser {
		title, sentences := message(v)
		var tb [bufSize]byte
		t := appendASCII(tb[:0], title)
		f := fitBig(len(t), c.w-2, 12)
		if f != nil {
			f.draw(c, centred(f, len(t), 0, c.w), f.top, t, true)
		}
		var sb [bufSize]byte
		s := sb[:0]
		for i, x := range sentences {
			if v.State == SignedIn && i == 1 {
				if len(s) > 0 {
					s = append(s, ". "...)
				}
				s = appendTokenLeft(s, v, now)
				continue
			}
			if x == "" || len(s)+len(x)+2 > bufSize {
				continue
			}
			if len(s) > 0 {
				s = append(s, ". "...)
			}
			s = appendASCII(s, x)
		}
		marquee(c, 0, c.h-smallLine-1, c.w, s, step)
		return
	}
	var ab [bufSize]byte
	addr := appendASCII(ab[:0], shortURI(v.VerificationURI))
	marquee(c, 0, -1, c.w, addr, step)
	var cb [bufSize]byte
	code := appendASCII(cb[:0], v.UserCode)
	top := smallLine - 1
	if big := fitBig(len(code), c.w-2, c.h-top-4-1); big != nil {
		big.draw(c, centred(big, len(code), 0, c.w), top+1+big.top, code, true)
	}
	bar(c, v, now, 0, c.h-3, c.w, 3)
}

// fillOf is how many of n cells a countdown with left of total remaining
// fills, in [0, n]. In floating point: n times a lifetime of decades in
// nanoseconds overflows an int64.
func fillOf(n int, left, total time.Duration) int {
	if n <= 0 || total <= 0 || left <= 0 {
		return 0
	}
	return min(int(float64(n)*(float64(left)/float64(total))), n)
}

// matrixText is the one line a 32x8 matrix scrolls.
func matrixText(dst []byte, v View, now time.Time) []byte {
	if v.State == AwaitingUser {
		dst = append(dst, "CODE "...)
		dst = appendASCII(dst, v.UserCode)
		dst = append(dst, " AT "...)
		dst = appendASCII(dst, shortURI(v.VerificationURI))
		if !v.ExpiresAt.IsZero() {
			dst = append(dst, " - "...)
			dst = appendLeft(dst, v, now)
		}
		return dst
	}
	title, sentences := message(v)
	dst = appendASCII(dst, title)
	for i, s := range sentences {
		if v.State == SignedIn && i == 1 && !v.TokenExpiry.IsZero() {
			dst = append(dst, ": "...)
			dst = appendTokenLeft(dst, v, now)
			continue
		}
		if s != "" {
			dst = append(dst, ": "...)
			dst = appendASCII(dst, s)
		}
	}
	return dst
}

// layoutMatrix (32x8 LED matrices, and anything too small for 128x32): one
// line in an 8x8 font scrolling left one pixel per step.
func layoutMatrix(c canvas, v View, now time.Time, step int) {
	var b [bufSize * 2]byte
	s := matrixText(b[:0], v, now)
	if len(s) > bufSize {
		s = s[:bufSize]
	}
	// The line starts at the left edge (readable at once), moves left, and
	// comes back in from the right after a panel's width of gap.
	period := len(s)*8 + c.w
	off := step % period
	if off < 0 {
		off += period
	}
	x := -off
	if x+len(s)*8 <= 0 {
		x += period
	}
	y := (c.h - 8) / 2
	for i := 0; i < len(s); i++ {
		if x+8 > 0 && x < c.w {
			g := &matrixGlyphs[s[i]-0x20]
			for row := 0; row < 8; row++ {
				bits := g[row]
				for col := 0; col < 8; col++ {
					if bits&(0x80>>col) != 0 {
						c.set(x+col, y+row, true)
					}
				}
			}
		}
		x += 8
	}
}
