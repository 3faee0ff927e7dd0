package display

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// decodeQR reads a QR code off a picture the way a phone would: scaled up,
// on a white margin (the panel's surroundings), with a real decoder.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	const n, margin = 4, 16
	b := img.Bounds()
	big := image.NewGray(image.Rect(0, 0, b.Dx()*n+2*margin, b.Dy()*n+2*margin))
	for i := range big.Pix {
		big.Pix[i] = 0xFF
	}
	for y := 0; y < b.Dy()*n; y++ {
		for x := 0; x < b.Dx()*n; x++ {
			if r, _, _, _ := img.At(b.Min.X+x/n, b.Min.Y+y/n).RGBA(); r < 0x8000 {
				big.SetGray(margin+x, margin+y, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(big)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code decoded: %v", err)
	}
	return res.GetText()
}

func TestQRDecodes(t *testing.T) {
	complete := fixtures[1].view // with VerificationURIComplete
	entra := fixtures[2].view    // VerificationURI only
	long := complete
	long.VerificationURIComplete = "https://login.example.com/oauth2/device/activate?user_code=WDJB-MJHT&tenant=contoso"
	tests := []struct {
		name string
		w, h int
		opts DrawOptions
		step int
		view View
		want string // "" = no QR must be drawn
	}{
		{"128x64 complete", 128, 64, DrawOptions{}, 1, complete, complete.VerificationURIComplete},
		{"128x64 uri", 128, 64, DrawOptions{}, 1, entra, entra.VerificationURI},
		{"250x122 complete", 250, 122, DrawOptions{Invert: true}, 0, complete, complete.VerificationURIComplete},
		{"250x122 long", 250, 122, DrawOptions{Invert: true}, 0, long, long.VerificationURIComplete},
		{"122x250 turned", 122, 250, DrawOptions{Invert: true, Rotate: 90}, 0, entra, entra.VerificationURI},
		{"212x104 uri", 212, 104, DrawOptions{Invert: true}, 0, entra, entra.VerificationURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := image1bit.NewVerticalLSB(image.Rect(0, 0, tt.w, tt.h))
			DrawView(img, tt.view, now5, tt.step, tt.opts)
			if got := decodeQR(t, img); got != tt.want {
				t.Errorf("QR holds %q, want %q", got, tt.want)
			}
		})
	}
}

// A version 4 code (33 modules) does not fit 64 pixels at 2 pixels a
// module: the QR page then shows the address page instead.
func TestQRTooBigFor64(t *testing.T) {
	v := fixtures[1].view
	v.VerificationURIComplete = "https://login.example.com/oauth2/device/activate?user_code=WDJB-MJHT&tenant=contoso"
	if c := qrCode(v.VerificationURIComplete); c.Size <= 29 {
		t.Fatalf("fixture encodes to %d modules; want a version 4+ code", c.Size)
	}
	page0 := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
	page1 := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
	DrawView(page0, v, now5, 0, DrawOptions{})
	DrawView(page1, v, now5, 1, DrawOptions{})
	if !equalBits(page0, page1) {
		t.Errorf("page 1 differs from page 0 although the QR code cannot fit")
	}
}

// The fits the README states: versions and pixel sizes per panel.
func TestQRFitMeasurements(t *testing.T) {
	tests := []struct {
		text              string
		modules           int
		side, quiet, want int
	}{
		{"https://microsoft.com/devicelogin", 29, 64, 2, 2},                          // 58 px + 3 px quiet zone each side
		{"https://example.com/device?user_code=WDJB-MJHT", 29, 64, 2, 2},             // level L keeps it at version 3
		{"https://example.com/device?user_code=WDJB-MJHT", 29, 122, 3, 4},            // e-paper: 116 px
		{"https://example.com/device?user_code=WDJB-MJHT", 29, 104, 3, 3},            // Inky pHAT: 87 px
		{"https://example.com/device?user_code=WDJB-MJHT", 29, 32, 2, 0},             // 128x32: no QR
		{strings.Repeat("x", 60), 33, 64, 2, 0},                                      // version 4 does not fit 64 px
		{"https://login.microsoftonline.us/common/oauth2/deviceauth", 33, 122, 3, 3}, // version 4 on e-paper
	}
	for _, tt := range tests {
		c := qrCode(tt.text)
		if c.Size != tt.modules {
			t.Errorf("%q: %d modules, want %d", tt.text, c.Size, tt.modules)
		}
		if got := qrFit(c.Size, tt.side, tt.quiet); got != tt.want {
			t.Errorf("%q in %d px: %d px per module, want %d", tt.text, tt.side, got, tt.want)
		}
	}
}

// The terminal's half-block QR code decodes too.
func TestTerminalQRDecodes(t *testing.T) {
	v := fixtures[1].view
	text := TerminalText(v, now5, TerminalOptions{})
	var rows []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.Contains(l, "scan this code"):
			in = true
		case in && l == "":
			in = false
		case in:
			rows = append(rows, strings.TrimPrefix(l, "  "))
		}
	}
	if len(rows) == 0 {
		t.Fatal("no QR code in the terminal text")
	}
	w := len([]rune(rows[0]))
	img := image.NewGray(image.Rect(0, 0, w, 2*len(rows)))
	for y, l := range rows {
		for x, r := range []rune(l) {
			// Light modules are drawn as blocks; the decoder wants them white.
			top, bottom := r == '█' || r == '▀', r == '█' || r == '▄'
			if top {
				img.SetGray(x, 2*y, color.Gray{0xFF})
			}
			if bottom {
				img.SetGray(x, 2*y+1, color.Gray{0xFF})
			}
		}
	}
	if got := decodeQR(t, img); got != v.VerificationURIComplete {
		t.Errorf("terminal QR holds %q, want %q", got, v.VerificationURIComplete)
	}
}
