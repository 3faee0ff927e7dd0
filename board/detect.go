package board

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/i2c"
)

// candidate is an address Detect probes and the kind it implies.
type candidate struct {
	addr uint16
	kind string
}

// probeOrder is the order Detect tries addresses. Graphic panels first,
// HT16K33 last: 0x70 is also the default address of PCA9548 I2C
// multiplexers, so it is the weakest evidence.
var probeOrder = []candidate{
	{AddrSSD1306, KindSSD1306I2C},
	{AddrSSD1306Alt, KindSSD1306I2C},
	{AddrPCF8574, KindHD44780PCF8574},
	{AddrPCF8574A, KindHD44780PCF8574},
	{AddrAIP31068, KindAIP31068},
	{AddrSerLCD, KindSerLCD},
	{AddrHT16K33, KindHT16K33},
}

// Detect finds a known panel on bus and returns its kind and address. It
// probes 0x3C and 0x3D (SSD1306), 0x27 and 0x3F (PCF8574 LCD backpack), 0x3E
// (AIP31068; reported as waveshare1602 when an RGB controller also answers
// at 0x60), 0x72 (SerLCD) and 0x70 (HT16K33), in that order.
//
// Probing never writes. Each address gets a one-byte read: a present device
// acknowledges its address and clocks out a byte, an absent one leaves the
// address byte unacknowledged and the bus returns an error. A write probe
// (SMBus quick write, i2cdetect's default) is a real write cycle that some
// chips act on (it is known to corrupt AT24RF08 EEPROMs), and a zero-length
// read cannot be used: periph's Linux bus returns nil for a transaction with
// nothing to send or receive without touching the wire, so every address
// would look present. A one-byte read only returns a register (status, port
// pins) from the devices probed here.
//
// If nothing answers, the error wraps ErrNoPanel.
func Detect(bus i2c.Bus) (kind string, addr uint16, err error) {
	for _, c := range probeOrder {
		if !probe(bus, c.addr) {
			continue
		}
		if c.kind == KindAIP31068 && probe(bus, AddrPCA9633) {
			return KindWaveshare1602, c.addr, nil
		}
		return c.kind, c.addr, nil
	}
	return "", 0, errorf([]error{ErrNoPanel}, "no known panel answers at %s", probeList())
}

// probe reports whether a device acknowledges a one-byte read at addr.
func probe(bus i2c.Bus, addr uint16) bool {
	var b [1]byte
	return bus.Tx(addr, nil, b[:]) == nil
}

func probeList() string {
	s := ""
	for i, c := range probeOrder {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%#02x", c.addr)
	}
	return s
}

var _ = errors.New
