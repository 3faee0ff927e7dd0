package raster

import (
	"runtime"
	"testing"
)

// The build constraint of display's fonts_test.go and ReferenceArch must name
// the same architectures; this pins ReferenceArch for the ones CI runs.
func TestReferenceArch(t *testing.T) {
	want := map[string]bool{"amd64": true, "386": true, "arm": true, "arm64": false}
	if w, ok := want[runtime.GOARCH]; ok && ReferenceArch() != w {
		t.Fatalf("ReferenceArch() on %s = %t, want %t", runtime.GOARCH, ReferenceArch(), w)
	}
}
