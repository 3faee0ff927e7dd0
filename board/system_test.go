package board

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

// fakeSystem is a machine with the given device nodes under a temporary
// /dev. Buses come from the fields; a node listed in denied cannot be opened.
type fakeSystem struct {
	system
	inits  int
	bus    i2c.BusCloser
	port   spi.PortCloser
	pins   map[string]gpio.PinIO
	denied map[string]bool
	opened []string
}

// busCloser adds Close to a test bus.
type busCloser struct{ i2c.Bus }

func (busCloser) Close() error { return nil }

func newFakeSystem(t testing.TB, nodes ...string) *fakeSystem {
	t.Helper()
	dir := t.TempDir()
	for _, n := range nodes {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := &fakeSystem{pins: map[string]gpio.PinIO{}, denied: map[string]bool{}}
	f.system = system{
		devRoot: dir,
		init:    func() error { f.inits++; return nil },
		openI2C: func(name string) (i2c.BusCloser, error) {
			f.opened = append(f.opened, name)
			if f.bus == nil {
				// What i2creg says when host.Init found nothing.
				return nil, errors.New("i2creg: no bus found; did you forget to call Init()?")
			}
			return f.bus, nil
		},
		openSPI: func(name string) (spi.PortCloser, error) {
			f.opened = append(f.opened, name)
			if f.port == nil {
				return nil, errors.New("spireg: no port found; did you forget to call Init()?")
			}
			return f.port, nil
		},
		pin: func(name string) gpio.PinIO { return f.pins[name] },
		openNode: func(path string) (io.Closer, error) {
			if f.denied[filepath.Base(path)] {
				return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}
			}
			return os.Open(path)
		},
	}
	return f
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nodes  []string
		denied string
		bus    i2c.Bus
		cfg    PanelConfig
		is     error
		want   []string // substrings of the message
	}{
		{"no i2c node", nil, "", nil, PanelConfig{Kind: KindSSD1306I2C}, ErrNoI2C,
			[]string{"no ", "/i2c-* device", "dtparam=i2c_arm=on", "/boot/firmware/config.txt", "modprobe i2c-dev"}},
		{"auto without i2c", nil, "", nil, PanelConfig{}, ErrNoI2C,
			[]string{"no panel found", "dtparam=i2c_arm=on"}},
		{"no spi node", []string{"i2c-1"}, "", nil, PanelConfig{Kind: KindMAX7219}, ErrNoSPI,
			[]string{"/spidev* device", "dtparam=spi=on"}},
		{"i2c permission", []string{"i2c-1"}, "i2c-1", nil, PanelConfig{Kind: KindHD44780PCF8574}, ErrPermission,
			[]string{"permission denied on", "i2c-1", "group i2c"}},
		{"registry blames init, spi", []string{"spidev0.0"}, "", nil, PanelConfig{Kind: KindMAX7219}, nil,
			[]string{"open ", "spidev0.0", "no port found"}},
		{"spi permission", []string{"spidev0.0"}, "spidev0.0", nil, PanelConfig{Kind: KindMAX7219}, ErrPermission,
			[]string{"spidev0.0", "group spi"}},
		{"gpio permission", []string{"spidev0.0", "gpiochip0"}, "gpiochip0", nil, PanelConfig{Kind: KindSSD1306SPI}, ErrPermission,
			[]string{"gpiochip0", "group gpio"}},
		{"no gpio at all", []string{"spidev0.0"}, "", nil, PanelConfig{Kind: KindSSD1306SPI}, ErrNoGPIO,
			[]string{"no gpio on this machine", "gpiochip0", "dc pin"}},
		{"unknown bus name", []string{"i2c-1"}, "", nil, PanelConfig{Kind: KindSerLCD, I2CBus: "7"}, ErrNoI2C,
			[]string{`bus "7" not found`, "i2c-1"}},
		{"nothing at the address", []string{"i2c-1"}, "", newProbeBus(), PanelConfig{Kind: KindSSD1306I2C, I2CAddr: 0x3D}, ErrNotAnswering,
			[]string{"ssd1306-i2c: nothing answers at 0x3d", "i2c-1", "i2cdetect -y -r 1"}},
		{"auto, empty bus", []string{"i2c-1"}, "", newProbeBus(), PanelConfig{Kind: KindAuto}, ErrNoPanel,
			[]string{"no panel found", "0x3c"}},
		{"registry blames init", []string{"i2c-1"}, "", nil, PanelConfig{Kind: KindSerLCD}, nil,
			[]string{"open ", "i2c-1", "no bus found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSystem(t, tc.nodes...)
			if tc.denied != "" {
				f.denied[tc.denied] = true
			}
			if tc.bus != nil {
				f.bus = busCloser{tc.bus}
			}
			if !strings.HasPrefix(tc.name, "registry") {
				f.port = &spitest.Record{}
			}
			p, err := f.open(tc.cfg)
			if err == nil {
				t.Fatalf("Open succeeded: %+v", p)
			}
			msg := err.Error()
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", msg, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "Init()") {
				t.Errorf("error %q passes on the registry's hint to call Init", msg)
			}
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "board: ") || strings.Count(msg, "board:") != 1 {
				t.Errorf("error %q is not one line prefixed with board:", msg)
			}
			if tc.is == ErrNoI2C && len(tc.nodes) == 0 && f.inits != 0 {
				t.Errorf("host init ran %d times although no bus exists", f.inits)
			}
		})
	}
}

func TestOpenUnknownKind(t *testing.T) {
	_, err := newFakeSystem(t).open(PanelConfig{Kind: "lcd9000"})
	if err == nil || !strings.Contains(err.Error(), "unknown panel kind") || !strings.Contains(err.Error(), KindSSD1306I2C) {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenNone(t *testing.T) {
	p, err := newFakeSystem(t).open(PanelConfig{Kind: "None"})
	if err != nil || p.Drawer != nil || p.Text != nil || p.Close() != nil {
		t.Fatalf("none: %+v %v", p, err)
	}
}

func TestOpenAutoFindsOLEDAt3D(t *testing.T) {
	f := newFakeSystem(t, "i2c-1", "i2c-10", "i2c-2")
	bus := &passWrites{present: map[uint16]bool{0x3D: true}}
	f.bus = busCloser{bus}
	p, err := f.open(PanelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Kind != KindSSD1306I2C || p.Drawer == nil || p.Text != nil {
		t.Fatalf("panel %+v", p)
	}
	if !strings.Contains(p.Name, "0x3d") || !strings.Contains(p.Name, "i2c-1") || !strings.Contains(p.Name, "128x64") {
		t.Errorf("name %q", p.Name)
	}
	if want := filepath.Join(f.devRoot, "i2c-1"); len(f.opened) != 1 || f.opened[0] != want {
		t.Errorf("opened %v, want the first bus %s", f.opened, want)
	}
}

// passWrites is a bus with devices at present: transactions there succeed
// (reads return zeros) and are recorded, anything else fails like a NACK.
type passWrites struct {
	i2ctest.Record
	present map[uint16]bool
}

func (b *passWrites) Tx(addr uint16, w, r []byte) error {
	if !b.present[addr] {
		return errors.New("sysfs-i2c: remote I/O error")
	}
	clear(r)
	b.Lock()
	defer b.Unlock()
	b.Ops = append(b.Ops, i2ctest.IO{Addr: addr, W: append([]byte(nil), w...), R: append([]byte(nil), r...)})
	return nil
}

func TestOpenTextPanels(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		addr       uint16
		cols, rows int
	}{
		{KindHD44780PCF8574, 0x27, 20, 4},
		{KindHT16K33, 0x70, 4, 1},
		{KindSerLCD, 0x72, 16, 2},
		{KindSerLCD, 0x72, 20, 4},
		{KindAIP31068, 0x3E, 16, 2},
		{KindAIP31068, 0x3E, 20, 4},
		{KindMatrixOrbital, 0x28, 20, 4},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := newFakeSystem(t, "i2c-1")
			f.bus = busCloser{&passWrites{present: map[uint16]bool{tc.addr: true}}}
			cols, rows := tc.cols, tc.rows
			if tc.kind == KindHT16K33 {
				cols, rows = 0, 0
			}
			p, err := f.open(PanelConfig{Kind: tc.kind, Cols: cols, Rows: rows})
			if err != nil {
				t.Fatal(err)
			}
			if p.Text == nil || p.Drawer != nil || p.Cols != tc.cols || p.Rows != tc.rows {
				t.Fatalf("panel %+v", p)
			}
			// Every text panel counts from 0, whatever its driver does.
			if p.Text.MinRow() != 0 || p.Text.MinCol() != 0 {
				t.Errorf("min row/col %d,%d", p.Text.MinRow(), p.Text.MinCol())
			}
			for _, pos := range [][2]int{{0, 0}, {tc.rows - 1, tc.cols - 1}} {
				if err := p.Text.MoveTo(pos[0], pos[1]); err != nil {
					t.Errorf("MoveTo(%d,%d): %v", pos[0], pos[1], err)
				}
			}
			if err := p.Text.MoveTo(tc.rows, 0); err == nil {
				t.Errorf("MoveTo(%d,0) accepted", tc.rows)
			}
			bus := f.bus.(busCloser).Bus.(*passWrites)
			n := len(bus.Ops)
			if _, err := p.Text.WriteString("a|b"); err != nil {
				t.Fatal(err)
			}
			if tc.kind == KindSerLCD {
				for _, op := range bus.Ops[n:] {
					if bytes.IndexByte(op.W, '|') >= 0 {
						t.Errorf("'|' (a serlcd command prefix) sent as text: %q", op.W)
					}
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Sizes a character panel's driver cannot address are refused when the
// panel opens: periph's aip31068 and serlcd index row tables of 2 (16
// columns) or 4 rows, and a row past them panics at the first MoveTo.
func TestOpenRefusesTextSizesTheDriverCannotAddress(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		addr       uint16
		cols, rows int
	}{
		{KindAIP31068, 0x3E, 16, 4}, // cols left at its default 16, rows 4
		{KindAIP31068, 0x3E, 20, 5},
		{KindAIP31068, 0x3E, 8, 2},
		{KindWaveshare1602, 0x3E, 16, 3},
		{KindSerLCD, 0x72, 20, 5},
		{KindSerLCD, 0x72, 40, 2},
	} {
		t.Run(fmt.Sprintf("%s %dx%d", tc.kind, tc.cols, tc.rows), func(t *testing.T) {
			f := newFakeSystem(t, "i2c-1")
			f.bus = busCloser{&passWrites{present: map[uint16]bool{tc.addr: true, AddrPCA9633: true}}}
			p, err := f.open(PanelConfig{Kind: tc.kind, Cols: tc.cols, Rows: tc.rows})
			if err == nil {
				p.Close()
				t.Fatalf("opened %s", p.Name)
			}
			if want := fmt.Sprintf("size %dx%d not supported", tc.cols, tc.rows); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		})
	}
}

func TestOpenSPIPanels(t *testing.T) {
	for _, tc := range []struct {
		kind string
		w, h int
	}{
		{KindSSD1306SPI, 128, 64},
		{KindMAX7219, 32, 8},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := newFakeSystem(t, "spidev0.0", "spidev0.1", "gpiochip0")
			f.port = &spitest.Record{}
			f.pins["GPIO24"] = &gpiotest.Pin{N: "GPIO24"}
			p, err := f.open(PanelConfig{Kind: tc.kind})
			if err != nil {
				t.Fatal(err)
			}
			if p.Drawer == nil || p.Drawer.Bounds() != image.Rect(0, 0, tc.w, tc.h) {
				t.Fatalf("panel %+v", p)
			}
			if !strings.Contains(p.Name, "spidev0.0") {
				t.Errorf("name %q", p.Name)
			}
		})
	}
}

func TestOpenMissingPin(t *testing.T) {
	f := newFakeSystem(t, "spidev0.0", "gpiochip0")
	f.port = &spitest.Record{}
	_, err := f.open(PanelConfig{Kind: KindSSD1306SPI, DCPin: "GPIO99"})
	if !errors.Is(err, ErrNoGPIO) || !strings.Contains(err.Error(), "GPIO99") {
		t.Fatalf("err = %v", err)
	}
}

func TestNodeNames(t *testing.T) {
	f := newFakeSystem(t, "i2c-1", "i2c-20", "spidev0.0", "spidev1.2")
	for _, tc := range []struct{ in, want string }{
		{"", "i2c-1"}, {"1", "i2c-1"}, {"I2C1", "i2c-1"}, {"/dev/i2c-20", "i2c-20"}, {"i2c20", "i2c-20"},
	} {
		got, err := f.i2cNode(tc.in)
		if err != nil || filepath.Base(got) != tc.want {
			t.Errorf("i2cNode(%q) = %q, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "spidev0.0"}, {"1.2", "spidev1.2"}, {"SPI1.2", "spidev1.2"}, {"/dev/spidev0.0", "spidev0.0"},
	} {
		got, err := f.spiNode(tc.in)
		if err != nil || filepath.Base(got) != tc.want {
			t.Errorf("spiNode(%q) = %q, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// PanelPins names the pins Open will claim: the configured ones, else the
// kind's defaults, the very ones spiPanelPins opens.
func TestPanelPins(t *testing.T) {
	for _, tt := range []struct {
		cfg  PanelConfig
		want map[string]string
	}{
		{PanelConfig{Kind: KindInky}, map[string]string{"dc": "GPIO22", "reset": "GPIO27", "busy": "GPIO17"}},
		{PanelConfig{Kind: KindEPD2in13v4, BusyPin: "GPIO5"}, map[string]string{"dc": "GPIO25", "reset": "GPIO17", "busy": "GPIO5", "cs": "GPIO8"}},
		{PanelConfig{Kind: KindSSD1306SPI}, map[string]string{"dc": "GPIO24"}},
		{PanelConfig{Kind: KindSSD1306I2C}, map[string]string{}},
	} {
		if got := PanelPins(tt.cfg); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("PanelPins(%s) = %v, want %v", tt.cfg.Kind, got, tt.want)
		}
	}
}
