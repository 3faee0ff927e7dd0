package board

import (
	"errors"
	"image"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ssd1306"
)

// flakyBus fails while down is true.
type flakyBus struct {
	i2ctest.Record
	down bool
}

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	if b.down {
		return errors.New("sysfs-i2c: remote I/O error")
	}
	return b.Record.Tx(addr, w, r)
}

func TestGuardDrawer(t *testing.T) {
	bus := &flakyBus{}
	dev, err := ssd1306.NewI2C(bus, &ssd1306.DefaultOpts)
	if err != nil {
		t.Fatal(err)
	}
	g := GuardDrawer(dev, 3)
	frame := func(seed uint64) image.Image { return testFrame(128, 64, seed) }
	if err := g.Draw(g.Bounds(), frame(1), image.Point{}); err != nil {
		t.Fatal(err)
	}
	bus.down = true
	for i := range 2 {
		err := g.Draw(g.Bounds(), frame(uint64(i+2)), image.Point{})
		if err == nil || errors.Is(err, ErrPanelDead) {
			t.Fatalf("failure %d: %v, want a plain error", i+1, err)
		}
	}
	// A success in between resets the count.
	bus.down = false
	if err := g.Draw(g.Bounds(), frame(9), image.Point{}); err != nil {
		t.Fatal(err)
	}
	bus.down = true
	var last error
	for i := range 3 {
		last = g.Draw(g.Bounds(), frame(uint64(i+10)), image.Point{})
	}
	if !errors.Is(last, ErrPanelDead) || g.Dead() == nil {
		t.Fatalf("after 3 failures: %v, dead=%v", last, g.Dead())
	}
	// Dead stays dead without touching the bus.
	bus.down = false
	n := len(bus.Ops)
	if err := g.Draw(g.Bounds(), frame(20), image.Point{}); !errors.Is(err, ErrPanelDead) {
		t.Fatalf("dead panel drew: %v", err)
	}
	if len(bus.Ops) != n {
		t.Fatal("dead panel was written to")
	}
}

func TestGuardText(t *testing.T) {
	d, err := NewHD44780PCF8574(&failBus{}, 0x27, nil)
	if err == nil {
		t.Fatal("init on a dead bus succeeded")
	}
	bus := &flakyBus{}
	lcd, err := newHD44780(&i2c.Dev{Bus: bus, Addr: 0x27}, nil, func(d time.Duration) {})
	_ = d
	if err != nil {
		t.Fatal(err)
	}
	g := GuardText(lcd, 2)
	var _ display.TextDisplay = g
	bus.down = true
	if _, err := g.WriteString("a"); err == nil || errors.Is(err, ErrPanelDead) {
		t.Fatalf("first failure: %v", err)
	}
	if err := g.MoveTo(0, 0); !errors.Is(err, ErrPanelDead) {
		t.Fatalf("second failure: %v, want ErrPanelDead", err)
	}
	if g.Dead() == nil {
		t.Fatal("not dead")
	}
}
