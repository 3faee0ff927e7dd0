// Command fontgen writes display's bitmap font tables (fonts_generated.go),
// so the agent draws text without linking a font rasteriser. Run it from
// display/ with go generate.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/boardlogin/boardlogin/display/internal/fontgen/raster"
)

func main() {
	out := flag.String("o", "fonts_generated.go", "file to write")
	flag.Parse()
	if !raster.ReferenceArch() {
		fmt.Fprintf(os.Stderr, "fontgen: %s fuses multiply-adds and would move edge pixels; run go generate ./display on amd64 or 32-bit arm\n", runtime.GOARCH)
		os.Exit(1)
	}
	fonts, err := raster.All()
	if err == nil {
		var src []byte
		if src, err = raster.Source(fonts); err == nil {
			err = os.WriteFile(*out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fontgen:", err)
		os.Exit(1)
	}
}
