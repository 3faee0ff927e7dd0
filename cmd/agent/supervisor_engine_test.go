package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// These tests run the supervisor over the real devicecode engine and the
// Entra-like test server, on one fake clock, for hours of fake time: the
// loop's pace (how often it asks the provider) is what they check.

// fakeTimeClock is the supervisor's clock over entratest's fake clock. Each
// wait advances the fake time at once; once it passes until, the run is
// cancelled.
type fakeTimeClock struct {
	fc     *entratest.FakeClock
	until  time.Time
	cancel context.CancelFunc

	mu    sync.Mutex
	waits []time.Duration
}

func (c *fakeTimeClock) Now() time.Time { return c.fc.Now() }

func (c *fakeTimeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	c.fc.Advance(d)
	if !c.fc.Now().Before(c.until) {
		c.cancel()
	}
	ch := make(chan time.Time, 1)
	ch <- c.fc.Now()
	return ch
}

func (c *fakeTimeClock) recorded() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

var (
	graphProfile   = devicecode.Profile{Name: "graph", Scopes: []string{"https://graph.microsoft.com/.default"}}
	storageProfile = devicecode.Profile{Name: "storage", Scopes: []string{"https://storage.azure.com/user_impersonation"}}
)

// runOverEngine runs the supervisor against a test server with opts for
// span of fake time (or until ctx is cancelled by the script) and returns
// the trace and the supervisor's waits.
func runOverEngine(t *testing.T, opts entratest.Options, profiles []devicecode.Profile, span time.Duration) ([]string, []time.Duration) {
	t.Helper()
	fc := entratest.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	opts.Clock = fc
	idp := entratest.Start(opts)
	t.Cleanup(idp.Close)
	c, err := devicecode.New(devicecode.Config{ClientID: entratest.DefaultClientID,
		Authority: devicecode.Authority{Tenant: entratest.TenantDomain, Host: idp.URL()},
		Profiles:  profiles, HTTPClient: idp.Client(), Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &fakeTimeClock{fc: fc, until: fc.Now().Add(span), cancel: cancel}
	tr := &trace{}
	s := &supervisor{eng: &engineAdapter{c: c, profiles: names}, pub: &fakePub{tr: tr, signout: make(chan struct{}, 1)},
		scr: &fakeScreen{tr: tr}, clk: clk, log: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatal("the supervisor did not get through its fake time in 60 s")
	}
	return tr.lines, clk.recorded()
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// The provider asks for an early refresh (refresh_in, 30 minutes into an
// hour) and then fails every refresh with 503. The engine hands back its
// cached token, as MSAL does; the supervisor must back off, not ask again
// at once until the token nears expiry.
func TestEarlyRefreshFailureBacksOff(t *testing.T) {
	var refreshes atomic.Int32
	lines, waits := runOverEngine(t, entratest.Options{TokenLifetime: time.Hour, RefreshIn: 30 * time.Minute, ApproveAfterPolls: 1,
		Script: func(q entratest.Request) *entratest.Reply {
			if q.GrantType == "refresh_token" {
				refreshes.Add(1)
				r := entratest.ServerError(503)
				return &r
			}
			return nil
		}}, []devicecode.Profile{graphProfile}, 50*time.Minute)
	t.Logf("%d refresh requests, %d waits", refreshes.Load(), len(waits))
	// From minute 30 to 50 with the back-off doubling from 1 s (RetryMin
	// 2 s, drawn from its upper half): about a dozen requests.
	if n := refreshes.Load(); n == 0 || n > 20 {
		t.Errorf("%d refresh requests in the 20 minutes after refresh_in; want a back-off's handful", n)
	}
	for i, w := range waits {
		if w <= 0 {
			t.Fatalf("wait %d of %d is %v: the loop asks again without waiting", i, len(waits), w)
		}
	}
	if n := countPrefix(lines, "token graph"); n != 1 {
		t.Errorf("the token was published %d times; the cached one must not be republished", n)
	}
}

// Every poll ends with an error reply of no known class. Each code is
// replaced, but the back-off grows across codes to RetryMax, and the error
// is shown.
func TestPollErrorBacksOffAcrossCodes(t *testing.T) {
	lines, waits := runOverEngine(t, entratest.Options{
		Script: func(q entratest.Request) *entratest.Reply {
			if q.GrantType == entratest.GrantDeviceCode {
				return &entratest.Reply{Error: "invalid_request", AADSTS: 900144,
					Description: "The request body must contain the following parameter: 'foo'."}
			}
			return nil
		}}, []devicecode.Profile{graphProfile}, 6*time.Hour)
	codes := countPrefix(lines, "view code")
	t.Logf("%d codes, %d waits", codes, len(waits))
	// Back-off from 1 s to 150 s (half of RetryMax, jitter 0 here) plus the
	// first poll's 5 s: about 140 codes in 6 hours; 2 s apart it was 3,000.
	if codes < 10 || codes > 160 {
		t.Errorf("%d codes in 6 fake hours; want the back-off's pace", codes)
	}
	if n := countPrefix(lines, "view error invalid_request"); n < codes-1 {
		t.Errorf("the error was shown %d times for %d codes", n, codes)
	}
	var longest time.Duration
	for _, w := range waits {
		longest = max(longest, w)
	}
	if longest < defaultSupervisorOpts.RetryMax/2 {
		t.Errorf("the longest wait was %v; the back-off never reached its cap", longest)
	}
}

// The person approves the code, but the second profile's token fails once
// with 503. The sign-in is cached: no second code, and both tokens are
// published after a back-off.
func TestApprovalKeptWhenAnotherProfileFails(t *testing.T) {
	var refreshes atomic.Int32
	lines, _ := runOverEngine(t, entratest.Options{ApproveAfterPolls: 1,
		Script: func(q entratest.Request) *entratest.Reply {
			if q.GrantType == "refresh_token" && refreshes.Add(1) == 1 {
				r := entratest.ServerError(503)
				return &r
			}
			return nil
		}}, []devicecode.Profile{graphProfile, storageProfile}, 10*time.Minute)
	if n := countPrefix(lines, "view code"); n != 1 {
		t.Errorf("%d codes shown; the approved one must be kept:\n%s", n, strings.Join(lines, "\n"))
	}
	for _, want := range []string{"token graph", "token storage"} {
		if countPrefix(lines, want) != 1 {
			t.Errorf("%q not published once:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}
