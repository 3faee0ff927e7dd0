package faults

import (
	"errors"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/mqtt"
)

// The broker is killed (SIGKILL, as a crash or power cut) and restarted,
// twice: with persistence, so it comes back holding the retained token it
// had. First the token expires while the broker is away: once the agent
// reconnects the dead token must be cleared, not left retained. Then a
// refresh happens while the broker is away: the publish fails with
// ErrNotConnected and the new token is on the broker after the restart.
// The refresh token is never lost along the way.
func TestBrokerKilledAndRestarted(t *testing.T) {
	e := newEnv(t, envOpts{server: entratest.Options{TokenLifetime: 2 * time.Second, RevokeRotated: true}, mqtt: true, persist: true})
	e.signIn()
	if e.retainedToken() != e.tok.AccessToken {
		t.Fatal("the token is not retained before the fault")
	}

	// 1. Killed; the token expires meanwhile.
	e.broker.Kill()
	eventually(t, 5*time.Second, "the client to notice the broker is gone", func() bool { return !e.pub.Connected() })
	time.Sleep(time.Until(e.tok.ExpiresAt) + 100*time.Millisecond)
	e.broker.Restart()
	eventually(t, 10*time.Second, "the client to reconnect", e.pub.Connected)
	e.assertNoStaleToken()
	if got := e.retainedToken(); got != "" {
		t.Fatal("an expired token is still retained after the reconnect")
	}

	// 2. Killed; a refresh happens meanwhile.
	e.broker.Kill()
	eventually(t, 5*time.Second, "the client to notice the broker is gone", func() bool { return !e.pub.Connected() })
	err := e.refresh(ctxT(t, 5*time.Second))
	if !errors.Is(err, mqtt.ErrNotConnected) {
		t.Fatalf("publish while the broker is down: got %v, want ErrNotConnected", err)
	}
	if got := cachedRefreshToken(t, e.cache.Path()); got != e.tok.RefreshToken {
		t.Fatal("the cache does not hold the refresh token of the refresh made while the broker was down")
	}
	e.broker.Restart()
	eventually(t, 10*time.Second, "the client to reconnect", e.pub.Connected)
	// Connected means the latest values were republished: the refreshed
	// token, or (on a slow emulated run where it already expired) nothing.
	e.assertNoStaleToken()
	if got := e.retainedToken(); got != e.tok.AccessToken && time.Now().Before(e.tok.ExpiresAt.Add(-100*time.Millisecond)) {
		t.Fatal("the token refreshed while the broker was down is not on the broker after the restart")
	}
	e.restart()
	if got := e.retainedToken(); got != e.tok.AccessToken {
		t.Fatal("the restarted engine's token is not on the broker")
	}
}
