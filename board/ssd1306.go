package board

import (
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/ssd1306"
)

// NewSSD1306I2C opens an SSD1306 OLED at any I2C address. periph's
// ssd1306.NewI2C always talks to 0x3C; panels strapped to 0x3D (the second
// address, set by a solder jumper) are reached through AddrBus, which moves
// the driver's 0x3C transactions to addr.
//
// The returned driver diffs each frame against the last one and sends only
// the changed band of pages and columns; an unchanged frame sends nothing.
func NewSSD1306I2C(bus i2c.Bus, addr uint16, opts *ssd1306.Opts) (*ssd1306.Dev, error) {
	if opts == nil {
		o := ssd1306.DefaultOpts
		opts = &o
	}
	if addr != 0 && addr != AddrSSD1306 {
		bus = &AddrBus{Bus: bus, From: AddrSSD1306, To: addr}
	}
	return ssd1306.NewI2C(bus, opts)
}

// NewSSD1306SPI opens an SSD1306 OLED over 4-wire SPI. dc is required (the
// driver's 3-wire mode is not implemented). reset is optional: when given, the
// controller is reset (low 10 ms, then high) before initialisation, which a
// panel wired to a GPIO needs after power-up.
func NewSSD1306SPI(port spi.Port, dc, reset gpio.PinOut, opts *ssd1306.Opts) (*ssd1306.Dev, error) {
	if dc == nil {
		return nil, errors.New("board: ssd1306 over spi needs a dc pin (4-wire mode)")
	}
	if opts == nil {
		o := ssd1306.DefaultOpts
		opts = &o
	}
	if reset != nil {
		for _, l := range []gpio.Level{gpio.Low, gpio.High} {
			if err := reset.Out(l); err != nil {
				return nil, fmt.Errorf("board: ssd1306 reset pin: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return ssd1306.NewSPI(port, dc, opts)
}

// AddrBus rewrites the address of transactions meant for From to To and
// passes every other transaction through. It lets drivers with a hard-coded
// address (ssd1306.NewI2C uses 0x3C) reach a device strapped elsewhere.
type AddrBus struct {
	i2c.Bus
	From, To uint16
}

// Tx implements i2c.Bus.
func (b *AddrBus) Tx(addr uint16, w, r []byte) error {
	if addr == b.From {
		addr = b.To
	}
	return b.Bus.Tx(addr, w, r)
}

// String implements conn.Resource.
func (b *AddrBus) String() string {
	return fmt.Sprintf("%s(%#02x->%#02x)", b.Bus, b.From, b.To)
}

var _ i2c.Bus = (*AddrBus)(nil)
