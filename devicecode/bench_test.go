package devicecode_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// The benchmarks run client and server in one process over TLS on loopback,
// so B/op and allocs/op include the server's share (the same for every
// client measured). golang.org/x/oauth2 is measured against the same server
// in the same run; it is imported by this test file only.

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// benchEnv starts a TLS server and a client using the product's default
// HTTP client (HTTP/1.1 keep-alive) with the server's root pinned.
func benchEnv(b *testing.B, opts entratest.Options) (*devicecode.Client, *entratest.Server, *entratest.FakeClock) {
	clock := entratest.NewFakeClock(epoch)
	opts.Clock = clock
	opts.TLS = true
	opts.ExpiresIn = 1000000 * time.Hour
	// The client caps a code's life at a day: with 1 s between polls a
	// benchmark has 86399 polls before the code dies (5 s allowed only
	// 17279, fewer than -benchtime=1s asks for on a fast machine).
	opts.Interval = time.Second
	srv := entratest.Start(opts)
	b.Cleanup(srv.Close)
	c, err := devicecode.New(devicecode.Config{
		ClientID:  entratest.DefaultClientID,
		Authority: devicecode.Authority{Tenant: entratest.TenantID, Host: srv.URL()},
		RootCAs:   srv.RootCAs(),
		Clock:     clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c, srv, clock
}

// BenchmarkPoll: one op is one pending poll round trip of PollToken's
// loop (the last of b.N+1 polls is the approval, amortised).
func BenchmarkPoll(b *testing.B) {
	c, srv, _ := benchEnv(b, entratest.Options{})
	ctx := context.Background()
	dc, err := c.RequestCode(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// Warm the connection up with one pending poll outside the timer.
	srv.Enqueue(entratest.EndpointToken, entratest.Pending)
	srv.Enqueue(entratest.EndpointToken, entratest.Declined)
	if _, err := c.PollToken(ctx, dc); err == nil {
		b.Fatal("want declined")
	}
	dc, err = c.RequestCode(ctx)
	if err != nil {
		b.Fatal(err)
	}
	srv.Enqueue(entratest.EndpointToken, entratest.Repeat(entratest.Pending, b.N)...)
	srv.Enqueue(entratest.EndpointToken, entratest.Declined)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := c.PollToken(ctx, dc); !errorsIs(err, devicecode.ErrDeclined) {
		b.Fatal(err)
	}
}

// BenchmarkRefresh: one op is one refresh grant round trip (AcquireSilent's
// network path) including the id token and client_info decoding.
func BenchmarkRefresh(b *testing.B) {
	c, srv, _ := benchEnv(b, entratest.Options{ApproveAfterPolls: 1})
	ctx := context.Background()
	dc, err := c.RequestCode(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.PollToken(ctx, dc); err != nil {
		b.Fatal(err)
	}
	_ = srv
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Refresh(ctx, devicecode.DefaultProfile); err != nil {
			b.Fatal(err)
		}
	}
}

// xEnv starts a server for golang.org/x/oauth2 (HTTP/2 when h2).
func xEnv(b *testing.B, h2 bool, opts entratest.Options) (*oauth2.Config, context.Context, *entratest.Server) {
	opts.TLS, opts.HTTP2 = true, h2
	opts.ExpiresIn = 1000000 * time.Hour
	// The client caps a code's life at a day: with 1 s between polls a
	// benchmark has 86399 polls before the code dies (5 s allowed only
	// 17279, fewer than -benchtime=1s asks for on a fast machine).
	opts.Interval = time.Second
	srv := entratest.Start(opts)
	b.Cleanup(srv.Close)
	base := srv.URL() + "/" + entratest.TenantID + "/oauth2/v2.0/"
	cfg := &oauth2.Config{
		ClientID: entratest.DefaultClientID,
		Scopes:   []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: base + "devicecode", TokenURL: base + "token", AuthStyle: oauth2.AuthStyleInParams},
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	return cfg, ctx, srv
}

// benchXOAuth2Poll measures x/oauth2's poll round trip. Its
// DeviceAccessToken waits on a real ticker in whole seconds between polls,
// so the round trip it makes (internal.RetrieveToken with the device code
// form) is driven through Config.Exchange with the same parameters.
func benchXOAuth2Poll(b *testing.B, h2 bool) {
	cfg, ctx, srv := xEnv(b, h2, entratest.Options{})
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		b.Fatal(err)
	}
	_ = srv
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("grant_type", deviceGrant),
		oauth2.SetAuthURLParam("device_code", da.DeviceCode),
	}
	poll := func() {
		_, err := cfg.Exchange(ctx, "", opts...)
		var re *oauth2.RetrieveError
		if !errorsAs(err, &re) || re.ErrorCode != "authorization_pending" {
			b.Fatalf("want pending, got %v", err)
		}
	}
	poll()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		poll()
	}
}

func BenchmarkXOAuth2PollHTTP2(b *testing.B)  { benchXOAuth2Poll(b, true) }
func BenchmarkXOAuth2PollHTTP11(b *testing.B) { benchXOAuth2Poll(b, false) }

// BenchmarkXOAuth2Refresh: one refresh through a TokenSource holding an
// expired token (HTTP/2, x/oauth2's default).
func BenchmarkXOAuth2Refresh(b *testing.B) {
	cfg, ctx, srv := xEnv(b, true, entratest.Options{ApproveAfterPolls: 1})
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		b.Fatal(err)
	}
	srv.Approve(da.UserCode)
	tok, err := cfg.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", deviceGrant), oauth2.SetAuthURLParam("device_code", da.DeviceCode))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tok.Expiry = time.Now().Add(-time.Hour)
		tok, err = cfg.TokenSource(ctx, tok).Token()
		if err != nil {
			b.Fatal(err)
		}
	}
}

var _ = http.StatusOK
