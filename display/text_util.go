package display

import (
	"strconv"
	"strings"
	"time"
)

// appendASCII appends s with every rune outside printable ASCII replaced by
// '?': the fonts and every character panel know ASCII only, and control
// characters must never reach an LCD controller.
func appendASCII(dst []byte, s string) []byte {
	for _, r := range s {
		if r < 0x20 || r > 0x7E {
			r = '?'
		}
		dst = append(dst, byte(r))
	}
	return dst
}

// shortURI drops "https://" (browsers add it) and a trailing slash, so
// more of the address fits; other schemes stay visible.
func shortURI(s string) string {
	s = strings.TrimPrefix(s, "https://")
	if len(s) > 1 {
		s = strings.TrimSuffix(s, "/")
	}
	return s
}

// qrTarget is what the QR code encodes: the address with the code
// included when the provider gave one.
func qrTarget(v View) string {
	if v.VerificationURIComplete != "" {
		return v.VerificationURIComplete
	}
	return v.VerificationURI
}

// remaining is the time left on the code, never negative.
func remaining(v View, now time.Time) time.Duration {
	if v.ExpiresAt.IsZero() {
		return 0
	}
	return max(v.ExpiresAt.Sub(now), 0)
}

// minutesLeft is the minutes left on the code, rounded up, so "1 min"
// shows until the code expires.
func minutesLeft(v View, now time.Time) int {
	r := remaining(v, now)
	return int((r + time.Minute - 1) / time.Minute)
}

// appendLeft appends the countdown in words: "14 min left", "expired".
func appendLeft(dst []byte, v View, now time.Time) []byte {
	m := minutesLeft(v, now)
	if v.ExpiresAt.IsZero() {
		return dst
	}
	if m <= 0 {
		return append(dst, "expired"...)
	}
	dst = strconv.AppendInt(dst, int64(m), 10)
	return append(dst, " min left"...)
}

// appendTokenLeft appends the token's lifetime coarsely (hours, then five
// minute steps, then minutes), so a slow panel is not redrawn every minute
// for it.
func appendTokenLeft(dst []byte, v View, now time.Time) []byte {
	if v.TokenExpiry.IsZero() {
		return dst
	}
	d := v.TokenExpiry.Sub(now)
	switch {
	case d <= 0:
		return append(dst, "token expired"...)
	case d >= 2*time.Hour:
		dst = append(dst, "token ok, "...)
		dst = strconv.AppendInt(dst, int64(d/time.Hour), 10)
		return append(dst, " h"...)
	case d >= 10*time.Minute:
		dst = append(dst, "token ok, "...)
		dst = strconv.AppendInt(dst, int64(d/(5*time.Minute)*5), 10)
		return append(dst, " min"...)
	}
	dst = append(dst, "token ok, "...)
	dst = strconv.AppendInt(dst, int64((d+time.Minute-1)/time.Minute), 10)
	return append(dst, " min"...)
}

// message is the text of every state but AwaitingUser: a short title and
// up to three sentences.
func message(v View) (title string, lines [3]string) {
	or := func(s, def string) string {
		if strings.TrimSpace(s) == "" {
			return def
		}
		return s
	}
	switch v.State {
	case Starting:
		return "Starting", [3]string{or(v.Reason, "signing in..."), v.Hint}
	case SignedIn:
		return "Signed in", [3]string{or(v.Account, "(unknown account)"), "", v.Hint}
	case NoNetwork:
		return "No network", [3]string{or(v.Reason, "cannot reach the sign-in service"), or(v.Hint, "check the cable or Wi-Fi")}
	case WaitingForClock:
		return "No clock", [3]string{or(v.Reason, "waiting for the time (NTP)"), or(v.Hint, "check the network; the board has no clock")}
	case AwaitingUser:
		return "Sign in", [3]string{v.UserCode, shortURI(v.VerificationURI)}
	case Stopped:
		return "Stopped", [3]string{or(v.Reason, "agent shut down"), or(v.Hint, "tokens resume when it restarts")}
	}
	return "Error", [3]string{or(v.Reason, "something went wrong"), or(v.Hint, "see the log: journalctl -u boardlogin")}
}

// span is one wrapped line: text[a:b].
type span struct{ a, b int }

// wrap splits text into at most len(out) lines of at most cols bytes,
// breaking after a space, '/', '.', '?', '&' or '-' where it can, unless
// that would leave too much for the lines below when a plain cut would not.
// When text does not fit, the last line ends in "..". It returns the line count. It
// writes into text (the caller's copy) only for that "..". Lines are
// returned as index pairs, not slices, so the caller's buffer stays on its
// stack.
func wrap(text []byte, cols int, out []span) int {
	if cols < 1 {
		return 0
	}
	n, i := 0, 0
	for i < len(text) && n < len(out) {
		for i < len(text) && text[i] == ' ' {
			i++
		}
		if i == len(text) {
			break
		}
		rest := len(text) - i
		if rest <= cols {
			out[n] = span{i, len(text)}
			return n + 1
		}
		if n == len(out)-1 {
			if cols >= 3 {
				text[i+cols-1], text[i+cols-2] = '.', '.'
			}
			out[n] = span{i, i + cols}
			return n + 1
		}
		cut := cols
		// A break left of cols pushes more onto the lines below. If a cut
		// at cols would let the rest fit, no break may make it not fit:
		// better "us-east-1.amazo" / "naws.com" than a host cut short.
		room := (len(out) - 1 - n) * cols
		for j := cols; j > cols/2; j-- {
			if rest-cols <= room && rest-j > room {
				break
			}
			if text[i+j] == ' ' {
				cut = j
				break
			}
			if c := text[i+j-1]; c == '/' || c == '.' || c == '?' || c == '&' || c == '-' {
				cut = j
				break
			}
		}
		out[n] = span{i, i + cut}
		n++
		i += cut
	}
	return n
}
