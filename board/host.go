package board

import (
	"periph.io/x/conn/v3/driver/driverreg"

	// The host drivers the agent needs, and no others. periph's host.Init
	// links every SoC it knows (Allwinner, AM335x, BeagleBone, C.H.I.P.,
	// ODROID-C1, Pine64, and 1-Wire over netlink): about 200 KB of each
	// board's binary for hardware this agent is not built for.
	//   - sysfs: I2C buses and SPI ports through /dev/i2c-* and /dev/spidev*
	//     on any Linux board, and GPIO through /sys/class/gpio.
	//   - gpioioctl: GPIO through the /dev/gpiochip* character devices, the
	//     kernel's current interface (and the only one on a Raspberry Pi 5).
	//   - bcm283x and rpi: the Raspberry Pi 0-4 SoC (memory-mapped GPIO,
	//     which needs no free kernel line for pins such as the e-paper's CS)
	//     and the header names ("P1_22") that board's documentation offers.
	_ "periph.io/x/host/v3/bcm283x"
	_ "periph.io/x/host/v3/gpioioctl"
	_ "periph.io/x/host/v3/rpi"
	_ "periph.io/x/host/v3/sysfs"
)

// initHost loads the host drivers above. Like host.Init it reports success
// on a machine with no I2C, SPI or GPIO at all: the drivers' own failures
// come back in the driverreg.State and are not errors. Missing device nodes
// are found by checkNodes instead, with a message that says what to enable.
func initHost() error {
	_, err := driverreg.Init()
	return err
}
