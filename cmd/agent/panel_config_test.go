package main

import (
	"io"
	"strings"
	"testing"

	"github.com/boardlogin/boardlogin/board"
)

// display-size, display-rotate and matrix-cascade reach board.PanelConfig:
// pixels for pixel kinds, characters for text kinds, and from the file,
// the environment and flags alike.
func TestPanelGeometry(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		args []string
		want board.PanelConfig
	}{
		{"defaults", "", nil, nil, board.PanelConfig{Kind: "auto"}},
		{"128x32 oled", "display = ssd1306-i2c\ndisplay-size = 128x32\n", nil, nil,
			board.PanelConfig{Kind: "ssd1306-i2c", Width: 128, Height: 32}},
		{"20x4 lcd", "display = hd44780-pcf8574\ndisplay-size = 20x4\n", nil, nil,
			board.PanelConfig{Kind: "hd44780-pcf8574", Cols: 20, Rows: 4}},
		{"upper-case X", "display = serlcd\ndisplay-size = 20X4\n", nil, nil,
			board.PanelConfig{Kind: "serlcd", Cols: 20, Rows: 4}},
		{"auto small is characters", "display-size = 20x4\n", nil, nil,
			board.PanelConfig{Kind: "auto", Cols: 20, Rows: 4}},
		{"auto large is pixels", "display-size = 128x32\n", nil, nil,
			board.PanelConfig{Kind: "auto", Width: 128, Height: 32}},
		{"matrix chain", "display = max7219\nmatrix-cascade = 8\ndisplay-rotate = 180\n", nil, nil,
			board.PanelConfig{Kind: "max7219", Cascade: 8, Rotate180: true}},
		{"cascade only for max7219", "display = ssd1306-spi\nmatrix-cascade = 8\n", nil, nil,
			board.PanelConfig{Kind: "ssd1306-spi"}},
		{"environment", "", []string{"BOARDLOGIN_DISPLAY", "epd2in13v3", "BOARDLOGIN_DISPLAY_ROTATE", "180"}, nil,
			board.PanelConfig{Kind: "epd2in13v3", Rotate180: true}},
		{"flags beat file", "display = hd44780-pcf8574\ndisplay-size = 16x2\n", nil, []string{"-display-size", "20x4"},
			board.PanelConfig{Kind: "hd44780-pcf8574", Cols: 20, Rows: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConf(t, minimalConf+tt.file)
			cfg, _, err := loadConfig(append([]string{"-config", p}, tt.args...), envMap(tt.env...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := panelConfig(cfg); got != tt.want {
				t.Errorf("panelConfig = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPanelGeometryErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"display-size = 128\n", "display-size: want WIDTHxHEIGHT"},
		{"display-size = 0x32\n", "display-size: want WIDTHxHEIGHT"},
		{"display-size = 128x-32\n", "display-size: want WIDTHxHEIGHT"},
		{"display-size = +16x2\n", "display-size: want WIDTHxHEIGHT"},
		{"display-size = 1280x64\n", "display-size: want WIDTHxHEIGHT with each number 1 to 512"},
		{"display-size = 16x2x1\n", "display-size: want WIDTHxHEIGHT"},
		{"display-size = 16 x 2\n", "display-size: want WIDTHxHEIGHT"},
		{"display = hd44780-pcf8574\ndisplay-size = 128x64\n", "display-size: hd44780-pcf8574 is a character panel"},
		{"display-rotate = 90\n", `display-rotate: unknown value "90" (want one of 0, 180)`},
		{"matrix-cascade = 0\n", "matrix-cascade: want a whole number from 1 to 16"},
		{"matrix-cascade = 17\n", "matrix-cascade: want a whole number from 1 to 16"},
		{"matrix-cascade = four\n", "matrix-cascade: want a whole number from 1 to 16"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, _, err := loadConfig([]string{"-config", writeConf(t, minimalConf+tt.file)}, envMap(), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseDims(f *testing.F) {
	for _, s := range []string{"128x64", "20x4", "0x0", "x", "512x512", "513x1", "+1x1", "1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := parseDims(s)
		if err == nil && (w < 1 || h < 1 || w > maxDim || h > maxDim) {
			t.Errorf("parseDims(%q) = %d, %d with no error", s, w, h)
		}
	})
}
