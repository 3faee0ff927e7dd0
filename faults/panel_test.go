package faults

import (
	"errors"
	"image"
	"sync"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ssd1306"

	"github.com/boardlogin/boardlogin/board"
)

// flakyBus is an I2C bus that records like i2ctest.Record until broken,
// then fails every transaction, as a loose wire or a brown-out does.
type flakyBus struct {
	i2ctest.Record
	mu     sync.Mutex
	broken bool
	txs    int // transactions attempted
}

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	b.txs++
	broken := b.broken
	b.mu.Unlock()
	if broken {
		return errors.New("i2c: remote I/O error")
	}
	return b.Record.Tx(addr, w, r)
}

func (b *flakyBus) set(broken bool) {
	b.mu.Lock()
	b.broken = broken
	b.mu.Unlock()
}

func (b *flakyBus) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.txs
}

// frame returns a full frame, all lit or all dark (the driver sends only
// what changed, so successive frames alternate).
func frame(lit bool) image.Image {
	img := image.NewGray(image.Rect(0, 0, 128, 64))
	if lit {
		for i := range img.Pix {
			img.Pix[i] = 0xFF
		}
	}
	return img
}

// An SSD1306 on I2C starts failing mid-run, behind board's guard. A short
// glitch returns errors (never a panic) and the panel is used again once the
// bus answers; a bus that stays dead makes the guard declare the panel dead
// after DefaultMaxFailures draws in a row, and from then on it does not
// touch the bus any more (the agent goes on with the terminal).
func TestPanelFailsOnItsBus(t *testing.T) {
	bus := &flakyBus{}
	dev, err := board.NewSSD1306I2C(bus, 0x3C, &ssd1306.DefaultOpts)
	if err != nil {
		t.Fatal(err)
	}
	g := board.GuardDrawer(dev, 0)
	lit := false
	draw := func() error {
		lit = !lit
		return g.Draw(g.Bounds(), frame(lit), image.Point{})
	}
	for i := 0; i < 2; i++ {
		if err := draw(); err != nil {
			t.Fatalf("healthy panel: %v", err)
		}
	}

	// A glitch shorter than the guard's limit.
	bus.set(true)
	for i := 0; i < board.DefaultMaxFailures-1; i++ {
		err := draw()
		if err == nil {
			t.Fatal("draw on a broken bus reported success")
		}
		if errors.Is(err, board.ErrPanelDead) {
			t.Fatalf("panel declared dead after %d failures: %v", i+1, err)
		}
	}
	bus.set(false)
	if err := draw(); err != nil {
		t.Fatalf("no recovery after the glitch: %v", err)
	}
	if err := g.Dead(); err != nil {
		t.Fatalf("panel still dead after a successful draw: %v", err)
	}

	// The bus dies for good.
	bus.set(true)
	for i := 0; i < board.DefaultMaxFailures; i++ {
		err = draw()
	}
	if !errors.Is(err, board.ErrPanelDead) || !errors.Is(g.Dead(), board.ErrPanelDead) {
		t.Fatalf("after %d failed draws: %v, want ErrPanelDead", board.DefaultMaxFailures, err)
	}
	n := bus.count()
	for i := 0; i < 5; i++ {
		if err := draw(); !errors.Is(err, board.ErrPanelDead) {
			t.Fatalf("draw on a dead panel: %v", err)
		}
	}
	if bus.count() != n {
		t.Errorf("the guard kept talking to a dead panel: %d more transactions", bus.count()-n)
	}
}
