package faults

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/mosquittotest"
	"github.com/boardlogin/boardlogin/internal/testenv"
	"github.com/boardlogin/boardlogin/mqtt"
)

// The agent binary is SIGKILLed again and again during a refresh storm
// (one-second tokens: it refreshes, rewrites the cache and republishes
// twice a second), each time a few milliseconds after the provider answered
// a refresh, when the agent is decoding it and rewriting the cache. After every kill the cache decodes and holds a refresh
// token the provider accepts; restarted once more, the agent publishes a
// valid token. (The server keeps used refresh tokens valid, as Entra ID
// does: a kill between the provider's answer and the cache write may keep
// the previous one, which must still work.)
func TestAgentSIGKILLDuringRefreshStorm(t *testing.T) {
	bin := testenv.BuildProgram(t, "github.com/boardlogin/boardlogin/cmd/agent", testenv.ReleaseTags(t)...)
	// refreshed hears of every refresh grant just before the server answers
	// it: the kill is aimed at the moments after, when the agent decodes the
	// reply and rewrites the cache.
	refreshed := make(chan struct{}, 1)
	idp := entratest.New(entratest.Options{TokenLifetime: time.Second, ApproveAfterPolls: 1, OnRequest: func(r entratest.Record) {
		if r.GrantType == "refresh_token" {
			select {
			case refreshed <- struct{}{}:
			default:
			}
		}
	}})
	hs := httptest.NewServer(idp)
	t.Cleanup(hs.Close)
	broker := mosquittotest.Start(t, mosquittotest.Options{})
	cachePath := filepath.Join(t.TempDir(), "state", "tokens.cbor")
	const prefix = "devicecode/faults-kill"
	scope := "https://graph.microsoft.com/.default"
	engineCfg := func(path string) devicecode.Config {
		return devicecode.Config{
			ClientID:  entratest.DefaultClientID,
			Authority: devicecode.Authority{Tenant: entratest.TenantDomain, Host: hs.URL},
			Profiles:  []devicecode.Profile{{Name: profile, Scopes: []string{scope}}},
			Clock:     &offsetClock{},
			Cache:     tokencache.New(path),
		}
	}
	// Sign in once, as the agent would have.
	c, err := devicecode.New(engineCfg(cachePath))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 2*time.Minute)
	dc, err := c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollToken(ctx, dc); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "-config", "none", "-tenant", entratest.TenantDomain, "-client-id", entratest.DefaultClientID,
		"-authority-host", hs.URL, "-profile." + profile + "=" + scope, "-cache", cachePath,
		"-mqtt-broker", "tcp://" + broker.Addr(), "-mqtt-prefix", prefix, "-display", "terminal"}
	var logs testenv.Buffer
	start := func() (*exec.Cmd, chan error) {
		cmd := testenv.Start(t, func() *exec.Cmd {
			c := testenv.Command(bin, args...)
			c.Stdout, c.Stderr = io.Discard, &logs
			c.Env = append(os.Environ(), "GOMEMLIMIT=")
			return c
		})
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, done
	}
	defer func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", logs.String())
		}
	}()

	kills, window := 20, 4*time.Millisecond
	if emulated {
		kills, window = 6, 30*time.Millisecond
	}
	torn := 0
	for i := 0; i < kills; i++ {
		select {
		case <-refreshed: // a stale signal from the previous run
		default:
		}
		cmd, done := start()
		select {
		case <-refreshed:
		case <-time.After(30 * time.Second):
			t.Fatal("the agent did not refresh")
		}
		time.Sleep(time.Duration(rand.Int64N(int64(window))))
		cmd.Process.Signal(syscall.SIGKILL)
		<-done

		// A temporary file left behind means the kill hit a cache write.
		if ms, _ := filepath.Glob(filepath.Join(filepath.Dir(cachePath), ".tokens.cbor.tmp-*")); len(ms) > 0 {
			torn++
		}
		cachedRefreshToken(t, cachePath)
		// Liveness: a copy of the cache refreshes.
		b, err := os.ReadFile(cachePath)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.cbor")
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		probe, err := devicecode.New(engineCfg(cp))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := probe.AcquireSilent(ctx, profile); err != nil {
			t.Fatalf("kill %d: the cached refresh token does not work: %v", i+1, err)
		}
	}

	t.Logf("%d of %d kills interrupted a cache write (left a temporary file)", torn, kills)

	// Once more, left running: a valid token reaches consumers.
	cmd, done := start()
	mo := mqtt.Options{Broker: broker.URL, Prefix: prefix}
	eventually(t, 30*time.Second, "a valid token on MQTT from the restarted agent", func() bool {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := mqtt.ReadToken(rctx, mo, profile)
		return err == nil
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the agent did not stop on SIGTERM")
	}
	cachedRefreshToken(t, cachePath)
}
