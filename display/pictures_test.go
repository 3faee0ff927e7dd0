package display

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestREADMEPictures draws the README's pictures through the PNG sink,
// as a panel would get them: go test ./display -update rewrites
// docs/img/; without -update the pictures must still match the layouts.
func TestREADMEPictures(t *testing.T) {
	pics := []struct {
		file  string
		w, h  int
		opts  PixelOptions
		view  View
		after time.Duration // time after Show, to reach a page or scroll step
		zoom  int
	}{
		{"oled128x64-code.png", 128, 64, PixelOptions{}, fixtures[2].view, 0, 3},
		{"oled128x64-qr.png", 128, 64, PixelOptions{}, fixtures[1].view, pageTime, 3},
		{"oled128x64-signed-in.png", 128, 64, PixelOptions{}, fixtures[3].view, 0, 3},
		{"oled128x32-code.png", 128, 32, PixelOptions{}, fixtures[2].view, 0, 3},
		{"epaper250x122-code.png", 250, 122, EPaperOptions, fixtures[1].view, 0, 2},
		{"epaper250x122-error.png", 250, 122, EPaperOptions, fixtures[4].view, 0, 2},
		{"matrix32x8-code.png", 32, 8, PixelOptions{}, fixtures[2].view, 40 * matrixPixelTime, 8},
	}
	dir := t.TempDir()
	for _, p := range pics {
		t.Run(p.file, func(t *testing.T) {
			ck := &clock{now5}
			sink, err := NewPNGSink(filepath.Join(dir, p.file), p.w, p.h)
			if err != nil {
				t.Fatal(err)
			}
			sink.Zoom = p.zoom
			opts := p.opts
			opts.Now = ck.now
			s, err := NewPixelScreen(sink, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Show(p.view); err != nil {
				t.Fatal(err)
			}
			if p.after > 0 {
				if err := s.Tick(ck.add(p.after)); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(filepath.Join(dir, p.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := decodePNG(f)
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, filepath.Join("..", "docs", "img", p.file), img)
		})
	}
}
