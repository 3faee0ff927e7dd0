package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The supervisor is tested over fakes that write one trace line per thing
// it does; each case compares the whole trace. The fake clock advances at
// once on every wait, so hours of back-off take microseconds.

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type trace struct{ lines []string }

func (tr *trace) add(format string, a ...any) { tr.lines = append(tr.lines, fmt.Sprintf(format, a...)) }

type fakeClock struct {
	tr   *trace
	now  time.Time
	jump func(now time.Time) time.Time // optional: an NTP step
	// pressOn: the first wait of this long ends with a button press instead.
	pressOn time.Duration
	button  chan struct{}
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.tr.add("wait %s", d)
	if c.pressOn != 0 && d == c.pressOn {
		c.pressOn = 0
		c.tr.add("button")
		c.button <- struct{}{}
		return nil
	}
	c.now = c.now.Add(d)
	if c.jump != nil {
		c.now = c.jump(c.now)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// call is one scripted answer of the fake engine.
type call struct {
	op      string // silent, code, poll, signout
	sess    *session
	err     error
	signout bool          // a sign-out command arrives during this call
	button  bool          // the button is pressed during this call
	block   bool          // poll blocks until its context ends
	advance time.Duration // time the call takes
}

type fakeEngine struct {
	t      *testing.T
	tr     *trace
	clk    *fakeClock
	script []call
	cancel context.CancelFunc
	pub    *fakePub
	button chan struct{}
}

func (e *fakeEngine) next(op string) call {
	if len(e.script) == 0 {
		e.tr.add("%s: end of script", op)
		e.cancel()
		return call{err: errors.New("end of script")}
	}
	c := e.script[0]
	e.script = e.script[1:]
	if c.op != op {
		e.t.Errorf("engine: got %s, script wants %s", op, c.op)
	}
	e.clk.now = e.clk.now.Add(c.advance)
	if c.signout {
		e.pub.signout <- struct{}{}
	}
	if c.button {
		e.button <- struct{}{}
	}
	res := "ok"
	if c.err != nil {
		res = c.err.Error()
	}
	e.tr.add("%s -> %s", op, res)
	return c
}

func (e *fakeEngine) AcquireSilent(ctx context.Context) (*session, error) {
	c := e.next("silent")
	return c.sess, c.err
}
func (e *fakeEngine) RequestCode(ctx context.Context) (*codeInfo, error) {
	c := e.next("code")
	if c.err != nil {
		return nil, c.err
	}
	return &codeInfo{UserCode: "WDJB-MJHT", VerificationURI: "https://example.test/device", ExpiresAt: e.clk.now.Add(15 * time.Minute)}, nil
}
func (e *fakeEngine) PollToken(ctx context.Context, _ *codeInfo) (*session, error) {
	c := e.next("poll")
	if c.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return c.sess, c.err
}
func (e *fakeEngine) SignOut(ctx context.Context) error { return e.next("signout").err }

type fakePub struct {
	tr         *trace
	signout    chan struct{}
	clearErr   error // ClearToken fails with it (a broker that is away)
	publishErr error // PublishToken fails with it
}

func (p *fakePub) PublishState(s agentState) error {
	p.tr.add("state %s%s", s.State, suffix(s.Error))
	return nil
}
func (p *fakePub) PublishToken(t tokenInfo, a account) error {
	p.tr.add("token %s %s", t.Profile, t.AccessToken)
	return p.publishErr
}
func (p *fakePub) ClearToken(profile string) error  { p.tr.add("clear %s", profile); return p.clearErr }
func (p *fakePub) SignOutRequests() <-chan struct{} { return p.signout }
func (p *fakePub) Close() error                     { p.tr.add("offline"); return nil }

type fakeScreen struct{ tr *trace }

func (s *fakeScreen) Wake() { s.tr.add("wake") }

func (s *fakeScreen) Show(v view) error {
	detail := v.UserCode + v.Account + v.Message
	s.tr.add("view %s%s", v.Kind, suffix(detail))
	return nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// Helpers to script sessions and errors.
func sess(at time.Time, life time.Duration, tok string) *session {
	return &session{Account: account{Username: "ada@example.test"},
		Tokens: []tokenInfo{{Profile: "graph", AccessToken: tok, ExpiresAt: at.Add(life)}}}
}
func cerr(c errClass, reason string) error { return &classifiedError{class: c, reason: reason} }

var (
	errNeedsSignIn = cerr(classNeedsSignIn, "no refresh token")
	errExpired     = cerr(classExpired, "code expired")
	errDeclined    = cerr(classDeclined, "sign-in declined")
	errNet         = cerr(classTransient, "network down")
)

// runSupervisor runs script to its end; configure, if given, sets more of
// the supervisor up before it starts.
func runSupervisor(t *testing.T, script []call, opts supervisorOpts, clk *fakeClock, tr *trace, configure ...func(*supervisor)) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &fakePub{tr: tr, signout: make(chan struct{}, 4)}
	button := make(chan struct{}, 4)
	clk.button = button
	eng := &fakeEngine{t: t, tr: tr, clk: clk, script: script, cancel: cancel, pub: pub, button: button}
	s := &supervisor{eng: eng, pub: pub, scr: &fakeScreen{tr: tr}, clk: clk, button: button,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), opts: opts}
	for _, f := range configure {
		f(s)
	}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("supervisor did not stop at the end of the script")
	}
	return tr.lines
}

func TestSupervisorTransitions(t *testing.T) {
	opts := supervisorOpts{MaxUnusedCodes: 2, IdleWait: time.Hour, DeclinedPause: 20 * time.Second,
		RetryMin: 2 * time.Second, RetryMax: time.Minute, RefreshMargin: 5 * time.Minute}
	start := []string{"view starting", "state starting"}
	end := []string{"view stopped boardlogin stopped", "offline"}
	tests := []struct {
		name    string
		script  []call
		pressOn time.Duration
		want    []string
	}{{
		name:   "silent sign-in publishes and sleeps until 5 minutes before expiry",
		script: []call{{op: "silent", sess: sess(t0, time.Hour, "AT1")}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in",
			"wait 55m0s", "silent: end of script", "clear graph"},
	}, {
		name: "no cache: device code, approved, published",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"},
			{op: "poll", sess: sess(t0, time.Hour, "AT1"), advance: time.Minute}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> ok",
			"token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 54m0s", "silent: end of script", "clear graph"},
	}, {
		name: "refresh republishes; refresh_in is honoured",
		script: []call{{op: "silent", sess: &session{Account: account{Username: "ada"}, Tokens: []tokenInfo{{Profile: "graph", AccessToken: "AT1",
			ExpiresAt: t0.Add(time.Hour), RefreshAt: t0.Add(30 * time.Minute)}}}},
			{op: "silent", sess: sess(t0.Add(30*time.Minute), 10*time.Minute, "AT2")}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada", "state signed_in", "wait 30m0s",
			"silent -> ok", "token graph AT2", "view signed-in ada@example.test", "state signed_in",
			// a 10 minute token refreshes half way, not 5 minutes early
			"wait 5m0s", "silent: end of script", "clear graph"},
	}, {
		name:   "the engine's cached token again is not republished",
		script: []call{{op: "silent", sess: sess(t0, time.Hour, "AT1")}, {op: "silent", sess: sess(t0, time.Hour, "AT1")}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 55m0s",
			"silent -> ok", "view signed-in ada@example.test", "state signed_in", "wait 2m30s", "silent: end of script", "clear graph"},
	}, {
		name:   "refresh token dead: tokens cleared, then a device code",
		script: []call{{op: "silent", sess: sess(t0, time.Hour, "AT1")}, {op: "silent", err: errNeedsSignIn}, {op: "code"}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 55m0s",
			"silent -> no refresh token", "clear graph", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "refresh fails transiently: back-off, token cleared at expiry, then success",
		script: []call{{op: "silent", sess: sess(t0, 10*time.Minute, "AT1")},
			{op: "silent", err: errNet}, {op: "silent", err: errNet, advance: 5*time.Minute - 3*time.Second}, {op: "silent", err: errNet},
			{op: "silent", sess: sess(t0.Add(11*time.Minute), time.Hour, "AT2")}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 5m0s",
			"silent -> network down", "wait 1s", "silent -> network down", "wait 2s",
			"clear graph", "silent -> network down", "wait 4s",
			"silent -> ok", "token graph AT2", "view signed-in ada@example.test", "state signed_in", "wait 55m56s",
			"silent: end of script", "clear graph"},
	}, {
		name: "expired codes: a fresh one each time, idle after the cap, then again",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: errExpired},
			{op: "code"}, {op: "poll", err: errExpired}, {op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> code expired",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> code expired",
			"view idle 2 codes expired unused: press the button for a new code", "state error 2 codes expired unused: press the button for a new code",
			"wait 1h0m0s", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "idle ends early on a button press",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: errExpired},
			{op: "code"}, {op: "poll", err: errExpired}, {op: "code"}},
		pressOn: time.Hour,
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> code expired",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> code expired",
			"view idle 2 codes expired unused: press the button for a new code", "state error 2 codes expired unused: press the button for a new code",
			"wait 1h0m0s", "button", "wake", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "a button press while polling: the screen wakes, the cache is asked (an approval may have come first), a fresh code",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", block: true, button: true},
			{op: "silent", err: errNeedsSignIn}, {op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> ok", "wake",
			"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "a button press just as the code was approved: the cached sign-in is kept",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", block: true, button: true},
			{op: "silent", sess: sess(t0, time.Hour, "AT1")}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> ok", "wake",
			"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 55m0s",
			"silent: end of script", "clear graph"},
	}, {
		name:    "a short press while signed in wakes the screen and shows the status again",
		script:  []call{{op: "silent", sess: sess(t0, time.Hour, "AT1")}},
		pressOn: 55 * time.Minute,
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in",
			"wait 55m0s", "button", "wake", "view signed-in ada@example.test", "state signed_in",
			"wait 55m0s", "silent: end of script", "clear graph"},
	}, {
		name:   "declined: a clear view, a pause, a new code",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: errDeclined}, {op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> sign-in declined",
			"view declined sign-in declined", "state error sign-in declined", "wait 20s",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name:   "bad code: same as declined",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: cerr(classBadCode, "code not known")}, {op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> code not known",
			"view declined code not known", "state error code not known", "wait 20s",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name:   "configuration error stops polling for the idle wait",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code", err: cerr(classConfig, "application not found: check client-id")}, {op: "silent", err: errNeedsSignIn}},
		want: []string{"silent -> no refresh token", "code -> application not found: check client-id",
			"view error application not found: check client-id", "state error application not found: check client-id",
			"wait 1h0m0s", "silent -> no refresh token", "code: end of script"},
	}, {
		name:   "policy block while polling stops for the idle wait",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: cerr(classPolicy, "blocked by conditional access")}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> blocked by conditional access",
			"view error blocked by conditional access", "state error blocked by conditional access", "wait 1h0m0s", "silent: end of script"},
	}, {
		name:   "network down at start: back-off doubles up to the cap",
		script: []call{{op: "silent", err: errNet}, {op: "silent", err: errNet}, {op: "silent", err: errNet}},
		want: []string{"silent -> network down", "view no-network network down", "state error network down", "wait 1s",
			"silent -> network down", "view no-network network down", "state error network down", "wait 2s",
			"silent -> network down", "view no-network network down", "state error network down", "wait 4s", "silent: end of script"},
	}, {
		name:   "sign-out command while signed in: cleared, cache removed, new code",
		script: []call{{op: "silent", sess: sess(t0, time.Hour, "AT1"), signout: true}, {op: "signout"}, {op: "code"}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in",
			"clear graph", "signout -> ok", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "sign-out command while polling: the cache is removed (an approval may have come first), a fresh code",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", block: true, signout: true},
			{op: "signout"}, {op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> ok",
			"signout -> ok", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "refresh_in passed and the early refresh failed (the engine hands back its cached token): back-off, then the refresh",
		script: []call{{op: "silent", sess: &session{Account: account{Username: "ada"}, Tokens: []tokenInfo{{Profile: "graph", AccessToken: "AT1",
			ExpiresAt: t0.Add(2 * time.Hour), RefreshAt: t0.Add(30 * time.Minute)}}}},
			{op: "silent", sess: &session{Account: account{Username: "ada"}, Tokens: []tokenInfo{{Profile: "graph", AccessToken: "AT1",
				ExpiresAt: t0.Add(2 * time.Hour), RefreshAt: t0.Add(30 * time.Minute)}}}},
			{op: "silent", sess: &session{Account: account{Username: "ada"}, Tokens: []tokenInfo{{Profile: "graph", AccessToken: "AT1",
				ExpiresAt: t0.Add(2 * time.Hour), RefreshAt: t0.Add(30 * time.Minute)}}}},
			{op: "silent", sess: sess(t0.Add(30*time.Minute), time.Hour, "AT2")}},
		want: []string{"silent -> ok", "token graph AT1", "view signed-in ada", "state signed_in", "wait 30m0s",
			"silent -> ok", "wait 1s", "silent -> ok", "wait 2s",
			"silent -> ok", "token graph AT2", "view signed-in ada@example.test", "state signed_in", "wait 54m57s",
			"silent: end of script", "clear graph"},
	}, {
		name: "polling ends with an error of no known class: shown, and the back-off grows across codes",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: cerr(classOther, "invalid_request: AADSTS900144")},
			{op: "code"}, {op: "poll", err: cerr(classNeedsSignIn, "invalid_grant")}, {op: "code"}, {op: "poll", err: cerr(classOther, "invalid_request: AADSTS900144")},
			{op: "code"}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user",
			"poll -> invalid_request: AADSTS900144", "view error invalid_request: AADSTS900144", "state error invalid_request: AADSTS900144", "wait 1s",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user",
			"poll -> invalid_grant", "view error invalid_grant", "state error invalid_grant", "wait 2s",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user",
			"poll -> invalid_request: AADSTS900144", "view error invalid_request: AADSTS900144", "state error invalid_request: AADSTS900144", "wait 4s",
			"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script"},
	}, {
		name: "approved, but another profile's token failed transiently: no new code, the cache goes on with back-off",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"},
			{op: "poll", err: &classifiedError{class: classBusy, reason: "http 503", approved: true}},
			{op: "silent", sess: sess(t0, time.Hour, "AT1")}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> http 503",
			"view busy http 503", "state error http 503", "wait 1s",
			"silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in", "wait 54m59s",
			"silent: end of script", "clear graph"},
	}, {
		name: "approved, but another profile needs consent: stopped like a configuration error, not a new code",
		script: []call{{op: "silent", err: errNeedsSignIn}, {op: "code"},
			{op: "poll", err: &classifiedError{class: classNeedsSignIn, reason: "interaction_required: AADSTS65001", approved: true}},
			{op: "silent", err: errNeedsSignIn}},
		want: []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll -> interaction_required: AADSTS65001",
			"view error interaction_required: AADSTS65001", "state error interaction_required: AADSTS65001", "wait 1h0m0s",
			"silent -> no refresh token", "code: end of script"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &trace{}
			got := runSupervisor(t, tt.script, opts, &fakeClock{tr: tr, now: t0, pressOn: tt.pressOn}, tr)
			want := append(append(append([]string{}, start...), tt.want...), end...)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("trace:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// A token past expiry that cannot be cleared (the broker is away) must not
// cut the refresh back-off to nothing.
func TestSupervisorBacksOffWhileClearingFails(t *testing.T) {
	tr := &trace{}
	script := []call{{op: "silent", sess: sess(t0, 10*time.Minute, "AT1")},
		{op: "silent", err: errNet, advance: 6 * time.Minute}, {op: "silent", err: errNet}}
	got := runSupervisor(t, script, supervisorOpts{RetryMin: 2 * time.Second, RetryMax: time.Minute}, &fakeClock{tr: tr, now: t0}, tr,
		func(s *supervisor) { s.pub.(*fakePub).clearErr = errors.New("broker away") })
	want := []string{"view starting", "state starting", "silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in",
		"wait 5m0s", "silent -> network down", "wait 1s", "clear graph", "silent -> network down", "wait 2s", "clear graph",
		"silent: end of script", "clear graph", "view stopped boardlogin stopped", "offline"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// A token whose publish failed (mqtt keeps it and sends it later) is still
// cleared by a sign-out.
func TestSupervisorClearsATokenWhosePublishFailed(t *testing.T) {
	tr := &trace{}
	script := []call{{op: "silent", sess: sess(t0, time.Hour, "AT1"), signout: true}, {op: "signout"}, {op: "code"}}
	got := runSupervisor(t, script, supervisorOpts{}, &fakeClock{tr: tr, now: t0}, tr,
		func(s *supervisor) {
			s.pub.(*fakePub).publishErr = errors.New("mqtt: context deadline exceeded; the value is kept")
		})
	want := []string{"view starting", "state starting", "silent -> ok", "token graph AT1", "view signed-in ada@example.test", "state signed_in",
		"clear graph", "signout -> ok", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "poll: end of script",
		"view stopped boardlogin stopped", "offline"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestSupervisorWaitsForClock(t *testing.T) {
	tr := &trace{}
	boot := time.Date(1970, 1, 1, 0, 0, 10, 0, time.UTC)
	clk := &fakeClock{tr: tr, now: boot, jump: func(now time.Time) time.Time {
		if now.Sub(boot) >= 3*time.Second { // NTP answers after 3 s
			return t0
		}
		return now
	}}
	got := runSupervisor(t, []call{{op: "silent", err: errNeedsSignIn}}, supervisorOpts{ClockFloor: plausibleAfter}, clk, tr)
	want := []string{"view starting", "state starting", "view waiting-for-clock waiting for the clock (NTP)",
		"wait 1s", "wait 1s", "wait 1s", "silent -> no refresh token", "code: end of script",
		"view stopped boardlogin stopped", "offline"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestRefreshDue(t *testing.T) {
	tests := []struct {
		name string
		toks []tokenInfo
		want time.Duration
	}{
		{"one hour token: 5 minutes early", []tokenInfo{{ExpiresAt: t0.Add(time.Hour)}}, 55 * time.Minute},
		{"short token: half way", []tokenInfo{{ExpiresAt: t0.Add(2 * time.Minute)}}, time.Minute},
		{"refresh_in wins", []tokenInfo{{ExpiresAt: t0.Add(time.Hour), RefreshAt: t0.Add(10 * time.Minute)}}, 10 * time.Minute},
		{"refresh_in after expiry is ignored", []tokenInfo{{ExpiresAt: t0.Add(time.Hour), RefreshAt: t0.Add(2 * time.Hour)}}, 55 * time.Minute},
		{"earliest profile", []tokenInfo{{ExpiresAt: t0.Add(time.Hour)}, {ExpiresAt: t0.Add(30 * time.Minute)}}, 25 * time.Minute},
		{"already expired", []tokenInfo{{ExpiresAt: t0.Add(-time.Minute)}}, -time.Minute},
	}
	for _, tt := range tests {
		if due, _ := refreshDue(t0, tt.toks, 5*time.Minute); due.Sub(t0) != tt.want {
			got := due.Sub(t0)
			t.Errorf("%s: due in %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for i, want := range []time.Duration{2, 4, 8, 16, 30, 30} {
		if got := backoff(i, 2*time.Second, 30*time.Second); got != want*time.Second {
			t.Errorf("backoff(%d) = %v, want %v", i, got, want*time.Second)
		}
	}
}
