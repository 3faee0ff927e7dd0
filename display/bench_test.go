package display

import (
	"image"
	"io"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// go test ./display -run '^$' -bench . -benchtime=200x
func BenchmarkDrawView(b *testing.B) {
	for _, bb := range []struct {
		name string
		w, h int
		view View
		step int
		o    DrawOptions
	}{
		{"128x64_code", 128, 64, fixtures[1].view, 0, DrawOptions{}},
		{"128x64_qr", 128, 64, fixtures[1].view, 1, DrawOptions{}},
		{"128x64_signed_in", 128, 64, fixtures[3].view, 0, DrawOptions{}},
		{"128x32_code", 128, 32, fixtures[2].view, 7, DrawOptions{}},
		{"250x122_code", 250, 122, fixtures[1].view, 0, DrawOptions{Invert: true}},
		{"32x8_scroll", 32, 8, fixtures[1].view, 40, DrawOptions{}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			img := image1bit.NewVerticalLSB(image.Rect(0, 0, bb.w, bb.h))
			DrawView(img, bb.view, now5, bb.step, bb.o) // first frame: fonts and QR are built
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				DrawView(img, bb.view, now5.Add(time.Duration(i)*time.Second), bb.step, bb.o)
			}
		})
	}
}

// A tick of a screen whose frame did not change: render, compare, no Draw.
func BenchmarkPixelScreenTick(b *testing.B) {
	ck := &clock{now5}
	d := newFake(128, 64)
	s, _ := NewPixelScreen(d, PixelOptions{Now: ck.now})
	s.Show(fixtures[3].view)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Tick(now5.Add(time.Duration(i%100) * time.Millisecond))
	}
}

// A tick of a TTY terminal showing a code: the whole text is laid out again
// (big letters, QR, countdown bar) and compared with what is on screen.
func BenchmarkTerminalTick(b *testing.B) {
	ck := &clock{now5}
	t := NewTerminal(io.Discard, TerminalOptions{TTY: true, Now: ck.now})
	t.Show(fixtures[1].view)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Tick(now5.Add(time.Duration(i) * time.Second))
	}
}
