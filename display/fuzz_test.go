package display

import (
	"image"
	"strings"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// FuzzLayouts draws arbitrary views on every size class, turned and
// shifted frames included: no panic, nothing outside the frame, text
// lines always exactly cols printable ASCII characters.
func FuzzLayouts(f *testing.F) {
	f.Add(uint8(1), "WDJB-MJHT", "https://example.com/device", "https://example.com/device?user_code=WDJB-MJHT", "", "", "", 0, int64(300))
	f.Add(uint8(2), "", "", "", "alice@contoso.com", "", "", 7, int64(-5))
	f.Add(uint8(3), "", "", "", "", strings.Repeat("very long reason ", 40), "ünïcødé ✓ \x1b[2J hint", 3, int64(1e9))
	f.Add(uint8(1), strings.Repeat("X", 300), strings.Repeat("ж", 200), strings.Repeat("q", 3000), "", "", "", -9, int64(0))
	f.Add(uint8(200), "\x00\x01", "\n\r\t", "", "", "", "", 1<<30, int64(-1<<40))
	sizes := []image.Rectangle{
		image.Rect(0, 0, 128, 64), image.Rect(0, 0, 128, 32), image.Rect(0, 0, 250, 122),
		image.Rect(0, 0, 32, 8), image.Rect(3, 5, 215, 109), image.Rect(0, 0, 40, 13),
		image.Rect(0, 0, 16, 4), // too small: draws nothing
	}
	f.Fuzz(func(t *testing.T, state uint8, code, uri, complete, account, reason, hint string, step int, dt int64) {
		v := View{State: State(state % 8), UserCode: code, VerificationURI: uri, VerificationURIComplete: complete,
			Account: account, Reason: reason, Hint: hint,
			Issued: t0, ExpiresAt: t0.Add(15 * time.Minute), TokenExpiry: t0.Add(time.Duration(dt) * time.Second)}
		now := t0.Add(time.Duration(dt) * time.Millisecond)
		for _, r := range sizes {
			for _, o := range []DrawOptions{{}, {Invert: true, Rotate: 90}, {Rotate: 270}} {
				img := image1bit.NewVerticalLSB(r)
				DrawView(img, v, now, step, o)
				checkPadding(t, img)
			}
		}
		for _, sz := range [][2]int{{16, 2}, {20, 4}, {4, 1}, {8, 1}, {40, 3}} {
			lines := TextLines(v, sz[0], sz[1], now, step)
			if len(lines) != sz[1] {
				t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
			}
			for _, l := range lines {
				// Up to 4 columns is a 14-segment display, where a '.'
				// shares the digit before it.
				width := len(l)
				if sz[0] <= 4 {
					width = alnumWidth(l)
				}
				if width != sz[0] {
					t.Fatalf("%dx%d: line %q", sz[0], sz[1], l)
				}
				for i := 0; i < len(l); i++ {
					if l[i] < 0x20 || l[i] > 0x7E {
						t.Fatalf("%dx%d: line %q has byte %#x", sz[0], sz[1], l, l[i])
					}
				}
			}
		}
		for _, tty := range []bool{false, true} {
			out := TerminalText(v, now, TerminalOptions{TTY: tty})
			if !tty && strings.ContainsRune(out, 0x1b) {
				t.Fatal("escape code in plain terminal output")
			}
			if tty && strings.Contains(strings.ReplaceAll(strings.ReplaceAll(out, "\x1b[40;97m", ""), "\x1b[0m", ""), "\x1b") {
				t.Fatal("a View string put an escape code on the terminal")
			}
		}
	})
}

// checkPadding fails when a bit outside the frame's bounds is set: the
// bands of a VerticalLSB hold 8 rows, so a frame whose height is not a
// multiple of 8 has bits no layout may touch.
func checkPadding(t *testing.T, img *image1bit.VerticalLSB) {
	t.Helper()
	top := img.Rect.Min.Y &^ 7
	for i, b := range img.Pix {
		band, x := i/img.Stride, i%img.Stride
		for bit := 0; bit < 8; bit++ {
			y := top + band*8 + bit
			if b&(1<<bit) != 0 && (y < img.Rect.Min.Y || y >= img.Rect.Max.Y) {
				t.Fatalf("%v: pixel %d,%d outside the frame is set", img.Rect, img.Rect.Min.X+x, y)
			}
		}
	}
}
