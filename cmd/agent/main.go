// Command boardlogin signs a headless board into Microsoft Entra ID (or any
// RFC 8628 identity provider) with the OAuth 2.0 device code flow, shows the
// code on the board's display and publishes tokens to local MQTT consumers.
//
// main only sets up signals and calls run, which tests call directly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
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
	var err error
	switch cmd {
	case "version":
		if commitTime.IsZero() {
			fmt.Fprintln(stdout, "boardlogin", version)
		} else {
			// The commit time is also the clock floor: say it, so a board
			// that waits for the clock can be told why.
			fmt.Fprintf(stdout, "boardlogin %s (commit time %s)\n", version, commitTime.Format(time.RFC3339))
		}
		return nil
	case "run":
		err = cmdRun(ctx, args, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args, stdout, stderr)
	case "token":
		err = cmdToken(ctx, args, stdout, stderr)
	case "status":
		err = cmdStatus(ctx, args, stdout, stderr)
	case "logout":
		err = cmdLogout(ctx, args, stdout, stderr)
	case "config":
		err = cmdConfigCheck(ctx, args, stdout, stderr)
	case "help":
		_, _, _, err = parseFlags([]string{"-h"}, stderr)
	default:
		return usageError{fmt.Sprintf("unknown command %q (want run, demo, token, status, logout, config check or version)", cmd)}
	}
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode maps an error to the process exit status: 2 for usage and
// configuration errors (the systemd unit's RestartPreventExitStatus=2: a
// restart cannot fix them), 1 for everything else.
func exitCode(err error) int {
	var ue usageError
	var ce *configError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return 2
	}
	return 1
}
