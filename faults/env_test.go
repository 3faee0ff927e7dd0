package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/mosquittotest"
	"github.com/boardlogin/boardlogin/internal/testenv"
	"github.com/boardlogin/boardlogin/mqtt"
)

const profile = "graph"

var graphScopes = []string{"https://graph.microsoft.com/User.Read"}

// emulated reports whether the suite runs under qemu-user, where every
// round trip is several times slower: loops run fewer times there.
var emulated = len(testenv.Emulator()) > 0

// requestTimeout bounds each round trip of the engine: short, so a hung
// provider or a dead network costs little, but well above a TLS handshake
// under -race or qemu-user on a busy machine.
var requestTimeout = map[bool]time.Duration{false: 500 * time.Millisecond, true: 2 * time.Second}[emulated]

// countingCache counts the writes that reached the file (Save reported
// written) and can be made to fail, as a full disk would.
type countingCache struct {
	*tokencache.File
	writes atomic.Int64
	fail   atomic.Pointer[error]
}

func (c *countingCache) Save(s *tokencache.Snapshot) (bool, error) {
	if e := c.fail.Load(); e != nil {
		return false, *e
	}
	w, err := c.File.Save(s)
	if w {
		c.writes.Add(1)
	}
	return w, err
}

// env is one signed-in board: engine with a cache file, an Entra-like
// server over TLS, and optionally a Mosquitto with an MQTT client.
type env struct {
	t      testing.TB
	srv    *entratest.Server
	clock  *offsetClock
	cache  *countingCache
	dc     *devicecode.Client
	broker *mosquittotest.Broker
	pub    *mqtt.Client
	mopts  mqtt.Options
	tok    *devicecode.Token // the latest token the engine returned
	cfg    devicecode.Config // the engine's configuration, for restart
}

type envOpts struct {
	server  entratest.Options
	mqtt    bool
	persist bool // broker keeps retained messages across restarts
	cfg     func(*devicecode.Config)
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	o.server.TLS = true
	if o.server.ApproveAfterPolls == 0 {
		o.server.ApproveAfterPolls = 1
	}
	e := &env{t: t, clock: &offsetClock{}}
	e.srv = entratest.Start(o.server)
	t.Cleanup(e.srv.Close)
	dir := t.TempDir()
	e.cache = &countingCache{File: tokencache.New(filepath.Join(dir, "state", "tokens.cbor"))}
	host := e.srv.URL()
	cfg := devicecode.Config{
		ClientID:       entratest.DefaultClientID,
		Authority:      devicecode.Authority{Tenant: entratest.TenantID, Host: host},
		Profiles:       []devicecode.Profile{{Name: profile, Scopes: graphScopes}},
		RootCAs:        e.srv.RootCAs(),
		Clock:          e.clock,
		RequestTimeout: requestTimeout,
		Cache:          e.cache,
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	e.cfg = cfg
	var err error
	if e.dc, err = devicecode.New(cfg); err != nil {
		t.Fatal(err)
	}
	if o.mqtt {
		e.startMQTT(o.persist)
	}
	return e
}

// startMQTT starts a Mosquitto and connects the agent's MQTT client.
func (e *env) startMQTT(persist bool) {
	t := e.t
	t.Helper()
	e.broker = mosquittotest.Start(t, mosquittotest.Options{Persistence: persist})
	e.mopts = mqtt.Options{
		Broker:               e.broker.URL,
		ClientID:             "faults-agent",
		Prefix:               "devicecode/faults",
		ConnectTimeout:       2 * time.Second,
		PublishTimeout:       2 * time.Second,
		MinReconnectInterval: 20 * time.Millisecond,
		MaxReconnectInterval: 200 * time.Millisecond,
		Logger:               slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if e.pub, err = mqtt.Dial(ctx, e.mopts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		e.pub.Close(ctx)
	})
	if err := e.pub.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// signIn runs the device code flow (the server approves at the first poll)
// and publishes the token.
func (e *env) signIn() {
	e.t.Helper()
	ctx := ctxT(e.t, 10*time.Second)
	dc, err := e.dc.RequestCode(ctx)
	if err != nil {
		e.t.Fatalf("request code: %v", err)
	}
	if _, err := e.dc.PollToken(ctx, dc); err != nil {
		e.t.Fatalf("poll: %v", err)
	}
	// The polls advanced the clock by their interval; back to real time,
	// and a refresh, so the token's expiry is the real one the MQTT client
	// (on the wall clock) sees.
	e.clock.Reset()
	if err := e.refresh(ctx); err != nil {
		e.t.Fatalf("first refresh: %v", err)
	}
}

// refresh is one turn of the agent's refresh step: refresh, then publish
// the new token (the engine writes the cache).
func (e *env) refresh(ctx context.Context) error {
	tok, err := e.dc.Refresh(ctx, profile)
	if err != nil {
		return err
	}
	e.tok = tok
	if e.pub != nil {
		return e.publish(ctx, tok)
	}
	return nil
}

func (e *env) publish(ctx context.Context, tok *devicecode.Token) error {
	return e.pub.PublishToken(ctx, profile, mqtt.Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		ExpiresAt: tok.ExpiresAt, Scopes: tok.Scopes,
		Account: mqtt.Account{Username: tok.Account.Username, TenantID: tok.Account.TenantID, ObjectID: tok.Account.ObjectID}})
}

// cachedRefreshToken loads the cache file as a restarted agent would and
// returns its refresh token; it fails the test when the file does not
// decode or holds none.
func cachedRefreshToken(t testing.TB, path string) string {
	t.Helper()
	s, err := tokencache.New(path).Load()
	if err != nil {
		t.Fatalf("cache does not load after the fault: %v", err)
	}
	if s == nil || s.RefreshToken == "" {
		t.Fatal("cache holds no refresh token after the fault")
	}
	return s.RefreshToken
}

// restart checks the cache as a restarted agent finds it: it decodes, holds
// the refresh token the engine used last (none lost), and the server accepts
// it. The new engine, built from the cache file alone, replaces the old one.
func (e *env) restart() {
	e.t.Helper()
	rt := cachedRefreshToken(e.t, e.cache.Path())
	if e.tok != nil && rt != e.tok.RefreshToken {
		e.t.Fatal("the cache does not hold the engine's latest refresh token")
	}
	c, err := devicecode.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.dc = c
	if err := e.refresh(ctxT(e.t, 5*time.Second)); err != nil {
		e.t.Fatalf("a restarted agent could not refresh with the cached refresh token: %v", err)
	}
}

// assertNoStaleToken reads the retained token as a consumer does: a valid
// token or none, never an expired one.
func (e *env) assertNoStaleToken() {
	e.t.Helper()
	ro := e.mopts
	ro.ClientID = ""
	tok, err := mqtt.ReadToken(ctxT(e.t, 5*time.Second), ro, profile)
	switch {
	case errors.Is(err, mqtt.ErrTokenExpired):
		e.t.Fatal("a consumer reads an expired token retained on MQTT")
	case errors.Is(err, mqtt.ErrNoToken):
	case err != nil:
		e.t.Fatalf("read token: %v", err)
	case !tok.ExpiresAt.After(time.Now()):
		e.t.Fatal("a consumer reads an expired token retained on MQTT")
	}
}

// retainedToken returns the access token retained on MQTT ("" when none,
// "expired" for an expired one).
func (e *env) retainedToken() string {
	e.t.Helper()
	ro := e.mopts
	ro.ClientID = ""
	tok, err := mqtt.ReadToken(ctxT(e.t, 5*time.Second), ro, profile)
	if errors.Is(err, mqtt.ErrNoToken) {
		return ""
	}
	if errors.Is(err, mqtt.ErrTokenExpired) {
		return "expired"
	}
	if err != nil {
		e.t.Fatalf("read token: %v", err)
	}
	return tok.AccessToken
}

// assertNoSecret fails when err's text holds one of the secrets.
func assertNoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatal("an error string holds a secret")
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procCount counts the entries of /proc/self/<dir> (fd, task).
func procCount(t testing.TB, dir string) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/" + dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// vmRSS reads a VmXXX line of /proc/self/status in KiB.
func procStatus(t testing.TB, key string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int
		if n, _ := fmt.Sscanf(line, key+": %d kB", &kb); n == 1 {
			return kb
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}

// offsetClock is the real clock plus an offset that Sleep advances at once:
// the engine and the server (given the same clock) see polls spaced as the
// engine scheduled them, with no real waiting. Now keeps the monotonic
// reading (Add preserves it).
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.offset += max(d, 0)
	c.mu.Unlock()
	return nil
}

// Reset drops the offset: the clock is the real one again.
func (c *offsetClock) Reset() {
	c.mu.Lock()
	c.offset = 0
	c.mu.Unlock()
}

// Jump moves the clock by d (either way) without a Sleep.
func (c *offsetClock) Jump(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
