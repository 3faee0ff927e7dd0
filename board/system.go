package board

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
)

// system is the seam between board and the machine: where /dev lives and how
// buses and pins are opened. Production uses defaultSystem (periph's
// registries after initHost); tests swap in fakes and a temporary /dev.
type system struct {
	// devRoot is the directory holding i2c-* and spidev* nodes ("/dev").
	devRoot string
	// init initialises the host drivers once.
	init func() error
	// openI2C, openSPI and pin open what periph's registries hold.
	openI2C func(name string) (i2c.BusCloser, error)
	openSPI func(name string) (spi.PortCloser, error)
	pin     func(name string) gpio.PinIO
	// openNode opens a device node read-write (os.OpenFile in production).
	openNode func(path string) (io.Closer, error)
}

func openNodeRW(path string) (io.Closer, error) {
	return os.OpenFile(path, os.O_RDWR, 0)
}

var (
	hostOnce sync.Once
	hostErr  error
)

func defaultSystem() *system {
	return &system{
		devRoot: "/dev",
		init: func() error {
			hostOnce.Do(func() {
				hostErr = initHost()
			})
			if hostErr != nil {
				return fmt.Errorf("board: periph host init: %v", hostErr)
			}
			return nil
		},
		openI2C:  i2creg.Open,
		openSPI:  spireg.Open,
		pin:      gpioreg.ByName,
		openNode: openNodeRW,
	}
}

// i2cNodes lists the I2C device nodes, sorted by bus number.
func (s *system) i2cNodes() []string {
	m, _ := filepath.Glob(filepath.Join(s.devRoot, "i2c-*"))
	sort.Slice(m, func(i, j int) bool {
		if len(m[i]) != len(m[j]) {
			return len(m[i]) < len(m[j])
		}
		return m[i] < m[j]
	})
	return m
}

// spiNodes lists the SPI device nodes, sorted.
func (s *system) spiNodes() []string {
	m, _ := filepath.Glob(filepath.Join(s.devRoot, "spidev*"))
	sort.Strings(m)
	return m
}

// i2cNode maps a bus name as the user writes it ("", "1", "I2C1",
// "/dev/i2c-1") to the device node that must exist for it.
func (s *system) i2cNode(name string) (string, error) {
	nodes := s.i2cNodes()
	if len(nodes) == 0 {
		return "", errorf([]error{ErrNoI2C}, "no %s/i2c-* device; enable i2c with dtparam=i2c_arm=on in /boot/firmware/config.txt and reboot, or run modprobe i2c-dev", s.devRoot)
	}
	if name == "" {
		return nodes[0], nil
	}
	n := strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(filepath.Base(name)), "I2C-"), "I2C")
	want := filepath.Join(s.devRoot, "i2c-"+n)
	for _, p := range nodes {
		if p == want {
			return p, nil
		}
	}
	return "", errorf([]error{ErrNoI2C}, "i2c bus %q not found; this machine has %s", name, strings.Join(nodes, ", "))
}

// spiNode maps a port name ("", "0.0", "SPI0.0", "/dev/spidev0.0") to its
// device node.
func (s *system) spiNode(name string) (string, error) {
	nodes := s.spiNodes()
	if len(nodes) == 0 {
		return "", errorf([]error{ErrNoSPI}, "no %s/spidev* device; enable spi with dtparam=spi=on in /boot/firmware/config.txt and reboot", s.devRoot)
	}
	if name == "" {
		return nodes[0], nil
	}
	n := strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(filepath.Base(name)), "SPIDEV"), "SPI")
	want := filepath.Join(s.devRoot, "spidev"+n)
	for _, p := range nodes {
		if p == want {
			return p, nil
		}
	}
	return "", errorf([]error{ErrNoSPI}, "spi port %q not found; this machine has %s", name, strings.Join(nodes, ", "))
}

// checkAccess opens node read-write the way the kernel driver will, so a
// permission problem is reported with the group to join instead of periph's
// generic message (which names the Debian group plugdev, wrong on Raspberry
// Pi OS where the nodes belong to i2c and spi).
func (s *system) checkAccess(node, group string) error {
	f, err := s.openNode(node)
	if err == nil {
		return f.Close()
	}
	if errors.Is(err, fs.ErrPermission) {
		return errorf([]error{ErrPermission, err}, "permission denied on %s; add the service user to group %s (usermod -aG %s USER) or run as root", node, group, group)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("board: %s vanished while opening it", node)
	}
	// Other errors (ENXIO, ENOTTY on a fake node) are left to the driver.
	return nil
}

// openI2CBus checks the node, initialises the host and opens the bus. The
// returned name is the node, for messages.
func (s *system) openI2CBus(name string) (i2c.BusCloser, string, error) {
	node, err := s.i2cNode(name)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkAccess(node, "i2c"); err != nil {
		return nil, "", err
	}
	if err := s.init(); err != nil {
		return nil, "", err
	}
	// i2creg knows the bus by its node path; its own "did you forget to call
	// Init()" message is never passed on: the node exists, so failing here is
	// a driver problem we describe ourselves.
	b, err := s.openI2C(node)
	if err != nil {
		return nil, "", fmt.Errorf("board: open %s: %v", node, stripRegHint(err))
	}
	return b, node, nil
}

// openSPIPort is openI2CBus for SPI.
func (s *system) openSPIPort(name string) (spi.PortCloser, string, error) {
	node, err := s.spiNode(name)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkAccess(node, "spi"); err != nil {
		return nil, "", err
	}
	if err := s.init(); err != nil {
		return nil, "", err
	}
	p, err := s.openSPI(node)
	if err != nil {
		return nil, "", fmt.Errorf("board: open %s: %v", node, stripRegHint(err))
	}
	return p, node, nil
}

// openPin resolves a GPIO pin by name. An empty name yields def.
func (s *system) openPin(name, def, role string) (gpio.PinIO, error) {
	if name == "" {
		name = def
	}
	if name == "" {
		return nil, nil
	}
	// The GPIO character device (or the Pi's /dev/gpiomem) decides access;
	// check it first so a permission problem names the group.
	found := false
	for _, n := range []string{"gpiochip0", "gpiomem"} {
		node := filepath.Join(s.devRoot, n)
		if _, err := os.Stat(node); err == nil {
			if err := s.checkAccess(node, "gpio"); err != nil {
				return nil, err
			}
			found = true
			break
		}
	}
	if !found {
		return nil, errorf([]error{ErrNoGPIO}, "no gpio on this machine (no %s/gpiochip0 or %s/gpiomem) for the %s pin %q", s.devRoot, s.devRoot, role, name)
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	p := s.pin(name)
	if p == nil {
		return nil, errorf([]error{ErrNoGPIO}, "no gpio named %q for the %s pin; use a name such as GPIO25", name, role)
	}
	return p, nil
}

// stripRegHint drops the registries' "did you forget to call Init()?" hint,
// which is wrong whenever board called Init (it always has).
func stripRegHint(err error) string {
	return strings.TrimSuffix(strings.TrimSpace(err.Error()), "; did you forget to call Init()?")
}
