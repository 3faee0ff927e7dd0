package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
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
		if len(Emulator()) == 0 {
			if err := cmd.Start(); err != nil {
				return nil, fmt.Errorf("testenv: starting %s: %w", cmd.Path, err)
			}
			return cmd, nil
		}
		started, err := startWithin(cmd, execWait)
		if err != nil {
			return nil, fmt.Errorf("testenv: starting %s: %w", cmd.Path, err)
		}
		if started && reachedExec(cmd, execWait) {
			return cmd, nil
		}
		what := "a child of Start"
		if started {
			what = fmt.Sprintf("child %d", cmd.Process.Pid)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if attempt == startAttempts {
			return nil, fmt.Errorf("testenv: %s: the emulated child hung between fork and exec %d times in a row", cmd.Path, attempt)
		}
		logf("testenv: the emulated %s (%s) hung between fork and exec, a qemu-user fault; starting it again", what, cmd.Path)
	}
}

// start is (*exec.Cmd).Start; a test replaces it to play a Start that
// hangs.
var start = (*exec.Cmd).Start

// startWithin starts cmd and says whether it did. The stuck child of a
// qemu-user fork can also keep cmd.Start itself from returning: it waits
// on the pipe through which a child reports a failed exec, and a child
// that never reaches exec never closes it (seen in CI: the parent in
// anon_pipe_read, the child with the parent's command line, for 20
// minutes). So if Start has not returned within wait, the children of this
// process that still show its command line are killed, which closes the
// pipe and lets Start return; the caller starts a fresh command.
func startWithin(cmd *exec.Cmd, wait time.Duration) (started bool, err error) {
	done := make(chan error, 1)
	go func() { done <- start(cmd) }()
	timeout := time.After(wait)
	killed := false
	for {
		select {
		case err := <-done:
			if killed {
				if err == nil {
					_ = cmd.Wait() // reap the killed child
				}
				return false, nil
			}
			return err == nil, err
		case <-timeout:
			killed = true
			killStuckChildren()
			timeout = time.After(100 * time.Millisecond) // again, until Start returns
		}
	}
}

// killStuckChildren kills the children of this process whose command line
// is still this process's own: forked, not yet exec'd.
func killStuckChildren() {
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command name in parentheses: state, then ppid.
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); len(f) < 2 || f[1] != self {
			continue
		}
		if stillOurs(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// stillOurs reports whether process pid shows this process's command line:
// the emulator's command line and then this test binary's arguments
// (os.Args), as a forked child does until it reaches exec.
func stillOurs(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && len(b) > 0 && strings.HasSuffix(string(b), strings.Join(os.Args, "\x00")+"\x00")
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
