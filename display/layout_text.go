package display

import (
	"strconv"
	"strings"
	"time"
)

// TextLines is the pure character layout: v as rows lines of exactly cols
// printable ASCII characters at time now. step moves what does not fit:
// rows longer than the panel scroll one character per step, and a display
// of 4 columns or fewer (HT16K33 alphanumeric) shows page step of the text,
// one word (or 4-character piece of a word) per page.
//
// 16x2: the code and the minutes left, then the address.
// 20x4 (and more rows): "Sign in at:", the address, the code, the minutes.
func TextLines(v View, cols, rows int, now time.Time, step int) []string {
	if cols < 1 || rows < 1 {
		return nil
	}
	out := make([]string, rows)
	if step < 0 {
		step = 0
	}
	switch {
	case cols <= 4:
		// A 14-segment display: a '.' takes no digit of its own (see
		// pages), so the page is padded by digits, not by bytes.
		page := pageAt(v, now, cols, step)
		out[0] = page + strings.Repeat(" ", max(cols-alnumWidth(page), 0))
		for i := 1; i < rows; i++ {
			out[i] = strings.Repeat(" ", cols)
		}
		return out
	case rows == 1:
		var b [bufSize * 2]byte
		out[0] = scrollRow(string(matrixText(b[:0], v, now)), cols, step)
	case v.State == AwaitingUser && rows >= 4 && cols >= 16:
		addr := shortURI(v.VerificationURI)
		out[0] = "Sign in at:"
		out[1] = scrollRow(addr, cols, step)
		code := "Code: " + v.UserCode
		if len(code) > cols {
			code = v.UserCode
		}
		out[2] = scrollRow(code, cols, step)
		out[3] = string(appendLeft(nil, v, now))
	case v.State == AwaitingUser:
		code := v.UserCode
		if m := shortLeft(v, now); m != "" && len(code)+1+len(m) <= cols {
			code += strings.Repeat(" ", cols-len(code)-len(m)) + m
		}
		out[0] = scrollRow(code, cols, step)
		out[1] = scrollRow(shortURI(v.VerificationURI), cols, step)
	default:
		title, sentences := message(v)
		if v.State == SignedIn {
			sentences[1] = string(appendTokenLeft(nil, v, now))
		}
		out[0] = title
		var parts []string
		for _, s := range sentences {
			if strings.TrimSpace(s) != "" {
				parts = append(parts, string(appendASCII(nil, s)))
			}
		}
		var lines [16]span
		text := []byte(strings.Join(parts, ". "))
		n := wrap(text, cols, lines[:])
		if n < rows && n < len(lines) {
			for i, l := range lines[:n] {
				out[i+1] = string(text[l.a:l.b])
			}
		} else {
			// Too long to wrap: one sentence per row, each scrolling.
			for i := 0; i < len(parts) && i+1 < rows; i++ {
				out[i+1] = scrollRow(parts[i], cols, step)
			}
		}
	}
	for i := range out {
		out[i] = pad(out[i], cols)
	}
	return out
}

// shortLeft is the countdown for a 16-column row: "14m", "exp".
func shortLeft(v View, now time.Time) string {
	if v.ExpiresAt.IsZero() {
		return ""
	}
	m := minutesLeft(v, now)
	if m <= 0 {
		return "exp"
	}
	return strconv.Itoa(m) + "m"
}

// scrollRow returns s when it fits cols, else the cols-wide window of s
// (followed by a gap of 3 spaces, then s again) at step.
func scrollRow(s string, cols, step int) string {
	s = string(appendASCII(nil, s))
	if len(s) <= cols {
		return s
	}
	loop := s + "   "
	off := step % len(loop)
	return (loop + loop)[off : off+cols]
}

// pad sanitises s and pads or cuts it to exactly cols characters.
func pad(s string, cols int) string {
	s = string(appendASCII(nil, s))
	if len(s) >= cols {
		return s[:cols]
	}
	return s + strings.Repeat(" ", cols-len(s))
}

// pages splits the matrix line into pages of at most cols digits of a
// 14-segment display: one word each (a word longer than cols is cut into
// pieces), upper case since 14-segment digits show capitals best. A '.'
// after a character lights that digit's decimal point and takes no digit
// of its own (board.Alnum). A '-' inside the user code splits it too: RFC
// 8628 section 6.1 has servers ignore such separators; one in the address
// is part of the host name and stays.
func pages(v View, now time.Time, cols int) []string {
	var b [bufSize * 2]byte
	text := strings.ToUpper(string(matrixText(b[:0], v, now)))
	code := strings.ToUpper(string(appendASCII(nil, v.UserCode)))
	var out []string
	for _, w := range strings.Fields(text) {
		if w == "-" {
			continue // the separator before the minutes left
		}
		parts := []string{w}
		if code != "" && w == code {
			parts = strings.FieldsFunc(w, func(r rune) bool { return r == '-' })
		}
		for _, p := range parts {
			out = append(out, alnumPieces(p, cols)...)
		}
	}
	return out
}

// alnumWidth is how many digits s takes on a 14-segment display, where a
// '.' after a character (not after another '.') lights that character's
// decimal point.
func alnumWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && i > 0 && s[i-1] != '.' {
			continue
		}
		n++
	}
	return n
}

// alnumPieces cuts w into pieces of at most cols digits (alnumWidth). A
// '.' at the start of a piece stands alone, as it does on the display.
func alnumPieces(w string, cols int) []string {
	var out []string
	start, width := 0, 0
	for i := 0; i < len(w); i++ {
		if w[i] == '.' && i > start && w[i-1] != '.' {
			continue // on the digit before it
		}
		if width == cols {
			out = append(out, w[start:i])
			start, width = i, 0
		}
		width++
	}
	return append(out, w[start:])
}

// pageAt returns page step (modulo the page count) of v.
func pageAt(v View, now time.Time, cols, step int) string {
	p := pages(v, now, cols)
	if len(p) == 0 {
		return ""
	}
	return p[step%len(p)]
}
