package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// execWait bounds how long an emulated child may take to reach exec. The
// exec itself takes milliseconds; a child that has not reached it after
// this long has hung and never will. A variable for the test.
var execWait = 15 * time.Second

// startAttempts is how many times Start tries before it gives up.
const startAttempts = 3

// Start starts the command newCmd returns and fails the test if it cannot.
// See StartCmd.
func Start(t testing.TB, newCmd func() *exec.Cmd) *exec.Cmd {
	t.Helper()
	cmd, err := StartCmd(newCmd, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// StartCmd starts the command newCmd returns. Natively that is all it does.
//
// Under qemu-user (Emulator set) the test binary is itself emulated, and the
// emulator's fork of a multi-threaded guest now and then leaves the child
// stuck on a lock between fork and exec (seen with Debian's QEMU 7.2: the
// child's command line still the parent's, both its threads in futex wait,
// for good). A test would then wait for a child that never runs until the
// suite's timeout. So StartCmd waits until the child's command line is no
// longer this process's own and, if it still is after execWait, kills it,
// logs why with logf and starts a fresh command from newCmd, up to
// startAttempts times. newCmd must build the whole command (pipes
// included) each time.
func StartCmd(newCmd func() *exec.Cmd, logf func(format string, args ...any)) (*exec.Cmd, error) {
	for attempt := 1; ; attempt++ {
		cmd := newCmd()
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("testenv: starting %s: %w", cmd.Path, err)
		}
		if len(Emulator()) == 0 || reachedExec(cmd, execWait) {
			return cmd, nil
		}
		pid := cmd.Process.Pid
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if attempt == startAttempts {
			return nil, fmt.Errorf("testenv: %s: the emulated child hung between fork and exec %d times in a row", cmd.Path, attempt)
		}
		logf("testenv: the emulated child %d (%s) hung between fork and exec, a qemu-user fault; starting it again", pid, cmd.Path)
	}
}

// reachedExec reports whether the child left this process's command line
// behind within wait, that is, reached exec. Until then the forked child
// shows ours: the emulator's command line and then this test binary's
// arguments (os.Args). A child that is already gone or a zombie got past
// exec too: a stuck one never exits.
func reachedExec(cmd *exec.Cmd, wait time.Duration) bool {
	ours := strings.Join(os.Args, "\x00") + "\x00"
	deadline := time.Now().Add(wait)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		switch {
		case err != nil || zombie(cmd.Process.Pid):
			return true
		case len(b) > 0 && !strings.HasSuffix(string(b), ours):
			return true
		}
		// Still ours, or empty for a moment while exec replaces the image.
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// zombie reports whether process pid has exited and waits to be reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses and may
	// itself hold any character.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}

// Output runs the command newCmd returns, started as StartCmd starts it,
// and returns its standard output, like exec.Cmd.Output.
func Output(t testing.TB, newCmd func() *exec.Cmd) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := Start(t, func() *exec.Cmd {
		c := newCmd()
		out.Reset()
		c.Stdout = &out
		return c
	})
	err := cmd.Wait()
	return out.Bytes(), err
}

// CombinedOutput runs the command newCmd returns, started as StartCmd
// starts it, and returns its standard output and error together, like
// exec.Cmd.CombinedOutput. Without a test at hand (err names the start
// failure) it logs a retry on standard error.
func CombinedOutput(newCmd func() *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd, err := StartCmd(func() *exec.Cmd {
		c := newCmd()
		out.Reset()
		c.Stdout, c.Stderr = &out, &out
		return c
	}, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
	if err != nil {
		return nil, err
	}
	err = cmd.Wait()
	return out.Bytes(), err
}
