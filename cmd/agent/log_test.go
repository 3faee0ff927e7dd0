package main

import (
	"bytes"
	"errors"
	"log/slog"
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
