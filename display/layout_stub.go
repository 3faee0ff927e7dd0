package display

import "time"

func layoutLarge(c canvas, v View, now time.Time)            {}
func layout64(c canvas, v View, now time.Time, step int)     {}
func layout32(c canvas, v View, now time.Time, step int)     {}
func layoutMatrix(c canvas, v View, now time.Time, step int) {}

// TextLines is the pure character layout: v as cols x rows characters at
// time now, each line exactly cols bytes of printable ASCII. step scrolls
// rows too long for the panel (one character per step) and pages a
// 4-character display.
func TextLines(v View, cols, rows int, now time.Time, step int) []string {
	out := make([]string, rows)
	return out
}
