// Package board is the only part of boardlogin that touches the machine's
// buses: it initialises periph's host drivers, opens I2C buses, SPI ports and
// GPIO pins by name, probes known I2C addresses for a panel, and hands back
// periph display.Drawer (pixel panels) or display.TextDisplay (character
// panels) values for package display to draw on. It also watches an optional
// push button.
//
// # Supported panels
//
//	kind              panel                              bus  default address / pins
//	ssd1306-i2c       SSD1306 OLED 128x64 or 128x32      I2C  0x3C (0x3D with the address jumper)
//	ssd1306-spi       SSD1306 OLED, 4-wire SPI           SPI  DC GPIO24, reset optional
//	epd2in13v2/v3/v4  Waveshare 2.13" e-paper, 250x122   SPI  DC GPIO25, RST GPIO17, BUSY GPIO24, CS GPIO8
//	inky              Pimoroni Inky pHAT, 212x104        SPI  DC GPIO22, RST GPIO27, BUSY GPIO17
//	hd44780-pcf8574   HD44780 LCD on a PCF8574 backpack  I2C  0x27 (PCF8574A: 0x3F)
//	aip31068          AIP31068 16x2 LCD                  I2C  0x3E
//	waveshare1602     Waveshare LCD1602 (RGB)            I2C  0x3E, backlight 0x60
//	serlcd            SparkFun SerLCD                    I2C  0x72
//	matrixorbital     Matrix Orbital LK204-7T-1U         I2C  0x28
//	max7219           MAX7219 8x8 chain (FC-16), 32x8    SPI  CS is the port's CE line
//	ht16k33           HT16K33 4-char 14-segment          I2C  0x70
//
// "auto" probes 0x3C, 0x3D, 0x27, 0x3F, 0x3E, 0x72 and 0x70 with one-byte
// reads (never writes, see Detect); "none" opens nothing.
//
// # Wiring notes (Raspberry Pi)
//
// I2C panels: SDA to pin 3, SCL to pin 5, GND to pin 6, VCC to 3.3 V (pin
// 1). HD44780 LCDs need 5 V (pin 2), and their backpack's pull-ups then
// put 5 V on SDA and SCL: remove them or use a level shifter. Enable I2C
// with dtparam=i2c_arm=on in /boot/firmware/config.txt (or raspi-config)
// and make sure the i2c-dev module is loaded. SPI panels: MOSI pin 19, SCLK
// pin 23, CE0 pin 24; enable with dtparam=spi=on. MAX7219 chains take 5 V
// power; the Pi's 3.3 V logic on DIN works with most modules. The service user needs
// the groups i2c, spi and gpio.
//
// A 128x32 SSD1306 needs the sequential COM layout; Open sets it whenever
// Height is 32. Character LCDs show ASCII; everything else is up to package
// display to transliterate. Auto-detection cannot tell a 16x2 LCD from a
// 20x4 one: set Cols and Rows for anything but 16x2.
//
// # What Open returns
//
// Every text panel counts rows and columns from 0 (ZeroBased wraps the
// periph drivers that count from 1). Panel.Close blanks the panel (text:
// clear, display and backlight off; OLED and matrix: Halt) and releases the
// bus; e-paper keeps its last picture. Panel.EPaper marks panels that must
// be redrawn only when the content changes.
//
// # periph defects handled here
//
//   - ssd1306.NewI2C hard-codes 0x3C: AddrBus moves it to 0x3D.
//   - hd44780 sends no two-line function set and computes row addresses as
//     line*0x40, so rows 3 and 4 of a 20x4 overwrite rows 1 and 2: HD44780
//     is a separate PCF8574 driver using 0x00, 0x40, 0x14, 0x54.
//   - max7219 drops init errors and its ScrollChars blocks and ignores write
//     errors: Matrix drives the chain's SPI connection itself.
//   - ht16k33's Display.WriteString flickers, misplaces decimal points and
//     panics on a leading '.': Alnum uses only SetDigit.
//   - waveshare2in13v2/3/4 and inky wait on the busy pin for ever; inky.New
//     keeps its model size only when Width and Height are set (inverted
//     test) and turns grey into red: EPaper and Inky bound the wait, set the
//     sizes and threshold to black and white.
//   - matrixorbital's Halt fails on every I2C connection (it wants an
//     io.Closer) and SerLCD takes '|' and 0xFE in text for commands: Close
//     does not use Halt, and ZeroBased replaces those bytes for SerLCD.
//   - aip31068 and matrixorbital count rows from 1, serlcd from 0:
//     ZeroBased makes them all count from 0.
//   - host initialisation succeeds on a machine with no I2C or SPI at all, and
//     i2creg/spireg then answer "did you forget to call Init()?": Open checks
//     for /dev/i2c-* and /dev/spidev* itself and says how to enable them.
//
// A panel can fail at run time (loose wire, brown-out). GuardDrawer and
// GuardText return each error and, after a few in a row, one wrapping
// ErrPanelDead so the caller can give up on the panel and use the terminal.
package board
