package board

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

func newProbeBus(addrs ...uint16) *probeBus {
	b := &probeBus{present: map[uint16]bool{}}
	b.DontPanic = true
	for _, a := range addrs {
		b.present[a] = true
	}
	// Script the reads Detect must make at present addresses, in its
	// order, up to the first hit.
	for _, c := range probeOrder {
		if !b.present[c.addr] {
			continue
		}
		b.Ops = append(b.Ops, i2ctest.IO{Addr: c.addr, R: []byte{0xFF}})
		if c.addr == AddrAIP31068 && b.present[AddrPCA9633] {
			b.Ops = append(b.Ops, i2ctest.IO{Addr: AddrPCA9633, R: []byte{0xFF}})
		}
		break
	}
	return b
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		present []uint16
		kind    string
		addr    uint16
	}{
		{"ssd1306 at 0x3c", []uint16{0x3C}, KindSSD1306I2C, 0x3C},
		{"ssd1306 at 0x3d", []uint16{0x3D}, KindSSD1306I2C, 0x3D},
		{"pcf8574", []uint16{0x27}, KindHD44780PCF8574, 0x27},
		{"pcf8574a", []uint16{0x3F}, KindHD44780PCF8574, 0x3F},
		{"aip31068", []uint16{0x3E}, KindAIP31068, 0x3E},
		{"waveshare1602 rgb", []uint16{0x3E, 0x60}, KindWaveshare1602, 0x3E},
		{"serlcd", []uint16{0x72}, KindSerLCD, 0x72},
		{"ht16k33", []uint16{0x70}, KindHT16K33, 0x70},
		{"oled wins over a sensor and an lcd", []uint16{0x76, 0x27, 0x3C}, KindSSD1306I2C, 0x3C},
		{"unknown devices only", []uint16{0x48, 0x76}, "", 0},
		{"empty bus", nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus := newProbeBus(tc.present...)
			kind, addr, err := Detect(bus)
			if tc.kind == "" {
				if !errors.Is(err, ErrNoPanel) {
					t.Fatalf("Detect = %q %#x %v, want ErrNoPanel", kind, addr, err)
				}
			} else if err != nil || kind != tc.kind || addr != tc.addr {
				t.Fatalf("Detect = %q %#x %v, want %q %#x", kind, addr, err, tc.kind, tc.addr)
			}
			if err := bus.Close(); err != nil {
				t.Errorf("scripted probes not all made: %v", err)
			}
			// Probing is read-only: no transaction carries a byte to write,
			// and each reads exactly one byte (periph's Linux bus skips a
			// zero-length transaction without touching the wire).
			for i, op := range bus.log {
				if len(op.W) != 0 || len(op.R) != 1 {
					t.Errorf("transaction %d to %#x writes %d and reads %d bytes", i, op.Addr, len(op.W), len(op.R))
				}
				known := op.Addr == AddrPCA9633
				for _, c := range probeOrder {
					known = known || c.addr == op.Addr
				}
				if !known {
					t.Errorf("transaction %d to %#x, an address Detect does not own", i, op.Addr)
				}
			}
		})
	}
}
