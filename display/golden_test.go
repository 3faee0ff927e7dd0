package display

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// update rewrites the golden files: go test ./display -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (and the README pictures in docs/img/)")

// t0 is the fixtures' clock: the code was issued at t0, views are drawn 5
// minutes later.
var t0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

// fixtures are the views every layout is golden-tested with.
var fixtures = []struct {
	name string
	view View
}{
	{"starting", View{State: Starting}},
	{"awaiting", View{State: AwaitingUser, UserCode: "WDJB-MJHT",
		VerificationURI:         "https://example.com/device",
		VerificationURIComplete: "https://example.com/device?user_code=WDJB-MJHT",
		Issued:                  t0, ExpiresAt: t0.Add(15 * time.Minute)}},
	{"awaiting_entra", View{State: AwaitingUser, UserCode: "HQ7ZT4K2B",
		VerificationURI: "https://microsoft.com/devicelogin",
		Issued:          t0, ExpiresAt: t0.Add(15 * time.Minute)}},
	{"signed_in", View{State: SignedIn, Account: "alice@contoso.onmicrosoft.com", TokenExpiry: t0.Add(65 * time.Minute)}},
	{"error", View{State: Error, Reason: "sign-in was declined", Hint: "a new code follows; ask your admin if it repeats"}},
	{"no_network", View{State: NoNetwork}},
	{"waiting_for_clock", View{State: WaitingForClock}},
	{"stopped", View{State: Stopped}},
}

var now5 = t0.Add(5 * time.Minute)

// panels are the pixel panels golden-tested, with the steps worth a picture.
var panels = []struct {
	name  string
	w, h  int
	opts  DrawOptions
	steps []int
}{
	{"oled128x64", 128, 64, DrawOptions{}, []int{0, 1}},
	{"oled128x32", 128, 32, DrawOptions{}, []int{0}},
	{"epaper250x122", 250, 122, DrawOptions{Invert: true}, []int{0}},
	{"inky212x104", 212, 104, DrawOptions{Invert: true}, []int{0}},
	{"matrix32x8", 32, 8, DrawOptions{}, []int{0, 32, 96}},
}

func TestPixelGoldens(t *testing.T) {
	for _, p := range panels {
		for _, f := range fixtures {
			for _, step := range p.steps {
				name := fmt.Sprintf("%s_%s_%d", p.name, f.name, step)
				t.Run(name, func(t *testing.T) {
					img := image1bit.NewVerticalLSB(image.Rect(0, 0, p.w, p.h))
					DrawView(img, f.view, now5, step, p.opts)
					checkPNG(t, filepath.Join("testdata", "pixel", name+".png"), img)
				})
			}
		}
	}
}

// toPaletted converts a frame to a 2-colour image for PNG files.
func toPaletted(img image.Image) *image.Paletted {
	p := image.NewPaletted(img.Bounds(), color.Palette{color.Black, color.White})
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r >= 0x8000 {
				p.SetColorIndex(x, y, 1)
			}
		}
	}
	return p
}

// checkPNG compares img with the golden PNG at path pixel by pixel (or
// rewrites it with -update).
func checkPNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writePNG(path, toPaletted(img)); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden %s missing (go test ./display -update writes it): %v", path, err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s: size %v, golden %v", path, img.Bounds(), want.Bounds())
	}
	diff := 0
	first := image.Point{-1, -1}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			a, _, _, _ := img.At(x, y).RGBA()
			b, _, _, _ := want.At(x, y).RGBA()
			if (a >= 0x8000) != (b >= 0x8000) {
				if diff == 0 {
					first = image.Pt(x, y)
				}
				diff++
			}
		}
	}
	if diff > 0 {
		got := strings.TrimSuffix(path, ".png") + ".got.png"
		_ = writePNG(got, toPaletted(img))
		t.Errorf("%s: %d pixels differ, first at %v; wrote %s (go test ./display -update accepts it)", path, diff, first, got)
	}
}

// checkText compares got with the golden text file at path.
func checkText(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s missing (go test ./display -update writes it): %v", path, err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs (go test ./display -update accepts it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// framed draws text panel lines inside a box, so trailing spaces show.
func framed(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "|%s|\n", l)
	}
	return b.String()
}

func TestTextGoldens(t *testing.T) {
	sizes := []struct {
		cols, rows int
		steps      []int
	}{
		{16, 2, []int{0, 5}},
		{20, 4, []int{0, 5}},
		{4, 1, nil}, // every page
	}
	for _, sz := range sizes {
		for _, f := range fixtures {
			name := fmt.Sprintf("lcd%dx%d_%s", sz.cols, sz.rows, f.name)
			t.Run(name, func(t *testing.T) {
				var b strings.Builder
				steps := sz.steps
				if steps == nil {
					for i := range pages(f.view, now5, sz.cols) {
						steps = append(steps, i)
					}
				}
				for _, step := range steps {
					lines := TextLines(f.view, sz.cols, sz.rows, now5, step)
					if len(lines) != sz.rows {
						t.Fatalf("step %d: %d lines, want %d", step, len(lines), sz.rows)
					}
					for _, l := range lines {
						// Up to 4 columns is a 14-segment display, where a
						// '.' shares the digit before it.
						width := len(l)
						if sz.cols <= 4 {
							width = alnumWidth(l)
						}
						if width != sz.cols {
							t.Fatalf("step %d: line %q is %d wide, want %d", step, l, width, sz.cols)
						}
					}
					fmt.Fprintf(&b, "step %d\n%s", step, framed(lines))
				}
				checkText(t, filepath.Join("testdata", "text", name+".txt"), b.String())
			})
		}
	}
}

func TestTerminalGoldens(t *testing.T) {
	for _, f := range fixtures {
		for _, tty := range []bool{false, true} {
			name := f.name + map[bool]string{false: "_plain", true: "_tty"}[tty]
			t.Run(name, func(t *testing.T) {
				got := TerminalText(f.view, now5, TerminalOptions{TTY: tty})
				if !tty && strings.Contains(got, "\x1b") {
					t.Errorf("plain output holds an escape code")
				}
				checkText(t, filepath.Join("testdata", "terminal", name+".txt"), got)
			})
		}
	}
}

func decodePNG(r io.Reader) (image.Image, error) { return png.Decode(r) }
