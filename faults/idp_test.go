package faults

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// idpFaults are the ways the identity provider misbehaves.
var idpFaults = []struct {
	name       string
	reply      entratest.Reply
	retryAfter time.Duration
}{
	{name: "500", reply: entratest.ServerError(500)},
	{name: "503", reply: entratest.ServerError(503)},
	{name: "429 Retry-After", reply: entratest.TooManyRequests(7 * time.Second), retryAfter: 7 * time.Second},
	{name: "hang", reply: entratest.Hang}, // until the per-request timeout
	// Not JSON at all, with status 200: the engine ends the code (polling)
	// or fails the refresh without classing it transient.
	{name: "garbage 200", reply: entratest.Malformed(200, "\x00\xffnot json{{")},
	{name: "html 502", reply: entratest.Malformed(502, "<html><body>Bad Gateway</body></html>")},
	{name: "closed connection", reply: entratest.CloseConn},
}

// While polling: the fault answers polls 2 and 3, the user approves at
// poll 5. The engine keeps polling (never sooner than the interval, never
// sooner than Retry-After, both on the server's clock, with no slack: the
// engine counts each wait from when the previous poll ended, by which time
// the server has read it, however long a fresh dial took), the sign-in
// succeeds, and nothing is written to the cache until it does. A reply that
// cannot be decoded at all (a captive portal's page) is retried like any
// other transient fault: it must not cost the user the code they are typing.
func TestIdentityProviderFaultsWhilePolling(t *testing.T) {
	for _, f := range idpFaults {
		t.Run(f.name, func(t *testing.T) {
			rp := f.reply
			clock := &offsetClock{}
			var first atomic.Value // the first device code: only its polls meet the fault
			e := newEnv(t, envOpts{server: entratest.Options{Clock: clock, ApproveAfterPolls: 5, Script: func(r entratest.Request) *entratest.Reply {
				if r.Endpoint != entratest.EndpointToken || r.GrantType != deviceGrant {
					return nil
				}
				first.CompareAndSwap(nil, r.Form.Get("device_code"))
				if first.Load() == r.Form.Get("device_code") && r.Polls >= 2 && r.Polls <= 3 {
					return &rp
				}
				return nil
			}}, cfg: func(c *devicecode.Config) { c.Clock = clock }})
			ctx := ctxT(t, 20*time.Second)
			dc, err := e.dc.RequestCode(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := e.dc.PollToken(ctx, dc)
			if err != nil {
				assertNoSecret(t, err, e.srv.DeviceCode(dc.UserCode))
				t.Fatalf("sign-in did not survive the fault: %v", err)
			}
			if n := e.srv.Polls(dc.UserCode); n != 5 {
				t.Errorf("%d polls, want 5", n)
			}
			e.tok = tok
			var prev time.Time
			for _, r := range e.srv.Requests() {
				switch {
				case r.Endpoint == entratest.EndpointDeviceCode:
					prev = r.Time
				case r.Endpoint == entratest.EndpointToken && r.GrantType == deviceGrant:
					if gap := r.Time.Sub(prev); gap < dc.Interval {
						t.Errorf("a poll came %v after the previous one, interval %v", gap, dc.Interval)
					}
					prev = r.Time
				}
			}
			if f.retryAfter > 0 {
				var longest, last time.Duration
				prev = time.Time{}
				for _, r := range e.srv.Requests() {
					if r.Endpoint == entratest.EndpointToken && r.GrantType == deviceGrant {
						if !prev.IsZero() {
							last = r.Time.Sub(prev)
							longest = max(longest, last)
						}
						prev = r.Time
					}
				}
				if longest < f.retryAfter {
					t.Errorf("longest gap between polls %v, want at least Retry-After %v", longest, f.retryAfter)
				}
			}
			if w := e.cache.writes.Load(); w != 1 {
				t.Errorf("%d cache writes, want exactly 1 (after the sign-in, none while polling)", w)
			}
			e.restart()
		})
	}
}

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// While refreshing: two refreshes meet the fault and fail with a transient
// error that holds no secret; the cache keeps the live refresh token (the
// server revokes rotated ones, so a wrong one would show); the retained MQTT
// token stays the last good one; the next refresh succeeds and is published.
func TestIdentityProviderFaultsWhileRefreshing(t *testing.T) {
	e := newEnv(t, envOpts{server: entratest.Options{RevokeRotated: true}, mqtt: true})
	e.signIn()
	for _, f := range idpFaults {
		t.Run(f.name, func(t *testing.T) {
			before := e.tok
			writes := e.cache.writes.Load()
			e.srv.Enqueue(entratest.EndpointToken, f.reply, f.reply)
			for i := 0; i < 2; i++ {
				err := e.refresh(ctxT(t, 10*time.Second))
				if err == nil {
					t.Fatal("refresh succeeded against a failing provider")
				}
				// A body that is not JSON at all (a captive portal, a proxy's
				// page) is transient too: retried, never a dead sign-in.
				if !devicecode.IsTransient(err) {
					t.Errorf("refresh error is not transient: %v", err)
				}
				if devicecode.NeedsSignIn(err) {
					t.Errorf("a provider fault is taken for a dead sign-in: %v", err)
				}
				assertNoSecret(t, err, before.RefreshToken, before.AccessToken)
			}
			if got := cachedRefreshToken(t, e.cache.Path()); got != before.RefreshToken {
				t.Fatal("the cache lost the live refresh token during the fault")
			}
			if w := e.cache.writes.Load(); w != writes {
				t.Errorf("%d cache writes during the fault, want none", w-writes)
			}
			if got := e.retainedToken(); got != before.AccessToken {
				t.Error("the retained token changed during the fault")
			}
			// The fault ends.
			if err := e.refresh(ctxT(t, 10*time.Second)); err != nil {
				t.Fatalf("no recovery after the fault: %v", err)
			}
			if e.tok.AccessToken == before.AccessToken {
				t.Fatal("refresh returned the old token")
			}
			eventually(t, 5*time.Second, "the new token on MQTT", func() bool { return e.retainedToken() == e.tok.AccessToken })
			e.assertNoStaleToken()
		})
	}
	e.restart()
}

// flakyDNS resolves the test host name to the server, or fails as a
// resolver without an answer does, while down is set.
type flakyDNS struct {
	down atomic.Bool
	addr string // 127.0.0.1:port of the server
}

func (d *flakyDNS) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	if d.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.addr)
}

// DNS failure: a name that cannot resolve (nonexistent.invalid, through the
// system resolver) gives a clear transient error at once; and a resolver
// that fails for a while (refreshes fail, the cache and MQTT keep the last
// good state) recovers when it answers again.
func TestDNSFailure(t *testing.T) {
	t.Run("unresolvable host", func(t *testing.T) {
		c, err := devicecode.New(devicecode.Config{
			ClientID:       entratest.DefaultClientID,
			Authority:      devicecode.Authority{Tenant: entratest.TenantID, Host: "nonexistent.invalid"},
			RequestTimeout: 2 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RequestCode(ctxT(t, 10*time.Second))
		if err == nil {
			t.Fatal("device authorization at nonexistent.invalid succeeded")
		}
		if !devicecode.IsTransient(err) {
			t.Errorf("DNS failure is not transient: %v", err)
		}
		if !strings.Contains(err.Error(), "nonexistent.invalid") {
			t.Errorf("error does not name the host: %v", err)
		}
		assertNoSecret(t, err)
	})
	t.Run("resolver down, then back", func(t *testing.T) {
		dns := &flakyDNS{}
		e := newEnv(t, envOpts{server: entratest.Options{RevokeRotated: true}, mqtt: true, cfg: func(c *devicecode.Config) {
			c.Authority.Host = "https://login.faults.test:443"
			c.HTTPClient = &http.Client{Transport: &http.Transport{
				DialContext: dns.dial,
				// The httptest certificate names example.com.
				TLSClientConfig: tlsConfig(c.RootCAs, "example.com"),
			}}
		}})
		dns.addr = strings.TrimPrefix(e.srv.URL(), "https://")
		e.signIn()
		before := e.tok
		dns.down.Store(true)
		// New connections need the resolver; drop the kept-alive one.
		e.cfg.HTTPClient.CloseIdleConnections()
		for i := 0; i < 3; i++ {
			err := e.refresh(ctxT(t, 5*time.Second))
			if err == nil {
				t.Fatal("refresh succeeded without DNS")
			}
			if !devicecode.IsTransient(err) {
				t.Errorf("DNS failure is not transient: %v", err)
			}
			assertNoSecret(t, err, before.RefreshToken)
		}
		if got := cachedRefreshToken(t, e.cache.Path()); got != before.RefreshToken {
			t.Fatal("the cache lost the refresh token while DNS was down")
		}
		e.assertNoStaleToken()
		dns.down.Store(false)
		if err := e.refresh(ctxT(t, 5*time.Second)); err != nil {
			t.Fatalf("no recovery when DNS answers again: %v", err)
		}
		eventually(t, 5*time.Second, "the new token on MQTT", func() bool { return e.retainedToken() == e.tok.AccessToken })
		e.restart()
	})
}
