package board

import (
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/hd44780"
)

// strobePin is an HD44780 enable line that turns each falling edge into
// the two PCF8574 bytes (EN high, EN low) the lcd emulator understands, so
// periph's GPIO driver can be replayed into the same emulator.
type strobePin struct {
	gpiotest.Pin
	data []*gpiotest.Pin
	rs   *gpiotest.Pin
	out  *[]i2ctest.IO
}

func (p *strobePin) Out(l gpio.Level) error {
	if p.Pin.Read() == gpio.High && l == gpio.Low {
		var b byte
		for i, d := range p.data {
			if d.Read() == gpio.High {
				b |= 0x10 << i
			}
		}
		if p.rs.Read() == gpio.High {
			b |= pcfRS
		}
		*p.out = append(*p.out, i2ctest.IO{W: []byte{b | pcfEN, b}})
	}
	return p.Pin.Out(l)
}

// TestPeriphHD44780Rows documents why HD44780 exists: periph's driver
// leaves a 20x4 panel in one-line mode and sends rows 2 and 3 (0-based) to
// the DDRAM of rows 0 and 1. If this test fails, periph fixed its driver.
func TestPeriphHD44780Rows(t *testing.T) {
	var ops []i2ctest.IO
	data := []*gpiotest.Pin{{N: "D4"}, {N: "D5"}, {N: "D6"}, {N: "D7"}}
	rs := &gpiotest.Pin{N: "RS"}
	en := &strobePin{Pin: gpiotest.Pin{N: "E"}, data: data, rs: rs, out: &ops}
	pins := make([]gpio.PinOut, len(data))
	for i, d := range data {
		pins[i] = d
	}
	dev, err := hd44780.New(pins, rs, en)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetCursor(2, 0); err != nil {
		t.Fatal(err)
	}
	if err := dev.Print("third"); err != nil {
		t.Fatal(err)
	}
	l := newLCD(t)
	l.replay(ops)
	if l.twoLines {
		t.Error("periph's hd44780 now selects two-line mode")
	}
	if got := string(l.ddram[0x14:0x19]); got == "third" {
		t.Error("periph's hd44780 now addresses row 2 correctly")
	}
	if got := string(l.ddram[0x00:0x05]); got != "third" {
		t.Errorf("row 2 landed elsewhere than row 0: DDRAM 0x00 = %q", got)
	}
}
