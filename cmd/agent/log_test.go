package main

import (
	"bytes"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestRedactingHandler(t *testing.T) {
	jwt := "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ."
	opaque := strings.Repeat("0.AXcAv4j5cvGGr0GRqy180BHbR", 3)
	known := "short-but-known-secret"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"secret key", func(l *slog.Logger) { l.Info("x", "refresh_token", "whatever-it-is") }},
		{"jwt in a message", func(l *slog.Logger) { l.Info("got " + jwt) }},
		{"jwt in an error", func(l *slog.Logger) { l.Warn("x", "err", errors.New("bad reply: "+jwt)) }},
		{"opaque in a value", func(l *slog.Logger) { l.Debug("x", "body", "refresh_token="+opaque+"&x=1") }},
		{"known value", func(l *slog.Logger) { l.Info("x", "detail", "the value "+known+" leaked") }},
		{"group", func(l *slog.Logger) { l.Info("x", slog.Group("g", "device_code", "abc", "v", known)) }},
		{"with attrs", func(l *slog.Logger) { l.With("access_token", jwt).Info("x") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := &redactor{}
			r.add(known)
			tt.log(newLogger(&buf, "debug", false, r))
			out := buf.String()
			for _, s := range []string{jwt, opaque, known, "whatever-it-is", "device_code=abc"} {
				if strings.Contains(out, s) {
					t.Errorf("log line kept a secret: %s", out)
				}
			}
			if !strings.Contains(out, redacted) {
				t.Errorf("nothing redacted: %s", out)
			}
		})
	}
}

func TestLoggerKeepsOrdinaryValues(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "info", true, &redactor{}).Info("device code", "user_code", "WDJB-MJHT",
		"verification_uri", "https://microsoft.com/devicelogin", "tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47")
	out := buf.String()
	for _, s := range []string{"WDJB-MJHT", "https://microsoft.com/devicelogin", "72f988bf-86f1-41af-91ab-2d7cd011db47"} {
		if !strings.Contains(out, s) {
			t.Errorf("%q was cut from %s", s, out)
		}
	}
	if strings.Contains(out, "time=") {
		t.Errorf("journald mode kept the time stamp: %s", out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("not one line: %q", out)
	}
}

// The regular expressions log.go used to link; the hand-written scanners
// must replace exactly what these do.
var (
	jwtPattern    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)
	opaquePattern = regexp.MustCompile(`[A-Za-z0-9_\-.~+=]{48,}`)
)

func regexpRedact(s string) string {
	s = jwtPattern.ReplaceAllString(s, redacted)
	return opaquePattern.ReplaceAllString(s, redacted)
}

func TestRedactEdges(t *testing.T) {
	r := &redactor{}
	a47, a48 := strings.Repeat("a", 47), strings.Repeat("a", 48)
	jwt := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.c2ln"
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"47 chars stay", a47, a47},
		{"48 chars go", a48, redacted},
		{"47 between spaces", "x " + a47 + " y", "x " + a47 + " y"},
		{"48 between spaces", "x " + a48 + " y", "x " + redacted + " y"},
		{"48 with every class byte", strings.Repeat("aZ9_-.~+=", 5) + "abc", redacted},
		{"47 then slash then 47", a47 + "/" + a47, a47 + "/" + a47},
		{"jwt at start", jwt + " rest", redacted + " rest"},
		{"jwt at end", "got " + jwt, "got " + redacted},
		{"jwt alone", jwt, redacted},
		{"jwt empty signature", "eyJa.b.", redacted},
		{"jwt empty payload and signature", "eyJa..", redacted},
		{"jwt needs a header byte", "eyJ.b.c", "eyJ.b.c"},
		{"two dots needed", "eyJabc.def", "eyJabc.def"},
		{"jwt inside a word", "tokeneyJa.b.c", "token" + redacted},
		{"adjacent jwts", jwt + "." + jwt, redacted + "." + redacted},
		// The signature's run goes on into the next header: the second
		// JWT's rest has one dot only (the regexp did the same).
		{"jwts back to back", jwt + jwt, redacted + ".eyJzdWIiOiJhZGEifQ.c2ln"},
		{"jwt then opaque", jwt + " " + a48, redacted + " " + redacted},
		{"opaque glued to jwt", a48 + jwt, redacted + redacted},
		{"unicode around", "é" + jwt + "ü", "é" + redacted + "ü"},
		{"unicode around opaque", "日本" + a48 + "語", "日本" + redacted + "語"},
		{"unicode splits a run", strings.Repeat("a", 30) + "é" + strings.Repeat("a", 30), strings.Repeat("a", 30) + "é" + strings.Repeat("a", 30)},
		{"invalid utf-8 splits a run", a47 + "\xff" + a47, a47 + "\xff" + a47},
		{"brackets of redacted break runs", strings.Repeat("b", 40) + jwt + " " + strings.Repeat("c", 40), strings.Repeat("b", 40) + redacted + " " + strings.Repeat("c", 40)},
		{"signature swallows what follows", jwt + strings.Repeat("c", 40), redacted},
		{"url stays", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.clean(tt.in); got != tt.want {
				t.Errorf("clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if got := regexpRedact(tt.in); got != tt.want {
				t.Errorf("the regexp reference disagrees with the table: %q", got)
			}
		})
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", "eyJa.b.c", "eyJ", "eyJa.b", strings.Repeat("a", 48), strings.Repeat("a.", 30) + "eyJx..",
		"x eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ. y", "é" + strings.Repeat("=", 49) + "\xff", "eyeyJeyJa.eyJb.c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := redactOpaque(redactJWTs(s)), regexpRedact(s); got != want {
			t.Errorf("redact(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	r := &redactor{}
	line := "token endpoint answered invalid_grant for account ada@contoso.example after 3 attempts; refresh in 5m0s"
	b.ReportAllocs()
	for b.Loop() {
		r.clean(line)
	}
}
