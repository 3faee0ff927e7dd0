package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// The supervisor is the loop of DESIGN.md §1 over small interfaces, so it is
// tested with fakes and a fake clock. wire.go adapts the real packages.

// account identifies the signed-in user (no secrets).
type account struct{ Username, Name, TenantID, ObjectID string }

// tokenInfo is one profile's access token.
type tokenInfo struct {
	Profile     string
	AccessToken string // secret: only ever handed to the publisher
	TokenType   string
	Scopes      []string
	ExpiresAt   time.Time // wall clock
	RefreshAt   time.Time // wall clock; zero when the provider gave no refresh_in
}

// session is the outcome of a sign-in or refresh: a token per profile.
type session struct {
	Account account
	Tokens  []tokenInfo
}

// codeInfo is a device code as far as the supervisor needs it. The device
// code itself stays inside the engine (it is a secret).
type codeInfo struct {
	UserCode, VerificationURI, VerificationURIComplete, Message string
	ExpiresAt                                                   time.Time // wall clock
	Interval                                                    time.Duration
	handle                                                      any // the engine's own value, given back to PollToken
}

// engine is what the supervisor needs of devicecode.
type engine interface {
	AcquireSilent(ctx context.Context) (*session, error)
	RequestCode(ctx context.Context) (*codeInfo, error)
	PollToken(ctx context.Context, c *codeInfo) (*session, error)
	SignOut(ctx context.Context) error
}

// agentState is the payload of <prefix>/state.
type agentState struct {
	State                                       string // starting, awaiting_user, signed_in, error
	UserCode, VerificationURI, VerificationURIC string
	ExpiresAt                                   time.Time
	Account                                     string
	Error                                       string
}

// publisher is what the supervisor needs of mqtt.
type publisher interface {
	PublishState(agentState) error
	PublishToken(t tokenInfo, a account) error
	ClearToken(profile string) error
	// SignOutRequests delivers a value per <prefix>/cmd/signout message.
	SignOutRequests() <-chan struct{}
	// Close publishes offline and disconnects.
	Close() error
}

// viewKind is what the display shows.
type viewKind int

const (
	viewStarting viewKind = iota
	viewWaitingForClock
	viewCode
	viewSignedIn
	viewDeclined // the user declined, or the code was not known
	viewIdle     // codes expired unused; waiting for a button press
	viewError    // a one-line reason in Message
	viewStopped
	viewNoNetwork // the provider cannot be reached; retrying
	viewBusy      // the provider answered 5xx or 429; retrying
)

var viewNames = [...]string{"starting", "waiting-for-clock", "code", "signed-in", "declined", "idle", "error", "stopped", "no-network", "busy"}

func (k viewKind) String() string { return viewNames[k] }

// view is one screen's content, converted to display.View in wire.go.
type view struct {
	Kind                                        viewKind
	UserCode, VerificationURI, VerificationURIC string
	ExpiresAt, Issued                           time.Time // code: the countdown; signed in: the token expiry
	Account                                     string
	Message                                     string
}

// screen is what the supervisor needs of display.
type screen interface {
	Show(view) error
}

// waker is a screen that dims when nobody looks; a button press wakes it.
type waker interface {
	Wake()
}

// pressed is called for every button press the supervisor takes: whatever
// the press then does, the person wants to see the screen.
func (s *supervisor) pressed() {
	if w, ok := s.scr.(waker); ok {
		w.Wake()
	}
}

// errClass sorts engine errors into what the supervisor does about them.
type errClass int

const (
	classTransient   errClass = iota // the network, a captive portal: retry with back-off
	classNeedsSignIn                 // no refresh token or it is dead: device code
	classConfig                      // tenant, client id, app registration: stop polling
	classPolicy                      // Conditional Access: stop polling
	classDeclined                    // the user said no
	classBadCode                     // the provider does not know the code
	classExpired                     // the code expired unused
	classClock                       // TLS says the certificate is not yet valid
	classOther                       // an error of no known class: retry with back-off, shown as an error
	classBusy                        // the provider answered 5xx, 429 or "temporarily unavailable": retry with back-off
)

// classifiedError carries an engine error with its class and a one-line
// reason fit for the display (no secrets).
type classifiedError struct {
	class  errClass
	reason string
	err    error
	// approved: the device code was approved (the refresh token is cached)
	// and fetching another profile's token failed. A new code would not
	// help; the cached sign-in goes on.
	approved bool
}

func (e *classifiedError) Error() string { return e.reason }
func (e *classifiedError) Unwrap() error { return e.err }

// classOf returns err's class and reason. An error the engine did not
// classify is classOther, as classify would make it: shown as an error,
// never as "No network".
func classOf(err error) (errClass, string) {
	var ce *classifiedError
	if errors.As(err, &ce) {
		return ce.class, ce.reason
	}
	return classOther, err.Error()
}

// supervisorOpts are the supervisor's knobs; zero fields take the defaults
// in defaultSupervisorOpts.
type supervisorOpts struct {
	MaxUnusedCodes int           // codes expiring unused in a row before idling; 0 = never idle
	IdleWait       time.Duration // long back-off: idle, config error, policy block
	DeclinedPause  time.Duration // after a declined or unknown code, before a new one
	RetryMin       time.Duration // first back-off after a transient error
	RetryMax       time.Duration // back-off cap
	RefreshMargin  time.Duration // refresh this long before expiry (at most half the lifetime)
	ClockPoll      time.Duration // how often to look at an implausible clock
	ClockFloor     time.Time     // earliest plausible wall-clock time
}

var defaultSupervisorOpts = supervisorOpts{
	MaxUnusedCodes: 3,
	IdleWait:       time.Hour,
	DeclinedPause:  20 * time.Second,
	RetryMin:       2 * time.Second,
	RetryMax:       5 * time.Minute,
	RefreshMargin:  5 * time.Minute, // MSAL treats a token as expired 5 minutes early
	ClockPoll:      time.Second,
}

type supervisor struct {
	eng    engine
	pub    publisher
	scr    screen
	clk    clock
	log    *slog.Logger
	button <-chan struct{} // nil without a button
	opts   supervisorOpts
	// jitter returns a random duration in [0, max); tests make it fixed.
	jitter func(max time.Duration) time.Duration
	// secret is told every access token, so the log redactor knows them.
	secret func(string)
	// trim, if set, runs at the agent's quiet moments, before it sleeps:
	// once tokens are published (until the next refresh), once a code is
	// shown (the first poll is an interval away) and when it goes idle
	// (memTrimmer.maybeTrim).
	trim func()

	sess       *session
	published  map[string]string // profile -> access token retained at the broker
	lastView   view
	screenFail bool
}

// wake says why a wait ended.
type wake int

const (
	wokeTimer wake = iota
	wokeSignOut
	wokeButton
	wokeCancel
)

// wait sleeps d on the monotonic clock unless ctx ends, a sign-out command
// or a button press comes first. Pending events win over an expired timer.
func (s *supervisor) wait(ctx context.Context, d time.Duration, interruptible bool) wake {
	var signout <-chan struct{}
	button := s.button
	if interruptible {
		signout = s.pub.SignOutRequests()
	} else {
		button = nil
	}
	select {
	case <-ctx.Done():
		return wokeCancel
	case <-signout:
		return wokeSignOut
	case <-button:
		s.pressed()
		return wokeButton
	default:
	}
	t := s.clk.After(d)
	select {
	case <-ctx.Done():
		return wokeCancel
	case <-signout:
		return wokeSignOut
	case <-button:
		s.pressed()
		return wokeButton
	case <-t:
		return wokeTimer
	}
}

// step is a state of the loop; it returns the next one.
type step func(ctx context.Context) step

// Run runs the loop until ctx ends, then shuts down cleanly: retained tokens
// cleared (nobody is left to clear them when they expire), a final View,
// offline published by Close. It returns nil on a clean shutdown.
func (s *supervisor) Run(ctx context.Context) error {
	s.fill()
	s.show(view{Kind: viewStarting})
	s.state(agentState{State: "starting"})
	next := s.waitClock
	for next != nil && ctx.Err() == nil {
		next = next(ctx)
	}
	s.shutdown()
	return nil
}

func (s *supervisor) fill() {
	d := defaultSupervisorOpts
	o := &s.opts
	if o.IdleWait <= 0 {
		o.IdleWait = d.IdleWait
	}
	if o.DeclinedPause <= 0 {
		o.DeclinedPause = d.DeclinedPause
	}
	if o.RetryMin <= 0 {
		o.RetryMin = d.RetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = d.RetryMax
	}
	if o.RefreshMargin <= 0 {
		o.RefreshMargin = d.RefreshMargin
	}
	if o.ClockPoll <= 0 {
		o.ClockPoll = d.ClockPoll
	}
	if o.ClockFloor.IsZero() {
		o.ClockFloor = plausibleAfter
	}
	if s.jitter == nil {
		s.jitter = func(time.Duration) time.Duration { return 0 }
	}
	if s.secret == nil {
		s.secret = func(string) {}
	}
	if s.published == nil {
		s.published = map[string]string{}
	}
}

// waitClock holds everything until the wall clock is plausible: expiry
// times would be nonsense and TLS would fail with "not yet valid".
func (s *supervisor) waitClock(ctx context.Context) step {
	if clockPlausible(s.clk.Now(), s.opts.ClockFloor) {
		return s.silent
	}
	s.log.Warn("waiting for the clock", "now", s.clk.Now().UTC().Format(time.RFC3339), "want_after", s.opts.ClockFloor.UTC().Format(time.RFC3339))
	s.show(view{Kind: viewWaitingForClock, Message: "waiting for the clock (NTP)"})
	for !clockPlausible(s.clk.Now(), s.opts.ClockFloor) {
		if s.wait(ctx, s.opts.ClockPoll, false) == wokeCancel {
			return nil
		}
	}
	s.log.Info("clock set", "now", s.clk.Now().UTC().Format(time.RFC3339))
	return s.silent
}

// silent tries the cached refresh token first (step 1).
func (s *supervisor) silent(ctx context.Context) step {
	return s.silentAttempt(ctx, 0)
}

func (s *supervisor) silentAttempt(ctx context.Context, attempt int) step {
	sess, err := s.eng.AcquireSilent(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err == nil && sess == nil {
		err = &classifiedError{class: classNeedsSignIn, reason: "no account cached"}
	}
	if err == nil {
		s.log.Info("signed in silently", "account", sess.Account.Username)
		s.sess = sess
		return s.signedIn
	}
	class, reason := classOf(err)
	switch class {
	case classNeedsSignIn:
		s.log.Info("sign-in needed", "reason", reason)
		s.clearTokens()
		return s.deviceCode
	case classConfig, classPolicy:
		return s.blocked(class, reason)
	default:
		return s.retry(ctx, attempt, class, reason, func(ctx context.Context) step { return s.silentAttempt(ctx, attempt+1) })
	}
}

// retry shows a transient problem and backs off before again. The curve
// doubles from RetryMin to RetryMax; the actual delay is drawn from the
// upper half so that many boards behind one broken proxy do not retry in
// step.
func (s *supervisor) retry(ctx context.Context, attempt int, class errClass, reason string, again step) step {
	d := backoff(attempt, s.opts.RetryMin, s.opts.RetryMax)
	d = d/2 + s.jitter(d/2+1)
	s.log.Warn("retrying", "reason", reason, "in", d.Round(time.Millisecond).String(), "attempt", attempt+1)
	s.show(view{Kind: troubleView(class), Message: reason})
	s.state(agentState{State: "error", Error: reason})
	switch s.wait(ctx, d, true) {
	case wokeCancel:
		return nil
	case wokeSignOut:
		return s.signOut
	}
	return again
}

// troubleView is the screen for a problem that retrying may fix.
func troubleView(c errClass) viewKind {
	switch c {
	case classTransient:
		return viewNoNetwork
	case classClock:
		return viewWaitingForClock
	case classBusy:
		return viewBusy
	}
	return viewError
}

func backoff(attempt int, min, max time.Duration) time.Duration {
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// blocked shows a configuration error or a policy block and stops asking
// the provider: nothing changes until a person fixes the app registration,
// the configuration or the policy. It tries again after IdleWait, on a
// sign-out command or a button press.
func (s *supervisor) blocked(class errClass, reason string) step {
	what := "configuration error"
	if class == classPolicy {
		what = "blocked by policy"
	}
	s.log.Error(what, "reason", reason, "retry_in", s.opts.IdleWait.String())
	s.clearTokens()
	s.show(view{Kind: viewError, Message: reason})
	s.state(agentState{State: "error", Error: reason})
	return func(ctx context.Context) step {
		switch s.wait(ctx, s.opts.IdleWait, true) {
		case wokeCancel:
			return nil
		case wokeSignOut:
			return s.signOut
		}
		return s.silent
	}
}

// deviceCode runs step 2 and 3: codes until one is approved.
func (s *supervisor) deviceCode(ctx context.Context) step {
	// unused: codes expired unused in a row (the idle cap); attempt: failed
	// code requests in a row; failed: codes in a row that polling ended
	// with an error of no other class (back-off across codes).
	unused, attempt, failed := 0, 0, 0
	for ctx.Err() == nil {
		code, err := s.eng.RequestCode(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			class, reason := classOf(err)
			if class == classConfig || class == classPolicy {
				return s.blocked(class, reason)
			}
			d := backoff(attempt, s.opts.RetryMin, s.opts.RetryMax)
			d = d/2 + s.jitter(d/2+1)
			attempt++
			s.log.Warn("device code request failed", "reason", reason, "retry_in", d.Round(time.Millisecond).String())
			s.show(view{Kind: troubleView(class), Message: reason})
			s.state(agentState{State: "error", Error: reason})
			if w := s.wait(ctx, d, true); w == wokeCancel {
				return nil
			} else if w == wokeSignOut {
				return s.signOut
			}
			continue
		}
		attempt = 0
		s.log.Info("device code", "user_code", code.UserCode, "verification_uri", code.VerificationURI,
			"expires_at", code.ExpiresAt.UTC().Format(time.RFC3339))
		s.show(view{Kind: viewCode, UserCode: code.UserCode, VerificationURI: code.VerificationURI,
			VerificationURIC: code.VerificationURIComplete, ExpiresAt: code.ExpiresAt, Issued: s.clk.Now()})
		s.state(agentState{State: "awaiting_user", UserCode: code.UserCode, VerificationURI: code.VerificationURI,
			VerificationURIC: code.VerificationURIComplete, ExpiresAt: code.ExpiresAt})
		if s.trim != nil {
			s.trim() // a quiet moment: the first poll is an interval away
		}

		sess, interrupted, err := s.poll(ctx, code)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case interrupted == wokeSignOut:
			// The approval may have come first and been cached: forget it.
			return s.signOut
		case interrupted == wokeButton:
			// A new code, unless the approval came first: then the cache
			// has the sign-in, and silent finds it.
			s.log.Info("button pressed: a new code")
			return s.silent
		case err == nil:
			s.log.Info("signed in", "account", sess.Account.Username)
			s.sess = sess
			return s.signedIn
		}
		class, reason := classOf(err)
		if ce := (*classifiedError)(nil); errors.As(err, &ce) && ce.approved {
			return s.approvedButFailed(ctx, class, reason)
		}
		switch class {
		case classExpired:
			failed = 0
			unused++
			s.log.Info("code expired unused", "in_a_row", unused)
			if s.opts.MaxUnusedCodes > 0 && unused >= s.opts.MaxUnusedCodes {
				if !s.idle(ctx, unused) {
					return nil
				}
				unused = 0
			}
		case classDeclined, classBadCode:
			s.log.Warn("code refused", "reason", reason)
			unused, failed = 0, 0
			s.show(view{Kind: viewDeclined, Message: reason})
			s.state(agentState{State: "error", Error: reason})
			switch s.wait(ctx, s.opts.DeclinedPause, true) {
			case wokeCancel:
				return nil
			}
		case classConfig, classPolicy:
			return s.blocked(class, reason)
		default:
			// The engine retries transport errors itself while the code is
			// valid; what comes out here ended this code: an error reply of
			// no known class, or a provider answering a poll with
			// invalid_grant. The back-off grows across codes, so a provider
			// that fails every code does not get a new request every
			// RetryMin.
			d := backoff(failed, s.opts.RetryMin, s.opts.RetryMax)
			d = d/2 + s.jitter(d/2+1)
			failed++
			s.log.Warn("polling failed", "reason", reason, "retry_in", d.Round(time.Millisecond).String(), "in_a_row", failed)
			s.show(view{Kind: troubleView(class), Message: reason})
			s.state(agentState{State: "error", Error: reason})
			switch s.wait(ctx, d, true) {
			case wokeCancel:
				return nil
			case wokeSignOut:
				return s.signOut
			case wokeButton:
				failed = 0
			}
		}
	}
	return nil
}

// approvedButFailed handles a device code that was approved when fetching
// another profile's token then failed. The refresh token is cached, so a
// new code would only make the person sign in again for the same result:
// a transient failure goes on from the cache with back-off; a refusal of
// that profile (its scopes, consent, a policy) stops polling like a
// configuration error, since signing in again cannot fix it.
func (s *supervisor) approvedButFailed(ctx context.Context, class errClass, reason string) step {
	s.log.Warn("signed in, but a token could not be fetched", "reason", reason)
	switch class {
	case classConfig, classPolicy:
		return s.blocked(class, reason)
	case classNeedsSignIn:
		return s.blocked(classConfig, reason)
	}
	return s.retry(ctx, 0, class, reason, func(ctx context.Context) step { return s.silentAttempt(ctx, 1) })
}

// poll runs PollToken, cut short by a sign-out command or a button press
// (both ask for a fresh code).
func (s *supervisor) poll(ctx context.Context, code *codeInfo) (*session, wake, error) {
	pctx, cancel := context.WithCancel(ctx)
	var (
		why  = wokeTimer
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-s.pub.SignOutRequests():
			why = wokeSignOut
			cancel()
		case <-s.button:
			why = wokeButton
			cancel()
		case <-done:
		}
	}()
	sess, err := s.eng.PollToken(pctx, code)
	close(done)
	wg.Wait()
	cancel()
	if why == wokeButton {
		s.pressed() // here, not in the watcher: the screen is the loop's
	}
	return sess, why, err
}

// idle waits after MaxUnusedCodes codes expired unused in a row: nobody is
// looking at the board, so it stops asking the provider until a person
// presses the button, sends a sign-out command, or IdleWait has passed.
func (s *supervisor) idle(ctx context.Context, unused int) bool {
	msg := fmt.Sprintf("%d codes expired unused: press the button for a new code", unused)
	s.log.Warn("idle", "codes_unused", unused, "next_code_in", s.opts.IdleWait.String())
	s.show(view{Kind: viewIdle, Message: msg})
	s.state(agentState{State: "error", Error: msg})
	if s.trim != nil {
		s.trim() // a quiet moment: nothing runs until a press or IdleWait
	}
	return s.wait(ctx, s.opts.IdleWait, true) != wokeCancel
}

// signedIn publishes the tokens (step 4) and sleeps until a refresh is due.
func (s *supervisor) signedIn(ctx context.Context) step {
	sess := s.sess
	s.publishTokens()
	var expiry time.Time
	for _, t := range sess.Tokens {
		if expiry.IsZero() || t.ExpiresAt.Before(expiry) {
			expiry = t.ExpiresAt
		}
	}
	s.show(view{Kind: viewSignedIn, Account: sess.Account.Username, ExpiresAt: expiry})
	s.state(agentState{State: "signed_in", Account: sess.Account.Username})
	if s.trim != nil {
		s.trim()
	}
	return s.refreshing(0)
}

// publishTokens publishes the session's tokens that the broker does not
// have yet.
func (s *supervisor) publishTokens() {
	for _, t := range s.sess.Tokens {
		s.secret(t.AccessToken)
		if s.published[t.Profile] == t.AccessToken {
			continue // the engine handed out its cached token: nothing new
		}
		if err := s.pub.PublishToken(t, s.sess.Account); err != nil {
			s.log.Warn("cannot publish token", "profile", t.Profile, "err", err)
		}
		// Published or not, mqtt keeps it as the profile's latest value
		// and sends it when it can: a sign-out must clear it either way.
		s.published[t.Profile] = t.AccessToken
	}
}

// refreshDue is when the first token of toks should be refreshed, and how
// much slack is left after that before it expires: at RefreshAt when the
// provider sent refresh_in, else RefreshMargin before expiry (the engine
// hands out its cached token until then), but half way through a lifetime
// shorter than twice the margin.
func refreshDue(now time.Time, toks []tokenInfo, margin time.Duration) (due time.Time, slack time.Duration) {
	for _, t := range toks {
		d := t.RefreshAt
		if d.IsZero() || !d.Before(t.ExpiresAt) {
			m := margin
			if half := max(t.ExpiresAt.Sub(now)/2, 0); half < m {
				m = half
			}
			d = t.ExpiresAt.Add(-m)
		}
		if due.IsZero() || d.Before(due) {
			due, slack = d, t.ExpiresAt.Sub(d)
		}
	}
	return due, slack
}

// refreshing sleeps until the refresh is due (wall-clock due time turned
// into a monotonic duration once), then refreshes. A transient failure
// retries with back-off; a token that expires meanwhile is cleared from
// MQTT so no consumer reads a dead token.
func (s *supervisor) refreshing(attempt int) step {
	return func(ctx context.Context) step {
		now := s.clk.Now()
		var d time.Duration
		if attempt == 0 {
			due, slack := refreshDue(now, s.sess.Tokens, s.opts.RefreshMargin)
			// Refresh up to a quarter of the slack late (never before the
			// engine would refresh) so a fleet spreads out.
			d = due.Sub(now) + s.jitter(slack/4+1)
		} else {
			d = backoff(attempt-1, s.opts.RetryMin, s.opts.RetryMax)
			d = d/2 + s.jitter(d/2+1)
			// Wake at the first expiry to clear that token.
			// (A token already past expiry whose clearing failed does not
			// cut the wait to nothing: expireTokens tries again after it.)
			for _, t := range s.sess.Tokens {
				if s.published[t.Profile] != "" {
					if left := t.ExpiresAt.Sub(now); left > 0 && left < d {
						d = left
					}
				}
			}
		}
		if d < 0 {
			d = 0
		}
		s.log.Debug("next refresh", "in", d.Round(time.Millisecond).String(), "attempt", attempt)
		switch s.wait(ctx, d, true) {
		case wokeCancel:
			return nil
		case wokeSignOut:
			return s.signOut
		case wokeButton:
			if attempt == 0 {
				return s.signedIn // a short press shows the status again
			}
		}
		s.expireTokens()
		sess, err := s.eng.AcquireSilent(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			s.sess = sess
			if due, _ := refreshDue(s.clk.Now(), sess.Tokens, s.opts.RefreshMargin); !due.After(s.clk.Now()) {
				// Still due: the engine handed back a cached token because
				// the early refresh its refresh_in asked for failed (it
				// logs why at debug), and the token is still good. Publish
				// what did change and back off, instead of asking again at
				// once until the token nears expiry.
				s.publishTokens()
				s.log.Warn("refresh failed, the cached token is still valid; retrying", "attempt", attempt+1)
				return s.refreshing(attempt + 1)
			}
			s.log.Info("refreshed", "account", sess.Account.Username)
			return s.signedIn
		}
		class, reason := classOf(err)
		switch class {
		case classNeedsSignIn:
			s.log.Warn("refresh token no longer valid: sign in again", "reason", reason)
			s.clearTokens()
			return s.deviceCode
		case classConfig, classPolicy:
			return s.blocked(class, reason)
		}
		s.log.Warn("refresh failed, retrying", "reason", reason, "attempt", attempt+1)
		return s.refreshing(attempt + 1)
	}
}

// expireTokens clears every retained token whose expiry has passed.
func (s *supervisor) expireTokens() {
	if s.sess == nil {
		return
	}
	now := s.clk.Now()
	for _, t := range s.sess.Tokens {
		if s.published[t.Profile] != "" && !now.Before(t.ExpiresAt) {
			s.log.Warn("token expired before a refresh succeeded: cleared", "profile", t.Profile)
			s.clear(t.Profile)
		}
	}
}

// signOut forgets the account (cache and retained tokens) and starts over.
func (s *supervisor) signOut(ctx context.Context) step {
	s.log.Info("sign-out command")
	s.clearTokens()
	if err := s.eng.SignOut(ctx); err != nil {
		s.log.Warn("sign-out: cannot remove the cache", "err", err)
	}
	s.sess = nil
	return s.deviceCode
}

func (s *supervisor) clearTokens() {
	for p := range s.published {
		s.clear(p)
	}
}

func (s *supervisor) clear(profile string) {
	if err := s.pub.ClearToken(profile); err != nil {
		s.log.Warn("cannot clear token", "profile", profile, "err", err)
		return
	}
	delete(s.published, profile)
}

func (s *supervisor) shutdown() {
	s.log.Info("shutting down")
	s.clearTokens()
	s.show(view{Kind: viewStopped, Message: "boardlogin stopped"})
	if err := s.pub.Close(); err != nil {
		s.log.Warn("mqtt close", "err", err)
	}
}

func (s *supervisor) show(v view) {
	s.lastView = v
	if err := s.scr.Show(v); err != nil {
		// A broken display must not stop the agent: say it once.
		if !s.screenFail {
			s.log.Warn("display failed; continuing without it", "err", err)
		}
		s.screenFail = true
		return
	}
	s.screenFail = false
}

func (s *supervisor) state(st agentState) {
	if err := s.pub.PublishState(st); err != nil {
		s.log.Warn("cannot publish state", "state", st.State, "err", err)
	}
}
