package devicecode_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

var sprintf = fmt.Sprintf

// checkSchedule replays the recorded requests and checks RFC 8628 §3.5:
// the first poll comes no sooner than one interval after the code was
// requested, no two polls closer than the interval in force (slow_down adds
// 5 s for good), none sooner than a Retry-After, none at or after expiry.
func checkSchedule(t *testing.T, recs []entratest.Record, interval, expiresIn time.Duration, retryAfter map[int]time.Duration) (polls int) {
	t.Helper()
	var issued, prev time.Time
	for _, r := range recs {
		if r.Endpoint == entratest.EndpointDeviceCode {
			issued, prev = r.Time, r.Time
			continue
		}
		if r.Endpoint != entratest.EndpointToken || r.GrantType != "urn:ietf:params:oauth:grant-type:device_code" {
			continue
		}
		if issued.IsZero() {
			t.Fatal("poll before any device code request")
		}
		gap := r.Time.Sub(prev)
		want := interval
		if ra, ok := retryAfter[polls]; ok && ra > want {
			want = ra
		}
		if gap < want {
			t.Errorf("poll %d came %s after the previous request, want at least %s", polls+1, gap, want)
		}
		if !r.Time.Before(issued.Add(expiresIn)) {
			t.Errorf("poll %d at %s is at or after the code's expiry %s", polls+1, r.Time.Sub(issued), expiresIn)
		}
		if r.Error == "slow_down" {
			interval += 5 * time.Second
		}
		prev = r.Time
		polls++
	}
	return polls
}

func TestPollTable(t *testing.T) {
	formDenied := entratest.Reply{Status: 400, ContentType: "application/x-www-form-urlencoded", Body: "error=access_denied&error_description=the+user+declined"}
	tests := []pollCase{
		{name: "pending then approved", replies: entratest.Repeat(entratest.Pending, 3), approve: true, wantPolls: 4},
		{name: "approved at the first poll", approve: true, wantPolls: 1},
		{name: "slow_down adds five seconds for good", replies: []entratest.Reply{entratest.SlowDown, entratest.Pending, entratest.SlowDown, entratest.Pending}, approve: true, wantPolls: 5},
		{name: "v1 interval as string, no interval means 5 s", opts: entratest.Options{V1: true, OmitInterval: true}, replies: entratest.Repeat(entratest.Pending, 2), approve: true, wantPolls: 3},
		{name: "longer interval from the provider", opts: entratest.Options{Interval: 9 * time.Second}, replies: entratest.Repeat(entratest.Pending, 2), approve: true, wantPolls: 3},
		{name: "authorization_declined", replies: []entratest.Reply{entratest.Pending, entratest.Declined}, wantIs: devicecode.ErrDeclined, wantPolls: 2,
			check: func(t *testing.T, err error) {
				var se *devicecode.ServiceError
				if !errors.As(err, &se) || se.Code != "authorization_declined" || se.TraceID == "" {
					t.Errorf("the ServiceError is not reachable with its trace id: %#v", se)
				}
			}},
		{name: "access_denied, form encoded", replies: []entratest.Reply{formDenied}, wantIs: devicecode.ErrDeclined, wantPolls: 1},
		{name: "access_denied by Conditional Access is a policy block, not a decline", replies: []entratest.Reply{entratest.Pending, {Error: "access_denied", AADSTS: 53003, Description: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."}},
			wantErr: "ask the tenant admin", wantPolls: 2,
			check: func(t *testing.T, err error) {
				if errors.Is(err, devicecode.ErrDeclined) || !devicecode.IsBlockedByPolicy(err) {
					t.Errorf("class of %v is wrong: declined %v, policy %v", err, errors.Is(err, devicecode.ErrDeclined), devicecode.IsBlockedByPolicy(err))
				}
			}},
		{name: "invalid_scope after approval is a configuration error", replies: []entratest.Reply{{Error: "invalid_scope", AADSTS: 28000, Description: "Provided value for the input parameter scope is not valid because it contains more than one resource."}},
			wantErr: "give each resource a profile of its own", wantPolls: 1,
			check: func(t *testing.T, err error) {
				if !devicecode.IsConfigError(err) || devicecode.IsTransient(err) || devicecode.NeedsSignIn(err) {
					t.Errorf("class of %v is wrong", err)
				}
			}},
		{name: "bad_verification_code", replies: []entratest.Reply{entratest.BadCode}, wantIs: devicecode.ErrBadCode, wantPolls: 1},
		{name: "expired_token", replies: []entratest.Reply{entratest.Pending, entratest.ExpiredToken}, wantIs: devicecode.ErrExpired, wantPolls: 2},
		{name: "v1 code_expired", replies: []entratest.Reply{{Error: "code_expired", AADSTS: 70020}}, wantIs: devicecode.ErrExpired, wantPolls: 1},
		{name: "5xx retried with backoff", replies: []entratest.Reply{entratest.ServerError(500), entratest.ServerError(503), entratest.Malformed(502, "<html>bad gateway</html>")}, approve: true, wantPolls: 4},
		{name: "429 honours Retry-After", replies: []entratest.Reply{entratest.Pending, entratest.TooManyRequests(40 * time.Second)}, approve: true, wantPolls: 3,
			retryAfter: map[int]time.Duration{2: 40 * time.Second}},
		{name: "AADSTS50196 loop detected is transient", replies: []entratest.Reply{{Error: "invalid_request", AADSTS: 50196, Description: "The server encountered a client request loop."}}, approve: true, wantPolls: 2},
		{name: "connection closed is retried", replies: []entratest.Reply{entratest.CloseConn}, approve: true, wantPolls: 2},
		{name: "hung request times out and is retried", replies: []entratest.Reply{entratest.Hang}, approve: true, wantPolls: 2},
		// Something between the board and the provider answered: the
		// code is still good, so these are retried like a 5xx.
		{name: "captive portal page with 200 is retried", replies: []entratest.Reply{entratest.CaptivePortal, entratest.CaptivePortal}, approve: true, wantPolls: 3, wantLog: "http 200 with text/html (an HTML or XML page)"},
		{name: "redirect to a captive portal is retried", replies: []entratest.Reply{entratest.CaptiveRedirect}, approve: true, wantPolls: 2, wantLog: "(an HTML or XML page), not a token reply"},
		{name: "truncated JSON with 200 is retried", replies: []entratest.Reply{entratest.Malformed(200, `{"access_token":`)}, approve: true, wantPolls: 2, wantLog: "http 200 with application/json (broken or truncated JSON)"},
		{name: "garbage with 200 is retried", replies: []entratest.Reply{entratest.Malformed(200, "\x00\xffnot json{{")}, approve: true, wantPolls: 2, wantLog: "(a body that is not JSON)"},
		{name: "JSON without access_token with 200 is retried", replies: []entratest.Reply{entratest.Malformed(200, `{"token_type":"Bearer","expires_in":3599}`)}, approve: true, wantPolls: 2, wantLog: "(JSON without a usable access_token)"},
		{name: "empty 200 is retried", replies: []entratest.Reply{{Status: 200, ContentType: "text/plain"}}, approve: true, wantPolls: 2, wantLog: "http 200 with text/plain (an empty body)"},
		{name: "proxy HTML 502 and 504 are retried", replies: []entratest.Reply{entratest.ProxyPage(502), entratest.ProxyPage(504)}, approve: true, wantPolls: 3},
		{name: "captive portal until expiry", opts: entratest.Options{ExpiresIn: 120 * time.Second}, replies: entratest.Repeat(entratest.CaptivePortal, 100), wantIs: devicecode.ErrExpired,
			wantErr: "last poll error: devicecode: the token endpoint answered http 200 with text/html (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way",
			check: func(t *testing.T, err error) {
				var ue *devicecode.UnexpectedReplyError
				if !errors.As(err, &ue) || ue.StatusCode != 200 || ue.ContentType != "text/html" {
					t.Errorf("the last unexpected reply is lost: %#v", ue)
				}
			}},
		{name: "200 with error is an error", replies: []entratest.Reply{{Status: 200, Error: "invalid_grant", AADSTS: 70000, Description: "bad"}}, wantErr: "AADSTS70000", wantPolls: 1},
		{name: "public client flows disabled", opts: entratest.Options{PublicClientDisabled: true}, approve: true, wantErr: "Allow public client flows", wantPolls: 1,
			check: func(t *testing.T, err error) {
				if !devicecode.IsConfigError(err) || devicecode.IsTransient(err) || devicecode.NeedsSignIn(err) {
					t.Errorf("class of %v is wrong", err)
				}
			}},
		{name: "never approved: no poll after expiry", opts: entratest.Options{ExpiresIn: 60 * time.Second}, wantIs: devicecode.ErrExpired, wantPolls: 11},
		{name: "server down until expiry", opts: entratest.Options{ExpiresIn: 120 * time.Second}, replies: entratest.Repeat(entratest.ServerError(503), 100), wantIs: devicecode.ErrExpired, wantErr: "last poll error",
			check: func(t *testing.T, err error) {
				if !devicecode.IsTransient(errors.Unwrap(err)) && !strings.Contains(err.Error(), "503") {
					t.Errorf("the last transient error is lost: %v", err)
				}
			}},
		{name: "server enforcing the interval never says slow_down", opts: entratest.Options{EnforceInterval: true}, replies: entratest.Repeat(entratest.Pending, 5), approve: true, wantPolls: 6},
	}
	for _, client := range []string{"Config.HTTPClient", "default client"} {
		for _, tt := range tests {
			t.Run(client+"/"+tt.name, func(t *testing.T) {
				runPollCase(t, client == "default client", tt)
			})
		}
	}
}

// pollCase is one row of TestPollTable.
type pollCase struct {
	name       string
	opts       entratest.Options
	replies    []entratest.Reply
	approve    bool // approve after the scripted replies
	wantIs     error
	wantErr    string // substring of the error
	wantPolls  int
	retryAfter map[int]time.Duration // poll index -> minimum gap before it
	wantLog    string                // substring of the log (a retried failure)
	check      func(t *testing.T, err error)
}

func runPollCase(t *testing.T, defaultClient bool, tt pollCase) {
	timeout := 10 * time.Second
	if strings.Contains(tt.name, "hung") {
		// Long enough for a TLS handshake under qemu on a busy machine.
		timeout = 1500 * time.Millisecond
	}
	e := newEnvWith(t, tt.opts, defaultClient, func(c *devicecode.Config) { c.RequestTimeout = timeout })
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret := e.srv.DeviceCode(dc.UserCode)
	e.srv.Enqueue(entratest.EndpointToken, tt.replies...)
	if tt.approve {
		if err := e.srv.Approve(dc.UserCode); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := e.c.PollToken(ctx, dc)
	switch {
	case tt.wantIs == nil && tt.wantErr == "":
		if err != nil {
			t.Fatalf("PollToken: %v", err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Account.Username != entratest.DefaultUser.Username {
			t.Errorf("token incomplete: %v", tok)
		}
	default:
		if err == nil {
			t.Fatalf("PollToken succeeded, want an error")
		}
		if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
			t.Errorf("error %v is not %v", err, tt.wantIs)
		}
		if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("error %q lacks %q", err, tt.wantErr)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(e.logs.String(), secret) {
			t.Errorf("the device code leaked into the error or the log")
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
	if tt.check != nil {
		tt.check(t, err)
	}
	if tt.wantLog != "" && !strings.Contains(e.logs.String(), tt.wantLog) {
		t.Errorf("log lacks %q:\n%s", tt.wantLog, e.logs)
	}
	// A page from something in the way is described, never quoted: it
	// could hold a secret.
	for _, body := range []string{"portal-session", "<html", "<!DOCTYPE", "nginx", "\x00"} {
		if (err != nil && strings.Contains(err.Error(), body)) || strings.Contains(e.logs.String(), body) {
			t.Errorf("a reply body (%q) leaked into the error or the log", body)
		}
	}
	interval := tt.opts.Interval
	if interval == 0 {
		interval = 5 * time.Second
	}
	expires := tt.opts.ExpiresIn
	if expires == 0 {
		expires = 900 * time.Second
	}
	polls := checkSchedule(t, e.srv.Requests(), interval, expires, tt.retryAfter)
	if tt.wantPolls != 0 && polls != tt.wantPolls {
		t.Errorf("%d polls, want %d", polls, tt.wantPolls)
	}
	for _, r := range e.srv.Requests() {
		if r.HasSecret {
			t.Errorf("a public client sent a secret to %s", r.Endpoint)
		}
		if r.Endpoint == entratest.EndpointToken && !r.HasClientInfo {
			t.Errorf("token request without client_info=1")
		}
	}
}

// TestPollRecordsEveryGap runs a long, mixed poll sequence and checks the
// time of every request against the interval in force.
func TestPollRecordsEveryGap(t *testing.T) {
	for _, def := range []bool{false, true} {
		recordEveryGap(t, newEnvWith(t, entratest.Options{}, def, nil))
	}
}

func recordEveryGap(t *testing.T, e *env) {
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var script []entratest.Reply
	for i := range 40 {
		switch i % 8 {
		case 3:
			script = append(script, entratest.ServerError(503))
		case 5:
			script = append(script, entratest.SlowDown)
		case 7:
			script = append(script, entratest.CloseConn)
		default:
			script = append(script, entratest.Pending)
		}
	}
	e.srv.Enqueue(entratest.EndpointToken, script...)
	e.srv.Approve(dc.UserCode)
	if _, err := e.c.PollToken(ctx, dc); err != nil {
		t.Fatal(err)
	}
	recs := e.srv.Requests()
	var prev time.Time
	interval := 5 * time.Second
	n := 0
	for _, r := range recs {
		if r.Endpoint == entratest.EndpointDeviceCode {
			prev = r.Time
			continue
		}
		gap := r.Time.Sub(prev)
		if gap < interval {
			t.Errorf("request %d: gap %s < interval %s", n, gap, interval)
		}
		if r.Error == "slow_down" {
			interval += 5 * time.Second
		}
		prev = r.Time
		n++
	}
	if n != 41 {
		t.Errorf("%d polls, want 41", n)
	}
	if interval != 30*time.Second {
		t.Errorf("interval after 5 slow_downs = %s, want 30s", interval)
	}
}

// An outage (503) lasts until 6 s before the code expires; the person
// approved at once. However the back-off's jitter falls, the client must
// not give up while the code is valid: when the next back-off would
// outlast the code, it polls once more an interval before expiry, and gets
// the token. The schedule still keeps every gap and never polls at or
// after expiry.
func TestPollDoesNotGiveUpWhileTheCodeIsValid(t *testing.T) {
	const outage = entratest.DefaultExpiresIn - 6*time.Second
	for run := range 5 {
		var e *env
		var issued time.Time
		e = newEnv(t, entratest.Options{Script: func(r entratest.Request) *entratest.Reply {
			if r.Endpoint == entratest.EndpointToken && e.clock.Now().Sub(issued) < outage {
				rp := entratest.ServerError(503)
				return &rp
			}
			return nil
		}}, nil)
		issued = e.clock.Now()
		dc, err := e.c.RequestCode(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Approve(dc.UserCode)
		if _, err := e.c.PollToken(context.Background(), dc); err != nil {
			t.Fatalf("run %d: PollToken = %v with %s of the code left", run, err, dc.ExpiresAt.Sub(e.clock.Now()))
		}
		checkSchedule(t, e.srv.Requests(), entratest.DefaultInterval, entratest.DefaultExpiresIn, nil)
	}
}

// The reply that approves the code has used it up: a lifetime written
// oddly (here a word) must not make the client drop the tokens and poll a
// dead code. The token is kept, with the hour RFC 6749 lets a client
// assume.
func TestPollKeepsATokenWithAnOddLifetime(t *testing.T) {
	e := newEnv(t, entratest.Options{}, nil)
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Enqueue(entratest.EndpointToken, entratest.Reply{Status: 200, ContentType: "application/json; charset=utf-8",
		Body: `{"token_type":"Bearer","scope":"openid profile offline_access","expires_in":"about an hour","refresh_in":-1,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOi.odd","refresh_token":"1.AQ-odd-lifetime-rt"}`})
	sent := e.clock.Now()
	tok, err := e.c.PollToken(ctx, dc)
	if err != nil {
		t.Fatalf("PollToken = %v; the approving reply must not be thrown away", err)
	}
	if tok.AccessToken != "eyJ0eXAiOiJKV1QiLCJhbGciOi.odd" || tok.RefreshToken != "1.AQ-odd-lifetime-rt" {
		t.Errorf("got other tokens than the reply's")
	}
	if life := tok.ExpiresAt.Sub(sent); life < time.Hour || life > time.Hour+time.Minute {
		t.Errorf("token life %v; want the assumed hour", life)
	}
	if !tok.RefreshAt.IsZero() {
		t.Errorf("RefreshAt = %v from a refresh_in of -1; want none", tok.RefreshAt)
	}
}

// TestPollGapsHoldWhenSomePollsReachTheServerLate: a poll that must dial a
// new connection (after a dropped one, say) reaches the server later than
// it was sent, and the next poll on the warm connection does not. The gap
// the server sees must still be at least the interval, so the engine
// counts each wait from when a poll ended, not from when it was sent. The
// transport moves the fake clock on before every other poll reaches the
// server, as a slow dial under qemu did in CI.
func TestPollGapsHoldWhenSomePollsReachTheServerLate(t *testing.T) {
	const dial = 700 * time.Millisecond
	var clock *entratest.FakeClock
	polls := 0
	e := newEnv(t, entratest.Options{ApproveAfterPolls: 6}, func(c *devicecode.Config) {
		warm := c.HTTPClient.Transport
		client := *c.HTTPClient
		client.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/token") {
				if polls%2 == 0 {
					clock.Advance(dial)
				}
				polls++
			}
			return warm.RoundTrip(r)
		})
		c.HTTPClient = &client
	})
	clock = e.clock
	dc, err := e.c.RequestCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PollToken(context.Background(), dc); err != nil {
		t.Fatal(err)
	}
	if n := checkSchedule(t, e.srv.Requests(), dc.Interval, 900*time.Second, nil); n != 6 {
		t.Errorf("%d polls, want 6", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPollCancelReturnsAtOnce cancels while PollToken waits for the
// interval on the real clock, and while a poll hangs on the server.
func TestPollCancelReturnsAtOnce(t *testing.T) {
	for _, hang := range []bool{false, true} {
		name := "while waiting"
		if hang {
			name = "during a hung request"
		}
		t.Run(name, func(t *testing.T) {
			srv := entratest.Start(entratest.Options{TLS: true})
			defer srv.Close()
			cfg := devicecode.Config{
				ClientID:       entratest.DefaultClientID,
				Authority:      devicecode.Authority{Tenant: entratest.TenantID, Host: srv.URL()},
				HTTPClient:     srv.Client(),
				RequestTimeout: time.Minute,
			}
			if hang {
				cfg.Clock = entratest.NewFakeClock(epoch) // the first poll goes out at once
				srv.Enqueue(entratest.EndpointToken, entratest.Hang)
			}
			c, err := devicecode.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dc, err := c.RequestCode(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { _, err := c.PollToken(ctx, dc); done <- err }()
			if hang {
				for len(srv.Requests()) < 2 {
					time.Sleep(time.Millisecond)
				}
			}
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("returned %s after cancel", d)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("PollToken did not return after cancel")
			}
		})
	}
}
