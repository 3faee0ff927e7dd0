package devicecode_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
)

// memCache is a Cache in memory that counts writes.
type memCache struct {
	mu      sync.Mutex
	snap    *tokencache.Snapshot
	saves   int
	removed int
	loadErr error
}

func (m *memCache) Load() (*tokencache.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap, m.loadErr
}

func (m *memCache) Save(s *tokencache.Snapshot) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = s
	m.saves++
	return true, nil
}

func (m *memCache) Remove() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = nil
	m.removed++
	return nil
}

var (
	graph   = devicecode.Profile{Name: "graph", Scopes: []string{"https://graph.microsoft.com/User.Read"}}
	storage = devicecode.Profile{Name: "storage", Scopes: []string{"https://storage.azure.com/user_impersonation"}}
	iothub  = devicecode.Profile{Name: "iot", Scopes: []string{"api://boardlogin-iot/telemetry.write"}}
)

// signIn runs a whole device code sign-in with approval at the first poll.
func signIn(t *testing.T, e *env) *devicecode.Token {
	t.Helper()
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Approve(dc.UserCode); err != nil {
		t.Fatal(err)
	}
	tok, err := e.c.PollToken(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func grants(e *env, grant string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if r.GrantType == grant {
			n++
		}
	}
	return n
}

func TestProfilesFromOneSignIn(t *testing.T) {
	cache := &memCache{}
	e := newEnv(t, entratest.Options{RevokeRotated: true}, func(c *devicecode.Config) {
		c.Profiles = []devicecode.Profile{graph, storage, iothub}
		c.Cache = cache
	})
	ctx := context.Background()
	first := signIn(t, e)
	if first.Profile != "graph" || !slices.Contains(first.Scopes, graph.Scopes[0]) {
		t.Errorf("sign-in token is for %q %v, want graph", first.Profile, first.Scopes)
	}
	if cache.saves != 1 {
		t.Errorf("%d cache writes after sign-in, want 1", cache.saves)
	}
	devReq := e.srv.Requests()[0]
	if devReq.Scope != "https://graph.microsoft.com/User.Read openid profile offline_access" {
		t.Errorf("device code scope = %q", devReq.Scope)
	}

	// The graph token is served from memory, without a request.
	before := len(e.srv.Requests())
	tok, err := e.c.AcquireSilent(ctx, "graph")
	if err != nil || tok.AccessToken != first.AccessToken {
		t.Fatalf("AcquireSilent(graph) = %v, %v; want the cached token", tok, err)
	}
	if len(e.srv.Requests()) != before {
		t.Errorf("a valid cached token caused a request")
	}

	// Every other profile comes from the refresh token, one resource each.
	// RevokeRotated makes the server refuse a refresh token used twice: this
	// passes only if each rotated refresh token was stored.
	for _, p := range []devicecode.Profile{storage, iothub} {
		tok, err := e.c.AcquireSilent(ctx, p.Name)
		if err != nil {
			t.Fatalf("AcquireSilent(%s): %v", p.Name, err)
		}
		if tok.Profile != p.Name || !slices.Contains(tok.Scopes, p.Scopes[0]) || tok.Account.Username != entratest.DefaultUser.Username {
			t.Errorf("%s: got %v", p.Name, tok)
		}
		last := e.srv.Requests()[len(e.srv.Requests())-1]
		if last.GrantType != "refresh_token" || last.Scope != p.Scopes[0]+" openid profile offline_access" {
			t.Errorf("%s: refresh request %+v", p.Name, last)
		}
	}
	if cache.saves != 3 {
		t.Errorf("%d cache writes, want 3 (sign-in and two refreshes)", cache.saves)
	}
	if got := len(cache.snap.AccessTokens); got != 3 {
		t.Errorf("cache holds %d access tokens, want 3", got)
	}

	// Expiry: 5 minutes early counts as expired.
	e.clock.Advance(time.Hour - devicecode.ExpiryMargin - time.Second)
	tok, _ = e.c.AcquireSilent(ctx, "graph")
	if tok.AccessToken != first.AccessToken {
		t.Errorf("token refreshed more than ExpiryMargin before expiry")
	}
	e.clock.Advance(2 * time.Second)
	tok, err = e.c.AcquireSilent(ctx, "graph")
	if err != nil || tok.AccessToken == first.AccessToken {
		t.Errorf("token within ExpiryMargin of expiry was not refreshed: %v", err)
	}
	if grants(e, "refresh_token") != 3 {
		t.Errorf("%d refresh grants, want 3", grants(e, "refresh_token"))
	}
}

func TestRefreshInIsHonoured(t *testing.T) {
	e := newEnv(t, entratest.Options{TokenLifetime: 2 * time.Hour, RefreshIn: time.Hour}, nil)
	tok := signIn(t, e)
	if got := tok.RefreshAt.Sub(e.clock.Now()); got > time.Hour || got < time.Hour-10*time.Second {
		t.Errorf("RefreshAt in %s, want 1h", got)
	}
	if tok.RefreshDue() != tok.RefreshAt {
		t.Errorf("RefreshDue ignores RefreshAt")
	}
	e.clock.Advance(time.Hour + time.Second)
	// A failed early refresh falls back on the still valid token.
	e.srv.Enqueue(entratest.EndpointToken, entratest.ServerError(503))
	kept, err := e.c.AcquireSilent(context.Background(), devicecode.DefaultProfile)
	if err != nil || kept.AccessToken != tok.AccessToken {
		t.Errorf("failed early refresh: %v, %v; want the cached token", kept, err)
	}
	again, err := e.c.AcquireSilent(context.Background(), devicecode.DefaultProfile)
	if err != nil || again.AccessToken == tok.AccessToken {
		t.Errorf("refresh_in passed but the token was not refreshed: %v", err)
	}
	if !strings.Contains(e.logs.String(), "early refresh") {
		t.Errorf("the failed early refresh was not logged")
	}
	if grants(e, "refresh_token") != 2 {
		t.Errorf("%d refresh grants, want 2", grants(e, "refresh_token"))
	}
}

func TestDeadRefreshTokenNeedsSignIn(t *testing.T) {
	for _, code := range []int{700082, 70043, 50173, 50076, 50079, 65001} {
		t.Run(sprintf("AADSTS%d", code), func(t *testing.T) {
			e := newEnv(t, entratest.Options{}, func(c *devicecode.Config) { c.Profiles = []devicecode.Profile{graph, storage} })
			signIn(t, e)
			e.srv.RevokeRefreshTokens(code)
			_, err := e.c.AcquireSilent(context.Background(), "storage")
			if !devicecode.NeedsSignIn(err) {
				t.Fatalf("NeedsSignIn(%v) = false", err)
			}
			if devicecode.IsTransient(err) || devicecode.IsConfigError(err) {
				t.Errorf("dead refresh token classed as transient or configuration")
			}
			if h := devicecode.Hint(err); !strings.Contains(h, "sign in again") {
				t.Errorf("hint %q", h)
			}
		})
	}
	t.Run("interaction_required", func(t *testing.T) {
		e := newEnv(t, entratest.Options{}, nil)
		signIn(t, e)
		e.srv.Enqueue(entratest.EndpointToken, entratest.Reply{Error: "interaction_required", AADSTS: 50078, Description: "MFA required"})
		_, err := e.c.Refresh(context.Background(), devicecode.DefaultProfile)
		if !devicecode.NeedsSignIn(err) {
			t.Fatalf("NeedsSignIn(%v) = false", err)
		}
	})
	t.Run("not signed in", func(t *testing.T) {
		e := newEnv(t, entratest.Options{}, nil)
		_, err := e.c.AcquireSilent(context.Background(), devicecode.DefaultProfile)
		if !devicecode.NeedsSignIn(err) {
			t.Fatalf("NeedsSignIn(%v) = false", err)
		}
		if len(e.srv.Requests()) != 0 {
			t.Errorf("a request was made without a refresh token")
		}
	})
	t.Run("policy block is not a sign-in loop", func(t *testing.T) {
		e := newEnv(t, entratest.Options{}, nil)
		signIn(t, e)
		e.srv.Enqueue(entratest.EndpointToken, entratest.Reply{Error: "invalid_grant", AADSTS: 53003, Description: "Access has been blocked by Conditional Access policies."})
		_, err := e.c.Refresh(context.Background(), devicecode.DefaultProfile)
		if devicecode.NeedsSignIn(err) || !devicecode.IsBlockedByPolicy(err) {
			t.Fatalf("policy block misclassified: %v", err)
		}
	})
}

func TestUnknownProfile(t *testing.T) {
	e := newEnv(t, entratest.Options{}, nil)
	_, err := e.c.AcquireSilent(context.Background(), "nope")
	if err == nil || !strings.Contains(err.Error(), `unknown profile "nope"`) {
		t.Errorf("err = %v", err)
	}
}

func TestMultiResourceScopesRefused(t *testing.T) {
	// Entra issues one resource per request: a profile spanning two gets
	// AADSTS28000 from the server, surfaced as a ServiceError, a
	// configuration error. (New refuses two resources named outright; a
	// bare Graph scope is left to the server.)
	bad := devicecode.Profile{Name: "bad", Scopes: []string{"User.Read", storage.Scopes[0]}}
	e := newEnv(t, entratest.Options{}, func(c *devicecode.Config) { c.Profiles = []devicecode.Profile{graph, bad} })
	signIn(t, e)
	_, err := e.c.AcquireSilent(context.Background(), "bad")
	var se *devicecode.ServiceError
	if !errors.As(err, &se) || !se.HasCode(28000) {
		t.Fatalf("err = %v, want AADSTS28000", err)
	}
	if !devicecode.IsConfigError(err) || devicecode.NeedsSignIn(err) || devicecode.IsTransient(err) {
		t.Errorf("class of %v is wrong: want a configuration error", err)
	}
}

func TestCacheRoundTrip(t *testing.T) {
	cache := &memCache{}
	e := newEnv(t, entratest.Options{}, func(c *devicecode.Config) {
		c.Profiles = []devicecode.Profile{graph, storage}
		c.Cache = cache
	})
	first := signIn(t, e)
	snap := cache.snap
	if snap.ClientID != entratest.DefaultClientID || !strings.HasSuffix(snap.Authority, "/oauth2/v2.0/token") || snap.RefreshToken != first.RefreshToken {
		t.Fatalf("snapshot %+v", snap)
	}
	if snap.Account.HomeAccountID != entratest.DefaultUser.ObjectID+"."+entratest.TenantID {
		t.Errorf("home account id %q", snap.Account.HomeAccountID)
	}
	at := snap.AccessTokens["graph"]
	if at.ExpiresAt.Location() != time.UTC || at.ExpiresAt.Sub(epoch) < 59*time.Minute {
		t.Errorf("cached expiry %v", at.ExpiresAt)
	}

	newClient := func(start time.Time, mod func(*devicecode.Config)) (*devicecode.Client, *entratest.FakeClock) {
		clock := entratest.NewFakeClock(start)
		cfg := devicecode.Config{
			ClientID:   entratest.DefaultClientID,
			Authority:  devicecode.Authority{Tenant: entratest.TenantID, Host: e.srv.URL()},
			HTTPClient: e.srv.Client(),
			Clock:      clock,
			Profiles:   []devicecode.Profile{graph, storage},
			Cache:      cache,
		}
		if mod != nil {
			mod(&cfg)
		}
		c, err := devicecode.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c, clock
	}
	ctx := context.Background()

	t.Run("restart reuses the cached token", func(t *testing.T) {
		c, _ := newClient(epoch.Add(10*time.Minute), nil)
		n := len(e.srv.Requests())
		tok, err := c.AcquireSilent(ctx, "graph")
		if err != nil || tok.AccessToken != first.AccessToken || len(e.srv.Requests()) != n {
			t.Fatalf("got %v, %v after %d requests", tok, err, len(e.srv.Requests())-n)
		}
		if acc, ok, _ := c.Account(ctx); !ok || acc.Username != entratest.DefaultUser.Username {
			t.Errorf("account %+v %v", acc, ok)
		}
		if got := tok.ExpiresAt.Sub(epoch.Add(10 * time.Minute)); got < 49*time.Minute || got > 51*time.Minute {
			t.Errorf("expiry converted to %s from now, want 50m", got)
		}
	})
	t.Run("clock before 2024 treats access tokens as expired", func(t *testing.T) {
		c, _ := newClient(time.Unix(0, 0), nil)
		n := len(e.srv.Requests())
		tok, err := c.AcquireSilent(ctx, "graph")
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == first.AccessToken || len(e.srv.Requests()) != n+1 {
			t.Errorf("with an unset clock the cached access token was used")
		}
	})
	t.Run("another client id's cache is ignored", func(t *testing.T) {
		c, _ := newClient(epoch, func(cfg *devicecode.Config) { cfg.ClientID = "someone-else" })
		_, err := c.AcquireSilent(ctx, "graph")
		if !devicecode.NeedsSignIn(err) {
			t.Errorf("err = %v, want NeedsSignIn", err)
		}
	})
	t.Run("corrupt cache means sign in", func(t *testing.T) {
		bad := &memCache{loadErr: tokencache.ErrCorrupt}
		c, _ := newClient(epoch, func(cfg *devicecode.Config) { cfg.Cache = bad })
		_, err := c.AcquireSilent(ctx, "graph")
		if !devicecode.NeedsSignIn(err) {
			t.Errorf("err = %v, want NeedsSignIn", err)
		}
	})
	t.Run("insecure cache is an error to fix", func(t *testing.T) {
		bad := &memCache{loadErr: tokencache.ErrInsecureMode}
		c, _ := newClient(epoch, func(cfg *devicecode.Config) { cfg.Cache = bad })
		_, err := c.AcquireSilent(ctx, "graph")
		if !errors.Is(err, tokencache.ErrInsecureMode) || devicecode.NeedsSignIn(err) {
			t.Errorf("err = %v, want ErrInsecureMode", err)
		}
	})
	t.Run("sign-out removes the cache", func(t *testing.T) {
		c, _ := newClient(epoch, nil)
		if err := c.SignOut(); err != nil {
			t.Fatal(err)
		}
		if cache.removed != 1 {
			t.Errorf("cache removed %d times", cache.removed)
		}
		if _, err := c.AcquireSilent(ctx, "graph"); !devicecode.NeedsSignIn(err) {
			t.Errorf("after sign-out: %v", err)
		}
	})
}

// TestTokencacheFile runs a sign-in, a restart and a refresh through the
// real cache file.
func TestTokencacheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.cbor")
	mk := func(e *env) *devicecode.Client {
		c, err := devicecode.New(devicecode.Config{
			ClientID:   entratest.DefaultClientID,
			Authority:  devicecode.Authority{Tenant: entratest.TenantID, Host: e.srv.URL()},
			HTTPClient: e.srv.Client(),
			Clock:      e.clock,
			Profiles:   []devicecode.Profile{graph, storage},
			Cache:      tokencache.New(path),
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e := newEnv(t, entratest.Options{RevokeRotated: true}, nil)
	e.c = mk(e)
	first := signIn(t, e)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", st, err)
	}
	c2 := mk(e)
	ctx := context.Background()
	tok, err := c2.AcquireSilent(ctx, "graph")
	if err != nil || tok.AccessToken != first.AccessToken {
		t.Fatalf("after restart: %v %v", tok, err)
	}
	if _, err := c2.AcquireSilent(ctx, "storage"); err != nil {
		t.Fatal(err)
	}
	c3 := mk(e) // must hold the rotated refresh token, or RevokeRotated refuses it
	if _, err := c3.Refresh(ctx, "storage"); err != nil {
		t.Fatalf("refresh with the cached rotated token: %v", err)
	}
	if err := c3.SignOut(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cache file still there after sign-out: %v", err)
	}
}

func TestNoCacheWriteWhilePolling(t *testing.T) {
	cache := &memCache{}
	var mu sync.Mutex
	var savesSeen []int // cache writes so far, at each poll
	opts := entratest.Options{OnRequest: func(r entratest.Record) {
		if r.Endpoint == entratest.EndpointToken {
			cache.mu.Lock()
			n := cache.saves
			cache.mu.Unlock()
			mu.Lock()
			savesSeen = append(savesSeen, n)
			mu.Unlock()
		}
	}}
	e := newEnv(t, opts, func(c *devicecode.Config) { c.Cache = cache })
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Enqueue(entratest.EndpointToken, entratest.Repeat(entratest.Pending, 20)...)
	e.srv.Approve(dc.UserCode)
	if _, err := e.c.PollToken(ctx, dc); err != nil {
		t.Fatal(err)
	}
	if len(savesSeen) != 21 || slices.Max(savesSeen) != 0 {
		t.Errorf("cache writes seen at each poll: %v, want 21 zeros", savesSeen)
	}
	if cache.saves != 1 {
		t.Errorf("%d cache writes for one sign-in, want 1", cache.saves)
	}
}

// TestRefreshSoak refreshes 200 times with short-lived tokens against a
// server that refuses a refresh token used twice: every rotation must be
// stored, every token must be fresh, the account must survive.
func TestRefreshSoak(t *testing.T) {
	cache := &memCache{}
	e := newEnv(t, entratest.Options{RevokeRotated: true, TokenLifetime: 10 * time.Minute}, func(c *devicecode.Config) {
		c.Profiles = []devicecode.Profile{graph, storage}
		c.Cache = cache
	})
	signIn(t, e)
	ctx := context.Background()
	prev := map[string]string{}
	for i := range 100 {
		e.clock.Advance(5*time.Minute + time.Second) // inside the 5-minute margin of a 10-minute token
		for _, p := range []string{"graph", "storage"} {
			tok, err := e.c.AcquireSilent(ctx, p)
			if err != nil {
				t.Fatalf("round %d, %s: %v", i, p, err)
			}
			if tok.AccessToken == prev[p] || !tok.Valid(e.clock.Now()) || tok.Account.Username != entratest.DefaultUser.Username {
				t.Fatalf("round %d, %s: stale or incomplete token %v", i, p, tok)
			}
			prev[p] = tok.AccessToken
		}
	}
	if got := grants(e, "refresh_token"); got != 200 {
		t.Errorf("%d refresh grants, want 200", got)
	}
	if cache.saves != 201 || cache.snap.RefreshToken == "" {
		t.Errorf("%d cache writes, want 201", cache.saves)
	}
}

func TestRefreshTimeoutAndOutage(t *testing.T) {
	for _, def := range []bool{false, true} {
		refreshOutage(t, newEnvWith(t, entratest.Options{}, def, func(c *devicecode.Config) { c.RequestTimeout = 1500 * time.Millisecond }))
	}
}

func refreshOutage(t *testing.T, e *env) {
	first := signIn(t, e)
	ctx := context.Background()
	for _, r := range []entratest.Reply{entratest.Hang, entratest.ServerError(503), entratest.CloseConn, entratest.TooManyRequests(time.Minute)} {
		e.srv.Enqueue(entratest.EndpointToken, r)
		_, err := e.c.Refresh(ctx, devicecode.DefaultProfile)
		if !devicecode.IsTransient(err) || devicecode.NeedsSignIn(err) {
			t.Errorf("reply %+v: err = %v, want transient", r, err)
		}
		if r.Hang && !strings.Contains(fmtErr(err), "no reply within the request timeout") {
			t.Errorf("timeout error says %q", fmtErr(err))
		}
	}
	// The sign-in survives the outage.
	tok, err := e.c.Refresh(ctx, devicecode.DefaultProfile)
	if err != nil || tok.AccessToken == first.AccessToken {
		t.Fatalf("after the outage: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestRefreshThroughSomethingInTheWay: a reply that is neither a token nor
// an OAuth error (a captive portal, a proxy's page, garbage) fails the
// refresh with a transient error, never NeedsSignIn, and keeps the refresh
// token: the next refresh succeeds (the server revokes rotated tokens, so
// a lost or wrongly replaced one would show).
func TestRefreshThroughSomethingInTheWay(t *testing.T) {
	const portal200 = "devicecode: the token endpoint answered http 200 with text/html (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way; retrying later"
	tests := []struct {
		name  string
		reply entratest.Reply
		want  string // the error, exactly; "" to only check the class
	}{
		{name: "captive portal page", reply: entratest.CaptivePortal, want: portal200},
		// No client follows the redirect (it would re-send the refresh
		// token to the portal): the 302 itself is the reply.
		{name: "redirect to a captive portal", reply: entratest.CaptiveRedirect,
			want: "devicecode: the token endpoint answered http 302 with text/html (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way; retrying later"},
		{name: "truncated JSON", reply: entratest.Malformed(200, `{"access_token":"eyJ0eXAi`),
			want: "devicecode: the token endpoint answered http 200 with application/json (broken or truncated JSON), not a token reply: a captive portal or proxy may be in the way; retrying later"},
		{name: "garbage", reply: entratest.Malformed(200, "\x00\xffnot json{{")},
		{name: "JSON without access_token", reply: entratest.Malformed(200, `{"refresh_token":"1.AQ-not-for-you"}`)},
		{name: "no content type, empty", reply: entratest.Reply{Status: 200, ContentType: " "},
			want: "devicecode: the token endpoint answered http 200 with no content type (an empty body), not a token reply: a captive portal or proxy may be in the way; retrying later"},
		{name: "proxy HTML 502", reply: entratest.ProxyPage(502), want: "devicecode: http 502 bad gateway (the provider or network is unavailable; retrying later)"},
		{name: "proxy HTML 504", reply: entratest.ProxyPage(504), want: "devicecode: http 504 gateway timeout (the provider or network is unavailable; retrying later)"},
	}
	for _, def := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(sprintf("default client %v/%s", def, tt.name), func(t *testing.T) {
				e := newEnvWith(t, entratest.Options{RevokeRotated: true}, def, nil)
				first := signIn(t, e)
				ctx := context.Background()
				check := func(op string, err error) {
					t.Helper()
					if err == nil {
						t.Fatalf("%s succeeded through %s", op, tt.name)
					}
					if !devicecode.IsTransient(err) || devicecode.NeedsSignIn(err) || devicecode.IsConfigError(err) {
						t.Errorf("%s: %v is not (only) transient", op, err)
					}
					if tt.want != "" && err.Error() != tt.want {
						t.Errorf("%s error\n got  %q\n want %q", op, err, tt.want)
					}
					for _, leak := range []string{"portal-session", "<", "nginx", "\x00", "eyJ0eXAi", "1.AQ", first.RefreshToken} {
						if strings.Contains(err.Error(), leak) {
							t.Errorf("%s error quotes the reply or a token: %q", op, err)
						}
					}
					if strings.ContainsAny(err.Error(), "\r\n") {
						t.Errorf("%s error is not one line", op)
					}
				}
				e.srv.Enqueue(entratest.EndpointToken, tt.reply)
				_, err := e.c.Refresh(ctx, devicecode.DefaultProfile)
				check("Refresh", err)
				// AcquireSilent once the token expired: no cached token to
				// fall back on, the error reaches the caller.
				e.clock.Advance(2 * time.Hour)
				e.srv.Enqueue(entratest.EndpointToken, tt.reply)
				_, err = e.c.AcquireSilent(ctx, devicecode.DefaultProfile)
				check("AcquireSilent", err)
				tok, err := e.c.AcquireSilent(ctx, devicecode.DefaultProfile)
				if err != nil || tok.AccessToken == first.AccessToken {
					t.Fatalf("the sign-in did not survive %s: %v", tt.name, err)
				}
			})
		}
	}
}
