package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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

func TestRunUnknownCommandIsUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("run frobnicate = %v (exit %d), want a usage error with exit 2", err, exitCode(err))
	}
}
