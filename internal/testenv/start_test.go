package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// stuckChild is a command whose command line ends with this test binary's
// own arguments for as long as it lives, which is what a child stuck
// between fork and exec shows. ("; true" keeps sh from exec'ing sleep.)
func stuckChild() *exec.Cmd {
	return exec.Command("sh", append([]string{"-c", "sleep 30; true"}, os.Args...)...)
}

func TestStartCmdRetriesAChildStuckBeforeExec(t *testing.T) {
	t.Setenv(ExecEnv, "qemu-arm-static") // as under emulation; nothing runs through it here
	defer func(w time.Duration) { execWait = w }(execWait)
	execWait = 300 * time.Millisecond

	var logs []string
	starts := 0
	_, err := StartCmd(func() *exec.Cmd { starts++; return stuckChild() },
		func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) })
	if err == nil || !strings.Contains(err.Error(), "hung between fork and exec 3 times") {
		t.Errorf("err = %v, want the three hangs reported", err)
	}
	if starts != startAttempts || len(logs) != startAttempts-1 {
		t.Errorf("%d starts and %d log lines, want %d and %d", starts, len(logs), startAttempts, startAttempts-1)
	}

	// A child that reaches exec is returned at once, on the first start.
	starts = 0
	begin := time.Now()
	cmd, err := StartCmd(func() *exec.Cmd { starts++; return exec.Command("sleep", "0.2") }, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("sleep: %v", err)
	}
	if starts != 1 || time.Since(begin) > execWait+time.Second {
		t.Errorf("%d starts in %v for a child that reached exec", starts, time.Since(begin))
	}
}

// Under qemu-user cmd.Start itself can hang: it waits for a child that
// never reaches exec. StartCmd kills that child, which lets Start return,
// and starts a fresh command.
func TestStartCmdRecoversFromAStartThatHangs(t *testing.T) {
	t.Setenv(ExecEnv, "qemu-arm-static") // as under emulation; nothing runs through it here
	defer func(w time.Duration) { execWait = w }(execWait)
	execWait = 300 * time.Millisecond
	defer func(s func(*exec.Cmd) error) { start = s }(start)
	var stuck *exec.Cmd
	start = func(c *exec.Cmd) error {
		if stuck != nil {
			return c.Start()
		}
		// The first Start forks a child that keeps this process's command
		// line and does not return while that child lives.
		stuck = stuckChild()
		if err := stuck.Start(); err != nil {
			t.Error(err)
			return err
		}
		stuck.Wait()
		return c.Start() // the real Start returns nil once the pipe closes
	}

	var logs []string
	starts := 0
	begin := time.Now()
	cmd, err := StartCmd(func() *exec.Cmd { starts++; return exec.Command("sleep", "0.2") },
		func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) })
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the second command: %v", err)
	}
	if stuck.ProcessState == nil || stuck.ProcessState.Success() {
		t.Errorf("the stuck child was not killed: %v", stuck.ProcessState)
	}
	if starts != 2 || len(logs) != 1 || !strings.Contains(logs[0], "hung between fork and exec") {
		t.Errorf("%d starts, logs %q; want 2 starts and one line about the hang", starts, logs)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("took %v; the stuck child sleeps 30 s, it should have been killed after %v", d, execWait)
	}
}

// Natively nothing is checked: the command starts as cmd.Start would.
func TestStartCmdNative(t *testing.T) {
	t.Setenv(ExecEnv, "")
	cmd, err := StartCmd(stuckChild, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
}
