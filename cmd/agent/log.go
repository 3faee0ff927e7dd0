package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// newLogger returns the agent's logger: text lines on w, one per event.
// Under systemd (JOURNAL_STREAM set) it drops the time stamp, which journald
// adds itself. Every record passes through a redactor first.
func newLogger(w io.Writer, level string, journald bool, r *redactor) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if journald {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(&redactHandler{h: slog.NewTextHandler(w, opts), r: r})
}

// secretKeys are attribute keys whose value is never logged, whatever it is.
var secretKeys = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "device_code": true,
	"token": true, "password": true, "secret": true, "client_secret": true, "assertion": true,
}

// Secret-shaped text: JWTs (three base64url segments starting with a JSON
// header, "eyJ") and long opaque strings such as Entra refresh tokens and
// device codes (runs of 48 or more of [A-Za-z0-9_-.~+=]). URLs, GUIDs and
// host names are shorter or carry / and :. The scanners below match exactly
// what the regular expressions
//
//	eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*
//	[A-Za-z0-9_\-.~+=]{48,}
//
// replace with ReplaceAllString, one after the other (log_test.go checks
// them against package regexp, which would add ~100 KB to every binary).
const minOpaque = 48

// isB64URL reports whether c is in [A-Za-z0-9_-].
func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// isOpaque reports whether c is in [A-Za-z0-9_\-.~+=].
func isOpaque(c byte) bool {
	return isB64URL(c) || c == '.' || c == '~' || c == '+' || c == '='
}

// b64Run returns the end of the run of base64url bytes starting at i.
func b64Run(s string, i int) int {
	for i < len(s) && isB64URL(s[i]) {
		i++
	}
	return i
}

// jwtEnd returns the end of the JWT-shaped text starting at i (which holds
// "eyJ"), or -1. The character classes exclude '.', so the greedy runs can
// only stop where they do: there is no backtracking to emulate.
func jwtEnd(s string, i int) int {
	k := b64Run(s, i+3)
	if k == i+3 || k >= len(s) || s[k] != '.' {
		return -1
	}
	k = b64Run(s, k+1)
	if k >= len(s) || s[k] != '.' {
		return -1
	}
	return b64Run(s, k+1)
}

// redactJWTs replaces every JWT-shaped substring, leftmost first, without
// overlap. It returns s itself when there is none.
func redactJWTs(s string) string {
	var b strings.Builder
	last, found := 0, false
	for i := 0; ; {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			break
		}
		i += j
		end := jwtEnd(s, i)
		if end < 0 {
			i++
			continue
		}
		if !found {
			b.Grow(len(s))
			found = true
		}
		b.WriteString(s[last:i])
		b.WriteString(redacted)
		last, i = end, end
	}
	if !found {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactOpaque replaces every maximal run of at least minOpaque opaque
// bytes. Bytes of multi-byte UTF-8 sequences (and invalid bytes) are all
// >= 0x80, outside the class, so scanning bytes equals scanning runes.
func redactOpaque(s string) string {
	var b strings.Builder
	last, found := 0, false
	for i := 0; i < len(s); {
		if !isOpaque(s[i]) {
			i++
			continue
		}
		start := i
		for i < len(s) && isOpaque(s[i]) {
			i++
		}
		if i-start < minOpaque {
			continue
		}
		if !found {
			b.Grow(len(s))
			found = true
		}
		b.WriteString(s[last:start])
		b.WriteString(redacted)
		last = i
	}
	if !found {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

const redacted = "[redacted]"

// redactor is the second line of defence: the code never logs a secret on
// purpose, and this replaces anything that looks like one, plus every
// value it was told about, in messages and attribute values.
type redactor struct {
	mu      sync.RWMutex
	secrets []string // newest last; bounded
}

// add remembers a secret value (an access token handed to MQTT, the MQTT
// password) so it is cut from any log line.
func (r *redactor) add(s string) {
	if r == nil || len(s) < 8 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.secrets {
		if have == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	if len(r.secrets) > 32 {
		r.secrets = r.secrets[len(r.secrets)-32:]
	}
}

// clean returns s with secrets replaced.
func (r *redactor) clean(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, redacted)
			}
		}
		r.mu.RUnlock()
	}
	return redactOpaque(redactJWTs(s))
}

type redactHandler struct {
	h slog.Handler
	r *redactor
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.clean(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.clean(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		// errors and Stringers: format, then clean.
		return slog.String(a.Key, h.r.clean(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{h: h.h.WithAttrs(clean), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(name), r: h.r}
}
