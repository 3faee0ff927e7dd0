// Command boardlogin signs a headless board into Microsoft Entra ID (or any
// RFC 8628 identity provider) with the OAuth 2.0 device code flow, shows the
// code on the board's display and publishes tokens to local MQTT consumers.
//
// main only sets up signals and calls run, which tests call directly.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "boardlogin:", err)
		os.Exit(exitCode(err))
	}
}

// run executes one subcommand. It is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "boardlogin", version)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q (want run, demo, token, status, logout, config check or version)", cmd)}
	}
}

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode maps an error to the process exit status: 2 for usage errors,
// 1 for everything else.
func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}
