package raster

import (
	"bytes"
	"go/parser"
	"go/token"
	"testing"
)

func TestPack(t *testing.T) {
	const o, X = false, true
	for _, tt := range []struct {
		name string
		w    int
		ink  []bool
		want []byte
	}{
		{"no ink", 0, nil, nil},
		{"one pixel", 1, []bool{X}, []byte{0xC0}},                             // 1 1
		{"msb first", 3, []bool{o, X, X}, []byte{0xB0}},                       // 1 011
		{"repeated row", 2, []bool{X, o, X, o}, []byte{0xC0}},                 // 1 10 0
		{"new row", 2, []bool{X, o, o, X}, []byte{0xD4}},                      // 1 10 1 01
		{"repeat of a repeat", 1, []bool{X, X, X}, []byte{0xC0}},              // 1 1 0 0
		{"spills into a padded byte", 8, make([]bool, 8), []byte{0x80, 0x00}}, // 1 00000000
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := Glyph{W: tt.w}
			if tt.w > 0 {
				g.H = len(tt.ink) / tt.w
			}
			g.Ink = tt.ink
			if got := Pack(&g); !bytes.Equal(got, tt.want) {
				t.Errorf("Pack = %x, want %x", got, tt.want)
			}
		})
	}
}

func TestGlyphAt(t *testing.T) {
	g := Glyph{X: -1, Y: -2, W: 2, H: 2, Ink: []bool{true, false, false, true}}
	for _, tt := range []struct {
		x, y int
		want bool
	}{
		{-1, -2, true}, {0, -2, false}, {-1, -1, false}, {0, -1, true},
		{-2, -2, false}, {1, -1, false}, {0, 0, false}, {0, -3, false},
	} {
		if got := g.At(tt.x, tt.y); got != tt.want {
			t.Errorf("At(%d, %d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}

// The metrics display's layouts are tuned for: the 7x13 face has 9-pixel
// capitals and 2-pixel descenders; Go Mono Bold grows with its size.
func TestMetrics(t *testing.T) {
	s := Small()
	if s.Advance != 7 || s.Top != 9 || s.Bottom != 2 {
		t.Errorf("Small: advance %d top %d bottom %d, want 7 9 2", s.Advance, s.Top, s.Bottom)
	}
	prev := Font{}
	for px := MinBig; px <= MaxBig; px++ {
		f, err := Big(px)
		if err != nil {
			t.Fatal(err)
		}
		if f.Advance < prev.Advance || f.Top < prev.Top || f.Advance > px || f.Top > px {
			t.Errorf("Big(%d): advance %d top %d after %d %d", px, f.Advance, f.Top, prev.Advance, prev.Top)
		}
		if g := f.Glyphs['H'-First]; g.W == 0 || g.Y+g.H != 0 || -g.Y > f.Top {
			t.Errorf("Big(%d): 'H' box at (%d,%d) %dx%d, want it on the baseline within %d rows", px, g.X, g.Y, g.W, g.H, f.Top)
		}
		if g := f.Glyphs[' '-First]; g.W != 0 || len(g.Ink) != 0 {
			t.Errorf("Big(%d): space has ink", px)
		}
		prev = f
	}
}

func TestSource(t *testing.T) {
	// Two faces keep this fast under qemu; display's tests generate them all.
	b8, err := Big(MinBig)
	if err != nil {
		t.Fatal(err)
	}
	fonts := []Font{Small(), b8}
	a, err := Source(fonts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Source(fonts)
	if !bytes.Equal(a, b) {
		t.Fatal("Source is not deterministic")
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "fonts_generated.go", a, 0); err != nil {
		t.Fatalf("Source does not parse: %v", err)
	}
	if !bytes.HasPrefix(a, []byte("// Code generated ")) || !bytes.Contains(a, []byte("DO NOT EDIT.")) {
		t.Error("Source lacks the generated-code header")
	}
	big := fonts[:1:1]
	g := Glyph{W: 300, H: 1, Ink: make([]bool, 300)}
	big[0].Glyphs[0] = g
	if _, err := Source(big); err == nil {
		t.Error("Source took a glyph 300 pixels wide")
	}
}
