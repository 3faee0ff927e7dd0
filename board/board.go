package board

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"periph.io/x/conn/v3/display"
)

// Panel kinds accepted in PanelConfig.Kind.
const (
	KindAuto           = "auto"            // probe the I2C bus, see Detect
	KindNone           = "none"            // no panel: the agent uses the terminal
	KindSSD1306I2C     = "ssd1306-i2c"     // 128x64 or 128x32 OLED, I2C 0x3C or 0x3D
	KindSSD1306SPI     = "ssd1306-spi"     // 128x64 or 128x32 OLED, 4-wire SPI
	KindEPD2in13v2     = "epd2in13v2"      // Waveshare 2.13" e-paper V2, 250x122
	KindEPD2in13v3     = "epd2in13v3"      // Waveshare 2.13" e-paper V3, 250x122
	KindEPD2in13v4     = "epd2in13v4"      // Waveshare 2.13" e-paper V4, 250x122
	KindInky           = "inky"            // Pimoroni Inky pHAT, 212x104
	KindHD44780PCF8574 = "hd44780-pcf8574" // HD44780 LCD behind a PCF8574 backpack
	KindAIP31068       = "aip31068"        // AIP31068 LCD (Grove/Waveshare 16x2) at 0x3E
	KindWaveshare1602  = "waveshare1602"   // Waveshare LCD1602 RGB module (AIP31068 + PCA9633)
	KindSerLCD         = "serlcd"          // SparkFun SerLCD over I2C, 0x72
	KindMatrixOrbital  = "matrixorbital"   // Matrix Orbital LK204-7T-1U over I2C, 0x28
	KindMAX7219        = "max7219"         // cascaded MAX7219 8x8 LED matrices, SPI
	KindHT16K33        = "ht16k33"         // HT16K33 14-segment 4 character backpack, 0x70
)

// Kinds lists every accepted PanelConfig.Kind, for help texts and validation.
var Kinds = []string{
	KindAuto, KindNone, KindSSD1306I2C, KindSSD1306SPI, KindEPD2in13v2,
	KindEPD2in13v3, KindEPD2in13v4, KindInky, KindHD44780PCF8574, KindAIP31068,
	KindWaveshare1602, KindSerLCD, KindMatrixOrbital, KindMAX7219, KindHT16K33,
}

// PanelConfig selects and wires a panel. The zero value of every field but
// Kind means "the default for this kind", listed per field.
type PanelConfig struct {
	// Kind is one of the Kind* constants. Empty means KindAuto.
	Kind string
	// I2CBus names the I2C bus ("1", "/dev/i2c-1", "I2C1"). Empty: the first
	// bus found.
	I2CBus string
	// I2CAddr overrides the kind's default address (0x3C for SSD1306, 0x27 for
	// a PCF8574 backpack, 0x3E for AIP31068, 0x72 for SerLCD, 0x28 for Matrix
	// Orbital, 0x70 for HT16K33).
	I2CAddr uint16
	// SPIPort names the SPI port ("/dev/spidev0.0", "SPI0.0"). Empty: the first
	// port found.
	SPIPort string
	// DCPin, ResetPin, BusyPin and CSPin name GPIO pins ("GPIO25", "P1_22").
	// Defaults for the e-paper kinds and inky follow the Waveshare e-Paper HAT
	// and the Inky pHAT wiring: DC GPIO25, reset GPIO17, busy GPIO24, CS GPIO8.
	// SSD1306 over SPI defaults DC to GPIO24 and has no reset unless set.
	DCPin, ResetPin, BusyPin, CSPin string
	// Width and Height of a pixel panel. SSD1306 default 128x64 (set Height
	// 32 for a 128x32 panel).
	Width, Height int
	// Cols and Rows of a character panel. Default 16x2; 4x1 for HT16K33.
	Cols, Rows int
	// Cascade is the number of chained MAX7219 8x8 matrices. Default 4 (32x8).
	Cascade int
	// Rotate180 turns the picture upside down, for panels mounted that way.
	Rotate180 bool
	// BusyTimeout bounds how long an e-paper panel may hold its busy pin
	// high before Draw fails. Default 30 s.
	BusyTimeout time.Duration
}

// Panel is an opened display. Exactly one of Drawer and Text is set, except
// for KindNone where both are nil.
type Panel struct {
	// Name says what was opened and where, e.g. "ssd1306-i2c 128x64 at 0x3d on
	// /dev/i2c-1". It holds no secret and is meant for logs.
	Name string
	// Kind is the resolved kind (never KindAuto).
	Kind string
	// Drawer is set for pixel panels.
	Drawer display.Drawer
	// Text is set for character panels.
	Text display.TextDisplay
	// Cols and Rows repeat Text's size for convenience; zero for pixel panels.
	Cols, Rows int
	// EPaper is true for panels that must not be refreshed more than about
	// once a minute (e-paper: each refresh flashes and takes seconds).
	EPaper bool
	// Close releases the buses and pins. It is never nil.
	Close func() error
}

// Sentinel errors, wrapped by the errors Open, Detect and OpenButton return so
// callers can tell the cases apart with errors.Is.
var (
	// ErrNoPanel means auto-detection found nothing it knows.
	ErrNoPanel = errors.New("board: no panel found")
	// ErrNoI2C means the machine exposes no /dev/i2c-* node.
	ErrNoI2C = errors.New("board: no i2c bus")
	// ErrNoSPI means the machine exposes no /dev/spidev* node.
	ErrNoSPI = errors.New("board: no spi port")
	// ErrNoGPIO means the named pin does not exist on this machine.
	ErrNoGPIO = errors.New("board: no such gpio pin")
	// ErrPermission means a device node exists but may not be opened.
	ErrPermission = errors.New("board: permission denied")
	// ErrNotAnswering means nothing acknowledged at the configured address.
	ErrNotAnswering = errors.New("board: device not answering")
	// ErrPanelDead is returned by a Guard once a panel failed too often in a
	// row; the caller should stop using it and fall back to the terminal.
	ErrPanelDead = errors.New("board: panel stopped answering")
)

// Open initialises periph's host drivers, opens the buses and pins the
// configuration names and returns the panel. On a machine without the needed
// /dev nodes it fails with an error that says how to enable them.
func Open(cfg PanelConfig) (*Panel, error) {
	return defaultSystem().open(cfg)
}

// normKind lower-cases and trims a kind and validates it.
func normKind(k string) (string, error) {
	k = strings.ToLower(strings.TrimSpace(k))
	if k == "" {
		return KindAuto, nil
	}
	for _, v := range Kinds {
		if v == k {
			return k, nil
		}
	}
	return "", fmt.Errorf("board: unknown panel kind %q; use one of %s", k, strings.Join(Kinds, ", "))
}

// boardError is an error whose one-line message is written for the user
// while errors.Is still finds the sentinels (and causes) it stands for.
type boardError struct {
	msg  string
	errs []error
}

func (e *boardError) Error() string   { return e.msg }
func (e *boardError) Unwrap() []error { return e.errs }

// errorf formats a message prefixed with "board: " that wraps is.
func errorf(is []error, format string, args ...any) error {
	return &boardError{msg: "board: " + fmt.Sprintf(format, args...), errs: is}
}

// detail is err's message without a leading "board: ", for nesting.
func detail(err error) string {
	return strings.TrimPrefix(err.Error(), "board: ")
}
