package board

import (
	"errors"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

// failBus is an I2C bus on which nothing answers.
type failBus struct{ i2ctest.Record }

func (*failBus) Tx(uint16, []byte, []byte) error { return errors.New("i2c: remote I/O error") }

// probeBus is an I2C bus with devices at some addresses: a one-byte read
// at a present address succeeds (recorded through the embedded Playback,
// which panics on anything not scripted), any transaction at an absent one
// fails like a NACK. Every transaction is logged.
type probeBus struct {
	i2ctest.Playback
	present map[uint16]bool
	log     []i2ctest.IO
}

func (b *probeBus) Tx(addr uint16, w, r []byte) error {
	b.log = append(b.log, i2ctest.IO{Addr: addr, W: append([]byte(nil), w...), R: make([]byte, len(r))})
	if !b.present[addr] {
		return errors.New("sysfs-i2c: remote I/O error")
	}
	return b.Playback.Tx(addr, w, r)
}
