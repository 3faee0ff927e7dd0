package display

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"periph.io/x/conn/v3/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// PNGSink is a display.Drawer that writes every frame it is given to a PNG
// file: for development without a panel, and for the README's pictures.
// If path holds a %d verb (frame-%03d.png) each frame gets the next number;
// otherwise each frame replaces the file (written to a temporary file and
// renamed, so a viewer never sees half a frame).
type PNGSink struct {
	// Zoom writes each panel pixel as Zoom x Zoom file pixels (default 1),
	// so pictures of a 128x64 panel stay crisp on a web page. Set it
	// before the first Draw.
	Zoom int

	path string
	rect image.Rectangle

	mu     sync.Mutex
	frame  *image.Paletted
	frames int
}

var _ display.Drawer = (*PNGSink)(nil)

// NewPNGSink returns a sink of width x height pixels writing to path.
func NewPNGSink(path string, width, height int) (*PNGSink, error) {
	if path == "" {
		return nil, errors.New("display: png sink needs a file path")
	}
	if width < 1 || height < 1 || width > 4096 || height > 4096 {
		return nil, fmt.Errorf("display: png size %dx%d is out of range 1..4096", width, height)
	}
	r := image.Rect(0, 0, width, height)
	return &PNGSink{path: path, rect: r, frame: image.NewPaletted(r, color.Palette{color.Black, color.White})}, nil
}

// String names the sink.
func (p *PNGSink) String() string { return "png:" + p.path }

// Halt does nothing: a file needs no power-down.
func (p *PNGSink) Halt() error { return nil }

// ColorModel is 1 bit, like the panels it stands in for.
func (p *PNGSink) ColorModel() color.Model { return image1bit.BitModel }

// Bounds is the sink's size.
func (p *PNGSink) Bounds() image.Rectangle { return p.rect }

// Draw updates the frame and writes it.
func (p *PNGSink) Draw(dst image.Rectangle, src image.Image, sp image.Point) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	draw.Draw(p.frame, dst, src, sp, draw.Src)
	path := p.path
	if strings.Contains(path, "%") {
		path = fmt.Sprintf(path, p.frames)
	}
	var img image.Image = p.frame
	if p.Zoom > 1 {
		img = zoom(p.frame, p.Zoom)
	}
	if err := writePNG(path, img); err != nil {
		return err
	}
	p.frames++
	return nil
}

// zoom returns src scaled up by an integer factor, without smoothing.
func zoom(src *image.Paletted, n int) *image.Paletted {
	b := src.Bounds()
	dst := image.NewPaletted(image.Rect(0, 0, b.Dx()*n, b.Dy()*n), src.Palette)
	for y := 0; y < b.Dy()*n; y++ {
		for x := 0; x < b.Dx()*n; x++ {
			dst.SetColorIndex(x, y, src.ColorIndexAt(b.Min.X+x/n, b.Min.Y+y/n))
		}
	}
	return dst
}

// writePNG writes img to path through a temporary file and a rename.
func writePNG(path string, img image.Image) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return fmt.Errorf("display: png: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("display: png: encode %s: %w", path, err)
	}
	// A picture of a panel holds no secret: readable like any image.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("display: png: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("display: png: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("display: png: %w", err)
	}
	return nil
}

// NewPNGScreen is a PixelScreen on a PNGSink: a panel-less screen for
// development (config name "png").
func NewPNGScreen(path string, width, height int, opts PixelOptions) (*PixelScreen, error) {
	s, err := NewPNGSink(path, width, height)
	if err != nil {
		return nil, err
	}
	return NewPixelScreen(s, opts)
}

// Frames is the number of frames written so far.
func (p *PNGSink) Frames() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames
}
