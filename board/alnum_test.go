package board

import (
	"testing"

	"periph.io/x/conn/v3/display"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ht16k33"
)

// segments returns what periph's font says digit pos should hold for r.
func segments(t *testing.T, pos int, r rune, dot bool) []byte {
	t.Helper()
	rec := &i2ctest.Record{}
	d, err := ht16k33.NewAlphaNumericDisplay(rec, 0x70)
	if err != nil {
		t.Fatal(err)
	}
	n := len(rec.Ops)
	if err := d.SetDigit(pos, r, dot); err != nil {
		t.Fatal(err)
	}
	return rec.Ops[n].W
}

// alnumRAM replays digit writes ({2*pos, low, high}) into four digits.
func alnumRAM(t *testing.T, ops []i2ctest.IO) map[int]string {
	t.Helper()
	ram := map[int]string{}
	for _, op := range ops {
		if len(op.W) == 3 && op.W[0]%2 == 0 && op.W[0] < 8 {
			ram[int(op.W[0])/2] = string(op.W)
		}
	}
	return ram
}

func TestAlnum(t *testing.T) {
	for _, tc := range []struct {
		text string
		want [4]alnumCell
	}{
		{"CODE", [4]alnumCell{{'C', false}, {'O', false}, {'D', false}, {'E', false}}},
		{"1.5", [4]alnumCell{{'1', true}, {'5', false}, {' ', false}, {' ', false}}},
		{".5", [4]alnumCell{{' ', true}, {'5', false}, {' ', false}, {' ', false}}},
		{"A..B", [4]alnumCell{{'A', true}, {' ', true}, {'B', false}, {' ', false}}},
		{"ABCDE", [4]alnumCell{{'E', false}, {'B', false}, {'C', false}, {'D', false}}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			rec := &i2ctest.Record{}
			a, err := NewAlnum(rec, 0x70)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := a.WriteString(tc.text); err != nil || n != len(tc.text) {
				t.Fatalf("WriteString = %d, %v", n, err)
			}
			ram := alnumRAM(t, rec.Ops)
			for i, c := range tc.want {
				if want := string(segments(t, i, c.r, c.dot)); ram[i] != want {
					t.Errorf("digit %d = % x, want % x (%q dot=%t)", i, ram[i], want, c.r, c.dot)
				}
			}
		})
	}
}

func TestAlnumSendsOnlyChanges(t *testing.T) {
	rec := &i2ctest.Record{}
	a, err := NewAlnum(rec, 0x70)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteString("WXYZ"); err != nil {
		t.Fatal(err)
	}
	n := len(rec.Ops)
	if err := a.Home(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteString("WXYQ"); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.Ops) - n; got != 1 {
		t.Fatalf("one changed character sent %d transactions", got)
	}
	if err := a.MoveTo(1, 0); err == nil {
		t.Error("row 1 accepted on a 4x1 panel")
	}
	if err := a.Cursor(display.CursorBlink); err == nil {
		t.Error("blinking cursor accepted")
	}
	if a.Cols() != 4 || a.Rows() != 1 {
		t.Errorf("size %dx%d", a.Cols(), a.Rows())
	}
}

func TestAlnumBusError(t *testing.T) {
	if _, err := NewAlnum(&failBus{}, 0x70); err == nil {
		t.Fatal("no error on a dead bus")
	}
}
