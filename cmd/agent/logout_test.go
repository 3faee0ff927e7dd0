package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/mosquittotest"
	"github.com/boardlogin/boardlogin/internal/testenv"
)

// boardlogin logout against a RUNNING agent binary: the agent receives the
// sign-out, shows a new code, and does not write the cache back; the
// agent's retained status stays online (logout does not pose as it).
func TestE2ELogoutSignsOutRunningAgent(t *testing.T) {
	bin := agentBinary(t)
	e := startE2E(t, time.Hour)
	sub := e.broker.Subscribe(t, mosquittotest.SubOptions{}, e.prefix+"/#")

	var stdout, stderr syncBuffer
	cmd := testenv.Start(t, func() *exec.Cmd {
		c := e.command(bin, append([]string{"run"}, e.flags()...)...)
		c.Stdout, c.Stderr = &stdout, &stderr
		return c
	})
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("agent stdout:\n%s\nagent stderr:\n%s", stdout.String(), stderr.String())
		}
	}()

	var code string
	waitFor(t, 30*time.Second, "a device code", func() bool {
		if cs := e.idp.UserCodes(); len(cs) > 0 {
			code = cs[0]
		}
		return code != "" && strings.Contains(stdout.String(), code)
	})
	if err := e.idp.Approve(code); err != nil {
		t.Fatal(err)
	}
	readToken(t, sub, e.prefix, "")
	waitFor(t, 10*time.Second, "the cache written", func() bool { _, err := os.Stat(e.cache); return err == nil })

	var out, errOut bytes.Buffer
	lo := testenv.Start(t, func() *exec.Cmd {
		c := e.command(bin, append([]string{"logout"}, e.flags()...)...)
		out.Reset()
		errOut.Reset()
		c.Stdout, c.Stderr = &out, &errOut
		return c
	})
	if err := lo.Wait(); err != nil {
		t.Fatalf("boardlogin logout: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"removed " + e.cache, "sent sign-out to a running agent (" + e.prefix + "/cmd/signout)", "cleared token graph"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("logout output lacks %q:\n%s", want, out.String())
		}
	}

	waitFor(t, 30*time.Second, "a new device code after logout", func() bool {
		cs := e.idp.UserCodes()
		return len(cs) > 0 && cs[len(cs)-1] != code && strings.Contains(stdout.String(), cs[len(cs)-1])
	})
	if !strings.Contains(stderr.String(), "sign") {
		t.Errorf("the agent's log does not mention the sign-out:\n%s", stderr.String())
	}
	// The agent would have rewritten the cache at once on its own
	// sign-out path or at a refresh; it must stay gone.
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(e.cache); !os.IsNotExist(err) {
		t.Errorf("cache back after logout: %v", err)
	}
	status := e.broker.Subscribe(t, mosquittotest.SubOptions{}, e.prefix+"/status")
	m := status.WaitFor(10*time.Second, "retained status", func(m mosquittotest.Message) bool { return m.Retained })
	if string(m.Payload) != "online" {
		t.Errorf("retained status after logout = %q, want the running agent's online", m.Payload)
	}
}

// With the broker away, logout still removes the cache and says plainly
// that a running agent was not signed out.
func TestLogoutBrokerUnreachable(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	addr := b.Addr()
	b.Stop()
	cache := filepath.Join(t.TempDir(), "tokens.cbor")
	if _, err := tokencache.New(cache).Save(&tokencache.Snapshot{ClientID: "c", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	err := run(context.Background(), append([]string{"logout"}, baseFlags(cache, "tcp://"+addr)...), &out, &out)
	t.Logf("logout took %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "not reachable") || !strings.Contains(err.Error(), "was not signed out") {
		t.Errorf("err = %v, want it to say the broker is not reachable and the agent was not signed out", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	if !strings.Contains(out.String(), "removed "+cache) {
		t.Errorf("output: %q", out.String())
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache still there: %v", err)
	}
}
