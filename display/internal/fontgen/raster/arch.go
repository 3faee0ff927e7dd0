package raster

import "runtime"

// ReferenceArch reports whether this architecture rasterises exactly as the
// generated tables were made. The Go compiler fuses x*y+z into one fused
// multiply-add instruction on arm64, ppc64, s390x, riscv64 and loong64 (the
// spec allows it), and x/image/vector's float32 accumulation then rounds a
// few edge pixels differently: one pixel of '6' at 22 px on arm64. amd64
// (GOAMD64=v1, the default), 386 and 32-bit arm do not fuse, and agree with
// each other. The tables are data, identical on every board; only their
// generation and the tests that re-rasterise depend on this.
func ReferenceArch() bool {
	switch runtime.GOARCH {
	case "amd64", "386", "arm":
		return true
	}
	return false
}
