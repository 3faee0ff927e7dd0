//go:build nodemo

package main

import (
	"context"
	"errors"
	"io"
)

// Release builds (-tags nodemo) leave the demo out: its identity provider,
// verification page and MQTT broker add about 3.7 MB to the binary, and on
// a board the binary's pages are most of the resident memory.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("agent: this build has no demo (built with -tags nodemo); run ./scripts/demo from the source tree")
}
