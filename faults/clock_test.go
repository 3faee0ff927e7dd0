package faults

import (
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/mqtt"
)

// The wall clock jumps forward and back (NTP syncs on a board without an
// RTC, or an operator fixes the date). Forward: the cached access token
// counts as expired and is refreshed, not served. Back: the cached token is
// served without a refresh or a cache write. A restart with the clock in
// 1970 (no RTC, no NTP yet) still refreshes from the cached refresh token.
// On MQTT a clock that jumped past a token's expiry clears the topic instead
// of publishing it. No step loses the refresh token.
func TestWallClockJumps(t *testing.T) {
	e := newEnv(t, envOpts{mqtt: true})
	e.signIn()
	ctx := ctxT(t, 20*time.Second)
	first := e.tok

	// Forward past the token's expiry.
	e.clock.Jump(2 * time.Hour)
	writes := e.cache.writes.Load()
	tok, err := e.dc.AcquireSilent(ctx, profile)
	if err != nil {
		t.Fatalf("after a jump forward: %v", err)
	}
	if tok.AccessToken == first.AccessToken {
		t.Fatal("an access token expired on the clock was served")
	}
	if e.cache.writes.Load() != writes+1 {
		t.Errorf("%d cache writes for one refresh", e.cache.writes.Load()-writes)
	}
	e.tok = tok

	// Back, before the token was even issued.
	e.clock.Jump(-4 * time.Hour)
	issued, writes := e.srv.Issued(), e.cache.writes.Load()
	again, err := e.dc.AcquireSilent(ctx, profile)
	if err != nil {
		t.Fatalf("after a jump back: %v", err)
	}
	if again.AccessToken != tok.AccessToken || e.srv.Issued() != issued || e.cache.writes.Load() != writes {
		t.Error("a jump back caused a refresh or a cache write")
	}
	if got := cachedRefreshToken(t, e.cache.Path()); got != tok.RefreshToken {
		t.Fatal("the refresh token changed across the clock jumps")
	}

	// A restart in 1970.
	e.clock.Reset()
	// (Not published: its expiry on a 1970 clock is meaningless to
	// consumers, which is the agent's "clock not plausible" case.)
	e.clock.Jump(-time.Since(time.Unix(86400, 0)))
	pubSaved := e.pub
	e.pub = nil
	e.restart()
	e.pub = pubSaved
	e.clock.Reset()
	if err := e.refresh(ctx); err != nil {
		t.Fatalf("refresh once the clock is right again: %v", err)
	}

	// MQTT with a jumping wall clock.
	var jump atomic.Int64
	mo := e.mopts
	mo.ClientID = "faults-clock"
	mo.Prefix = "devicecode/faults-clock"
	mo.Now = func() time.Time { return time.Now().Add(time.Duration(jump.Load())) }
	mo.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	pub, err := mqtt.Dial(ctx, mo)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(ctx)
	if err := pub.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.dc.SignOut(); err != nil { // keep the engine out of it: only MQTT below
		t.Fatal(err)
	}
	mt := mqtt.Token{AccessToken: e.tok.AccessToken, TokenType: e.tok.TokenType, ExpiresAt: e.tok.ExpiresAt.Round(0)}
	if err := pub.PublishToken(ctx, profile, mt); err != nil {
		t.Fatal(err)
	}
	reader := mo
	reader.ClientID, reader.Now = "", nil
	if _, err := mqtt.ReadToken(ctx, reader, profile); err != nil {
		t.Fatalf("token not retained: %v", err)
	}
	jump.Store(int64(2 * time.Hour))
	if err := pub.PublishToken(ctx, profile, mt); !errors.Is(err, mqtt.ErrTokenExpired) {
		t.Fatalf("publishing a token the clock says expired: %v, want ErrTokenExpired", err)
	}
	eventually(t, 5*time.Second, "the topic to be cleared", func() bool {
		_, err := mqtt.ReadToken(ctx, reader, profile)
		return errors.Is(err, mqtt.ErrNoToken)
	})
	jump.Store(int64(-2 * time.Hour))
	if err := pub.PublishToken(ctx, profile, mt); err != nil {
		t.Fatalf("publishing after a jump back: %v", err)
	}
	if _, err := mqtt.ReadToken(ctx, reader, profile); err != nil {
		t.Fatalf("no recovery after the jump back: %v", err)
	}
}
