package board

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/aip31068"
	"periph.io/x/devices/v3/inky"
	"periph.io/x/devices/v3/matrixorbital"
	"periph.io/x/devices/v3/serlcd"
	"periph.io/x/devices/v3/ssd1306"
	"periph.io/x/devices/v3/waveshare1602"
	"periph.io/x/devices/v3/waveshare2in13v2"
	"periph.io/x/devices/v3/waveshare2in13v3"
	"periph.io/x/devices/v3/waveshare2in13v4"
)

// Default I2C addresses (7 bit) per kind.
const (
	AddrSSD1306       uint16 = 0x3C
	AddrSSD1306Alt    uint16 = 0x3D
	AddrPCF8574       uint16 = 0x27
	AddrPCF8574A      uint16 = 0x3F
	AddrAIP31068      uint16 = 0x3E
	AddrPCA9633       uint16 = 0x60 // RGB backlight of the Waveshare LCD1602
	AddrSerLCD        uint16 = 0x72
	AddrMatrixOrbital uint16 = 0x28
	AddrHT16K33       uint16 = 0x70
)

// defaultBusyTimeout bounds an e-paper refresh; a full refresh takes 2-4 s.
const defaultBusyTimeout = 30 * time.Second

func (s *system) open(cfg PanelConfig) (*Panel, error) {
	kind, err := normKind(cfg.Kind)
	if err != nil {
		return nil, err
	}
	cfg.Kind = kind
	switch kind {
	case KindNone:
		return &Panel{Name: "none", Kind: KindNone, Close: nop}, nil
	case KindAuto:
		return s.openAuto(cfg)
	case KindSSD1306SPI, KindEPD2in13v2, KindEPD2in13v3, KindEPD2in13v4, KindInky, KindMAX7219:
		return s.openSPIPanel(cfg)
	default:
		bus, node, err := s.openI2CBus(cfg.I2CBus)
		if err != nil {
			return nil, err
		}
		p, err := openI2CPanel(bus, node, cfg)
		if err != nil {
			_ = bus.Close()
			return nil, err
		}
		return p, nil
	}
}

func (s *system) openAuto(cfg PanelConfig) (*Panel, error) {
	bus, node, err := s.openI2CBus(cfg.I2CBus)
	if err != nil {
		return nil, errorf([]error{ErrNoPanel, err}, "no panel found: %s", detail(err))
	}
	kind, addr, err := Detect(bus)
	if err != nil {
		_ = bus.Close()
		return nil, errorf([]error{ErrNoPanel, err}, "no panel found on %s: %s", node, detail(err))
	}
	cfg.Kind, cfg.I2CAddr = kind, addr
	p, err := openI2CPanel(bus, node, cfg)
	if err != nil {
		_ = bus.Close()
		return nil, err
	}
	return p, nil
}

// CheckTextSize reports whether the character panel of kind can be driven
// at cols x rows, as Open would, so a configuration checker can refuse a
// size before any hardware is touched. periph's aip31068 (and
// waveshare1602, built on it) looks rows up in a table of 2 rows for 16
// columns and 4 for 20, serlcd in a table of 4: a row past the table is an
// index out of range, a panic at the first MoveTo. (The LK2047T checks
// MoveTo against the size it was given.) Other kinds have no limit here.
func CheckTextSize(kind string, cols, rows int) error {
	ok := true
	want := ""
	switch kind {
	case KindHD44780PCF8574:
		ok = (cols == 8 || cols == 16 || cols == 20) && rows >= 1 && rows <= 4 || cols == 40 && rows >= 1 && rows <= 2
		want = "16x2, 20x2, 16x4 or 20x4"
	case KindAIP31068, KindWaveshare1602:
		ok = cols == 16 && rows >= 1 && rows <= 2 || cols == 20 && rows >= 1 && rows <= 4
		want = "16x1, 16x2 or 20x1 to 20x4"
	case KindSerLCD:
		ok = cols >= 1 && cols <= 20 && rows >= 1 && rows <= 4
		want = "up to 20x4"
	}
	if !ok {
		return fmt.Errorf("board: %s size %dx%d not supported; use %s", kind, cols, rows, want)
	}
	return nil
}

// openI2CPanel opens an I2C panel on an already open bus. On success the
// panel's Close closes the bus too.
func openI2CPanel(bus i2c.BusCloser, node string, cfg PanelConfig) (*Panel, error) {
	addr := cfg.I2CAddr
	if addr == 0 {
		addr = defaultAddr(cfg.Kind)
	}
	if addr > 0x7F {
		return nil, fmt.Errorf("board: i2c address %#x out of range; use a 7 bit address such as 0x3c", addr)
	}
	// Check for an acknowledge first: every driver's first write would fail
	// anyway, but with a message that does not say "nothing at 0x27".
	if !probe(bus, addr) {
		return nil, errorf([]error{ErrNotAnswering}, "%s: nothing answers at %#02x on %s; check the wiring and the address (i2cdetect -y -r %s)", cfg.Kind, addr, node, strings.TrimPrefix(filepath.Base(node), "i2c-"))
	}
	p := &Panel{Kind: cfg.Kind}
	where := fmt.Sprintf("at %#02x on %s", addr, node)
	closeBus := func() error { return bus.Close() }
	cols, rows := cfg.Cols, cfg.Rows
	if cols == 0 {
		cols = 16
	}
	if rows == 0 {
		rows = 2
	}
	if err := CheckTextSize(cfg.Kind, cols, rows); err != nil {
		return nil, err
	}
	var err error
	switch cfg.Kind {
	case KindSSD1306I2C:
		var d display.Drawer
		d, err = NewSSD1306I2C(bus, addr, ssd1306Opts(cfg))
		if err == nil {
			p.Drawer = d
			p.Name = fmt.Sprintf("ssd1306-i2c %dx%d %s", d.Bounds().Dx(), d.Bounds().Dy(), where)
		}
	case KindHD44780PCF8574:
		var d *HD44780
		d, err = NewHD44780PCF8574(bus, addr, &HD44780Opts{Cols: cols, Rows: rows})
		if err == nil {
			p.Text = d
		}
	case KindAIP31068:
		var d *aip31068.Dev
		d, err = aip31068.New(bus, addr, nil, rows, cols)
		if err == nil {
			p.Text = d
		}
	case KindWaveshare1602:
		// The module's RGB backlight controller sits at 0x60; without it the
		// mono variant is assumed.
		variant := waveshare1602.LCD1602MonoBacklight
		if probe(bus, AddrPCA9633) {
			variant = waveshare1602.LCD1602RGBBacklight
		}
		var d *aip31068.Dev
		d, err = waveshare1602.New(bus, variant, rows, cols)
		if err == nil {
			p.Text = d
		}
	case KindSerLCD:
		d := serlcd.NewConn(&i2c.Dev{Bus: bus, Addr: addr}, rows, cols)
		// The constructor sends nothing; clear now so a dead panel fails here.
		err = d.Clear()
		if err == nil {
			p.Text = d
		}
	case KindMatrixOrbital:
		d := matrixorbital.NewConnLK2047T(&i2c.Dev{Bus: bus, Addr: addr}, rows, cols)
		err = d.Clear()
		if err == nil {
			p.Text = d
		}
	case KindHT16K33:
		var d *Alnum
		d, err = NewAlnum(bus, addr)
		if err == nil {
			p.Text = d
			cols, rows = d.Cols(), d.Rows()
		}
	default:
		return nil, fmt.Errorf("board: panel kind %q is not an i2c panel", cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("board: %s %s: %v", cfg.Kind, where, err)
	}
	if p.Text != nil {
		var reserved map[byte]byte
		if cfg.Kind == KindSerLCD {
			reserved = serlcdReserved
		}
		if p.Text.MinRow() != 0 || p.Text.MinCol() != 0 || reserved != nil {
			p.Text = NewZeroBased(p.Text, reserved)
		}
		p.Cols, p.Rows = cols, rows
		p.Name = fmt.Sprintf("%s %dx%d %s", cfg.Kind, cols, rows, where)
	}
	// Close turns the panel off (blank, backlight off) so a stopped agent
	// leaves no stale code on it, then releases the bus.
	// Text panels go through the TextDisplay calls rather than Halt:
	// matrixorbital's Halt fails on any connection that is not an
	// io.Closer, which an I2C device never is.
	p.Close = func() error {
		var errs []error
		if h, ok := p.Drawer.(interface{ Halt() error }); ok {
			errs = append(errs, h.Halt())
		}
		if t := p.Text; t != nil {
			errs = append(errs, t.Clear(), t.Display(false))
			if bl, ok := t.(display.DisplayBacklight); ok {
				// A fixed backlight is not a failure.
				if err := bl.Backlight(0); !errors.Is(err, display.ErrNotImplemented) {
					errs = append(errs, err)
				}
			}
		}
		errs = append(errs, closeBus())
		return errors.Join(errs...)
	}
	return p, nil
}

func defaultAddr(kind string) uint16 {
	switch kind {
	case KindSSD1306I2C:
		return AddrSSD1306
	case KindHD44780PCF8574:
		return AddrPCF8574
	case KindAIP31068, KindWaveshare1602:
		return AddrAIP31068
	case KindSerLCD:
		return AddrSerLCD
	case KindMatrixOrbital:
		return AddrMatrixOrbital
	case KindHT16K33:
		return AddrHT16K33
	}
	return 0
}

func ssd1306Opts(cfg PanelConfig) *ssd1306.Opts {
	o := ssd1306.DefaultOpts
	if cfg.Width != 0 {
		o.W = cfg.Width
	}
	if cfg.Height != 0 {
		o.H = cfg.Height
	}
	// 128x32 panels wire COM pins sequentially; with the default
	// (alternative) layout every other line is missing.
	o.Sequential = o.H <= 32
	if cfg.Rotate180 {
		o.MirrorVertical, o.MirrorHorizontal = true, true
	}
	return &o
}

// spiPins are the pins an SPI panel uses; nil where not wired.
type spiPins struct {
	dc, reset, cs gpio.PinOut
	busy          gpio.PinIn
}

// defaultPins are the GPIO pins an SPI panel of kind is wired to on its
// usual HAT, by role (dc, reset, busy, cs); "" for none.
func defaultPins(kind string) (dc, reset, busy, cs string) {
	switch kind {
	case KindSSD1306SPI:
		return "GPIO24", "", "", ""
	case KindEPD2in13v2, KindEPD2in13v3, KindEPD2in13v4:
		// Waveshare e-Paper HAT.
		return "GPIO25", "GPIO17", "GPIO24", "GPIO8"
	case KindInky:
		// Pimoroni Inky pHAT.
		return "GPIO22", "GPIO27", "GPIO17", ""
	}
	return "", "", "", ""
}

// PanelPins returns the GPIO pins the panel cfg describes will claim, by
// role ("dc", "reset", "busy", "cs"): the configured ones, else the
// defaults of its kind. A configuration checker uses it to refuse a button
// on a pin the panel needs.
func PanelPins(cfg PanelConfig) map[string]string {
	dc, reset, busy, cs := defaultPins(cfg.Kind)
	pins := map[string]string{}
	for role, pin := range map[string]string{"dc": cmp.Or(cfg.DCPin, dc), "reset": cmp.Or(cfg.ResetPin, reset),
		"busy": cmp.Or(cfg.BusyPin, busy), "cs": cmp.Or(cfg.CSPin, cs)} {
		if pin != "" {
			pins[role] = pin
		}
	}
	return pins
}

func (s *system) spiPanelPins(cfg PanelConfig) (spiPins, error) {
	dcDef, rstDef, busyDef, csDef := defaultPins(cfg.Kind)
	var ps spiPins
	var err error
	get := func(name, def, role string) gpio.PinIO {
		if err != nil {
			return nil
		}
		var p gpio.PinIO
		p, err = s.openPin(name, def, role)
		return p
	}
	if p := get(cfg.DCPin, dcDef, "dc"); p != nil {
		ps.dc = p
	}
	if p := get(cfg.ResetPin, rstDef, "reset"); p != nil {
		ps.reset = p
	}
	if p := get(cfg.CSPin, csDef, "cs"); p != nil {
		ps.cs = p
	}
	if p := get(cfg.BusyPin, busyDef, "busy"); p != nil {
		ps.busy = p
	}
	return ps, err
}

func (s *system) openSPIPanel(cfg PanelConfig) (*Panel, error) {
	port, node, err := s.openSPIPort(cfg.SPIPort)
	if err != nil {
		return nil, err
	}
	p, err := s.openSPIPanelOn(port, node, cfg)
	if err != nil {
		_ = port.Close()
		return nil, err
	}
	return p, nil
}

func (s *system) openSPIPanelOn(port spi.PortCloser, node string, cfg PanelConfig) (*Panel, error) {
	pins, err := s.spiPanelPins(cfg)
	if err != nil {
		return nil, err
	}
	timeout := cfg.BusyTimeout
	if timeout <= 0 {
		timeout = defaultBusyTimeout
	}
	p := &Panel{Kind: cfg.Kind}
	var d display.Drawer
	switch cfg.Kind {
	case KindSSD1306SPI:
		d, err = NewSSD1306SPI(port, pins.dc, pins.reset, ssd1306Opts(cfg))
	case KindEPD2in13v2, KindEPD2in13v3, KindEPD2in13v4:
		if pins.dc == nil || pins.reset == nil || pins.busy == nil || pins.cs == nil {
			return nil, errors.New("board: e-paper needs dc, reset, busy and cs pins")
		}
		d, err = NewEPD2in13(port, cfg.Kind, pins.dc, pins.cs, pins.reset, pins.busy, &EPDOpts{Rotate180: cfg.Rotate180, BusyTimeout: timeout})
		p.EPaper = true
	case KindInky:
		if pins.dc == nil || pins.reset == nil || pins.busy == nil {
			return nil, errors.New("board: inky needs dc, reset and busy pins")
		}
		o := s.inkyOpts(cfg)
		o.Rotate180, o.BusyTimeout = cfg.Rotate180, timeout
		d, err = NewInkyPHAT(port, pins.dc, pins.reset, pins.busy, o)
		p.EPaper = true
	case KindMAX7219:
		d, err = NewMatrix(port, &MatrixOpts{Cascade: cfg.Cascade, Rotate180: cfg.Rotate180})
	default:
		return nil, fmt.Errorf("board: panel kind %q is not an spi panel", cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("board: %s on %s: %v", cfg.Kind, node, err)
	}
	b := d.Bounds()
	p.Drawer = d
	p.Name = fmt.Sprintf("%s %dx%d on %s", cfg.Kind, b.Dx(), b.Dy(), node)
	p.Close = func() error { return errors.Join(d.Halt(), port.Close()) }
	return p, nil
}

// inkyOpts reads the pHAT's EEPROM when an I2C bus is there; without it
// the panel is taken for a black pHAT (any pHAT draws black and white
// correctly with it; only the third colour needs the right model).
func (s *system) inkyOpts(cfg PanelConfig) *InkyOpts {
	bus, _, err := s.openI2CBus(cfg.I2CBus)
	if err != nil {
		return &InkyOpts{Model: inky.PHAT, Color: inky.Black}
	}
	defer bus.Close()
	o, err := DetectInkyOpts(bus)
	if err != nil || (o.Model != inky.PHAT && o.Model != inky.PHAT2) {
		return &InkyOpts{Model: inky.PHAT, Color: inky.Black}
	}
	return o
}

func nop() error { return nil }

// Compile-time checks that the periph drivers used as they are satisfy the
// interfaces Panel promises.
var (
	_ display.TextDisplay = (*aip31068.Dev)(nil)
	_ display.TextDisplay = (*serlcd.Dev)(nil)
	_ display.TextDisplay = (*matrixorbital.LK2047T)(nil)
	_ display.Drawer      = (*ssd1306.Dev)(nil)
	_ display.Drawer      = (*waveshare2in13v2.Dev)(nil)
	_ display.Drawer      = (*waveshare2in13v3.Dev)(nil)
	_ display.Drawer      = (*waveshare2in13v4.Dev)(nil)
	_ display.Drawer      = (*inky.Dev)(nil)
	_                     = image.Point{}
)
