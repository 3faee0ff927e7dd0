package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err != nil {
		t.Fatalf("run version: %v", err)
	}
	if !strings.HasPrefix(out.String(), "boardlogin ") {
		t.Fatalf("version output = %q, want it to start with %q", out.String(), "boardlogin ")
	}
}

// The release build stamps the commit time (build/arm/build); the go
// command's vcs.time is the fallback; nothing parses as nothing.
func TestStampedTime(t *testing.T) {
	for _, tt := range []struct {
		stamps []string
		want   string
	}{
		{[]string{"2026-12-02T05:21:19+01:00", "2026-01-01T00:00:00Z"}, "2026-12-02T04:21:19Z"},
		{[]string{"", "2026-01-01T00:00:00Z"}, "2026-01-01T00:00:00Z"},
		{[]string{"yesterday", ""}, ""},
		{nil, ""},
	} {
		got := stampedTime(tt.stamps...)
		if s := got.Format(time.RFC3339); tt.want == "" && !got.IsZero() || tt.want != "" && s != tt.want {
			t.Errorf("stampedTime(%q) = %v, want %q", tt.stamps, got, tt.want)
		}
	}
}

func TestRunUnknownCommandIsUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("run frobnicate = %v (exit %d), want a usage error with exit 2", err, exitCode(err))
	}
}
