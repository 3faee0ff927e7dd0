package board

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/inky"
	"periph.io/x/devices/v3/waveshare2in13v2"
	"periph.io/x/devices/v3/waveshare2in13v3"
	"periph.io/x/devices/v3/waveshare2in13v4"
)

// EPDOpts configures NewEPD2in13.
type EPDOpts struct {
	// Rotate180 turns the landscape picture upside down.
	Rotate180 bool
	// BusyTimeout bounds one refresh. Default 30 s.
	BusyTimeout time.Duration
}

// EPaper is a Waveshare 2.13" e-paper panel (V2, V3 or V4) in landscape,
// 250x122. Each Draw is a full refresh (about 2 s with flashing); the caller
// should draw only when the content changes.
//
// periph's drivers wait for the busy pin with no limit (a loop on Read),
// so an unplugged panel whose busy line floats high hangs Draw for ever.
// EPaper gives the driver a busy pin that reads low once BusyTimeout has
// passed and then fails the Draw instead.
type EPaper struct {
	mu   sync.Mutex
	dev  epd
	busy *busyPin
}

// epd is what the three Waveshare drivers have in common.
type epd interface {
	display.Drawer
	Init() error
}

// NewEPD2in13 opens a Waveshare 2.13" panel. kind is KindEPD2in13v2, v3 or
// v4; the pins follow the e-Paper HAT (see PanelConfig) when taken from
// Open.
func NewEPD2in13(port spi.Port, kind string, dc, cs, rst gpio.PinOut, busy gpio.PinIn, opts *EPDOpts) (*EPaper, error) {
	if opts == nil {
		opts = &EPDOpts{}
	}
	timeout := opts.BusyTimeout
	if timeout <= 0 {
		timeout = defaultBusyTimeout
	}
	bp := &busyPin{PinIn: busy, timeout: timeout, now: time.Now}
	var dev epd
	var err error
	// Origin TopRight or BottomLeft puts the long side horizontal.
	switch kind {
	case KindEPD2in13v2:
		o := waveshare2in13v2.EPD2in13v2
		o.Origin = waveshare2in13v2.TopRight
		if opts.Rotate180 {
			o.Origin = waveshare2in13v2.BottomLeft
		}
		dev, err = waveshare2in13v2.New(port, dc, cs, rst, bp, &o)
	case KindEPD2in13v3:
		o := waveshare2in13v3.EPD2in13v3
		o.Origin = waveshare2in13v3.TopRight
		if opts.Rotate180 {
			o.Origin = waveshare2in13v3.BottomLeft
		}
		dev, err = waveshare2in13v3.New(port, dc, cs, rst, bp, &o)
	case KindEPD2in13v4:
		o := waveshare2in13v4.EPD2in13v4
		o.Origin = waveshare2in13v4.TopRight
		if opts.Rotate180 {
			o.Origin = waveshare2in13v4.BottomLeft
		}
		dev, err = waveshare2in13v4.New(port, dc, cs, rst, bp, &o)
	default:
		return nil, fmt.Errorf("board: %q is not a waveshare 2.13 inch e-paper kind", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("board: %s: %v", kind, err)
	}
	e := &EPaper{dev: dev, busy: bp}
	if err := e.run(dev.Init); err != nil {
		return nil, fmt.Errorf("board: %s init: %v", kind, err)
	}
	return e, nil
}

// run calls f with the busy watchdog armed and turns a timeout into an
// error.
func (e *EPaper) run(f func() error) error {
	e.busy.arm()
	err := f()
	if e.busy.stuck() {
		return errors.Join(err, fmt.Errorf("busy pin stayed high for %s; check the panel's wiring and power", e.busy.timeout))
	}
	return err
}

// String implements conn.Resource.
func (e *EPaper) String() string { return e.dev.String() }

// ColorModel implements display.Drawer.
func (e *EPaper) ColorModel() color.Model { return e.dev.ColorModel() }

// Bounds implements display.Drawer: 250x122.
func (e *EPaper) Bounds() image.Rectangle { return e.dev.Bounds() }

// Draw implements display.Drawer with a full refresh.
func (e *EPaper) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.run(func() error { return e.dev.Draw(r, src, sp) }); err != nil {
		return fmt.Errorf("board: e-paper: %v", err)
	}
	return nil
}

// Halt implements conn.Resource. It leaves the last picture on the panel
// (e-paper keeps it without power) instead of periph's Halt, which clears.
func (e *EPaper) Halt() error { return nil }

// busyPin wraps an e-paper busy input so that no wait on it outlasts
// timeout: Read reports low, and an unbounded WaitForEdge returns, once the
// pin has been high for longer than timeout; stuck then reports it.
type busyPin struct {
	gpio.PinIn
	timeout time.Duration
	now     func() time.Time

	mu       sync.Mutex
	highFrom time.Time
	timedOut bool
}

func (b *busyPin) arm() {
	b.mu.Lock()
	b.highFrom, b.timedOut = time.Time{}, false
	b.mu.Unlock()
}

func (b *busyPin) stuck() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timedOut
}

// Read implements gpio.PinIn.
func (b *busyPin) Read() gpio.Level {
	l := b.PinIn.Read()
	b.mu.Lock()
	defer b.mu.Unlock()
	if l == gpio.Low {
		b.highFrom = time.Time{}
		return l
	}
	now := b.now()
	if b.highFrom.IsZero() {
		b.highFrom = now
	}
	if now.Sub(b.highFrom) >= b.timeout {
		b.timedOut = true
		return gpio.Low
	}
	return l
}

// WaitForEdge implements gpio.PinIn; -1 (wait for ever) becomes timeout.
func (b *busyPin) WaitForEdge(t time.Duration) bool {
	if t >= 0 {
		return b.PinIn.WaitForEdge(t)
	}
	if b.PinIn.WaitForEdge(b.timeout) {
		return true
	}
	// No edge: fine if the line is already low (the edge came before the
	// wait began), stuck if it is still high.
	if b.PinIn.Read() == gpio.High {
		b.mu.Lock()
		b.timedOut = true
		b.mu.Unlock()
	}
	return true
}

// InkyOpts configures NewInkyPHAT.
type InkyOpts struct {
	// Model is inky.PHAT (212x104, default) or inky.PHAT2 (250x122).
	Model inky.Model
	// Color is the panel's third colour: inky.Black (the zero value, a
	// black and white panel), inky.Red or inky.Yellow. Open reads model and
	// colour from the pHAT's EEPROM.
	Color inky.Color
	// Rotate180 turns the landscape picture upside down.
	Rotate180 bool
	// BusyTimeout bounds one refresh. Default 30 s.
	BusyTimeout time.Duration
}

// Inky is a Pimoroni Inky pHAT in landscape (212x104, or 250x122 for the
// SSD1608 variant). periph's inky.Dev is portrait (104x212), needs the source
// image to match its bounds exactly, maps every colour that is not pure black
// or pure white to red (anti-aliased grey text turns red), and waits for
// the busy pin without limit; Inky rotates into a portrait buffer, thresholds
// to black and white (pure red stays red) and bounds the wait.
//
// periph's inky.New also keeps its model size only when Opts.Width and
// Height are both set (the test is inverted: with zero sizes the panel gets
// empty bounds); Inky always sets them.
type Inky struct {
	mu       sync.Mutex
	dev      *inky.Dev
	busy     *busyPin
	rect     image.Rectangle // landscape
	land     *image.RGBA
	portrait *image.RGBA
	rot      bool
}

// NewInkyPHAT opens an Inky pHAT on port with the given pins (Pimoroni
// wiring: dc GPIO22, reset GPIO27, busy GPIO17).
func NewInkyPHAT(port spi.Port, dc, reset gpio.PinOut, busy gpio.PinIn, opts *InkyOpts) (*Inky, error) {
	if opts == nil {
		opts = &InkyOpts{}
	}
	timeout := opts.BusyTimeout
	if timeout <= 0 {
		timeout = defaultBusyTimeout
	}
	w, h := 104, 212
	switch opts.Model {
	case inky.PHAT:
	case inky.PHAT2:
		w, h = 122, 250
	default:
		return nil, fmt.Errorf("board: inky model %s not supported; use PHAT or PHAT2", opts.Model)
	}
	bp := &busyPin{PinIn: busy, timeout: timeout, now: time.Now}
	dev, err := inky.New(port, dc, reset, bp, &inky.Opts{
		Model: opts.Model, ModelColor: opts.Color, BorderColor: inky.White,
		Width: w, Height: h,
	})
	if err != nil {
		return nil, fmt.Errorf("board: inky: %v", err)
	}
	if dev.Bounds().Dx() != w || dev.Bounds().Dy() != h {
		return nil, fmt.Errorf("board: inky: driver reports %v, want %dx%d", dev.Bounds(), w, h)
	}
	return &Inky{
		dev:      dev,
		busy:     bp,
		rect:     image.Rect(0, 0, h, w),
		land:     image.NewRGBA(image.Rect(0, 0, h, w)),
		portrait: image.NewRGBA(image.Rect(0, 0, w, h)),
		rot:      opts.Rotate180,
	}, nil
}

// DetectInkyOpts reads the pHAT's EEPROM (0x50 on the I2C bus) for its
// model and colour. It writes the EEPROM's two address bytes (0x00 0x00),
// so it is used only when the panel kind is inky, never while probing.
func DetectInkyOpts(bus i2c.Bus) (*InkyOpts, error) {
	o, err := inky.DetectOpts(bus)
	if err != nil {
		return nil, fmt.Errorf("board: inky: %v", err)
	}
	return &InkyOpts{Model: o.Model, Color: o.ModelColor}, nil
}

// String implements conn.Resource.
func (k *Inky) String() string { return "inky " + k.dev.String() }

// ColorModel implements display.Drawer: white, black and (pure) red.
func (k *Inky) ColorModel() color.Model { return inkyModel }

var inkyModel = color.ModelFunc(func(c color.Color) color.Color {
	r, g, b, a := c.RGBA()
	if a < 0x8000 {
		return color.White
	}
	if r >= 0xC000 && g < 0x4000 && b < 0x4000 {
		return color.RGBA{R: 255, A: 255}
	}
	// Rec. 601 luma.
	if (299*r+587*g+114*b)/1000 >= 0x8000 {
		return color.White
	}
	return color.Black
})

// Bounds implements display.Drawer (landscape).
func (k *Inky) Bounds() image.Rectangle { return k.rect }

// Draw implements display.Drawer with a full refresh (about 15 s for the
// red and yellow panels).
func (k *Inky) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	draw.Src.Draw(k.land, r, src, sp)
	// Landscape (x, y) -> portrait (y, W-1-x): a quarter turn clockwise.
	W, H := k.rect.Dx(), k.rect.Dy()
	for y := range H {
		for x := range W {
			px, py := y, W-1-x
			if k.rot {
				px, py = H-1-y, x
			}
			k.portrait.Set(px, py, inkyModel.Convert(k.land.At(x, y)))
		}
	}
	k.busy.arm()
	err := k.dev.Draw(k.dev.Bounds(), k.portrait, image.Point{})
	if k.busy.stuck() {
		err = errors.Join(err, fmt.Errorf("busy pin stayed high for %s; check the panel", k.busy.timeout))
	}
	if err != nil {
		return fmt.Errorf("board: inky: %v", err)
	}
	return nil
}

// Halt implements conn.Resource; the picture stays on the panel.
func (k *Inky) Halt() error { return nil }

var (
	_ display.Drawer = (*EPaper)(nil)
	_ display.Drawer = (*Inky)(nil)
	_ conn.Resource  = (*Inky)(nil)
	_ gpio.PinIn     = (*busyPin)(nil)
)
