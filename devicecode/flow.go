package devicecode

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/tokencache"
)

// Grant types.
const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	grantRefresh    = "refresh_token"
)

// Backoff for transient poll failures: 2 s doubling to 60 s, each delay
// drawn from [d/2, d] (jitter, so boards that lost the network together do
// not come back in lockstep), never shorter than the interval in force nor
// than Retry-After.
const (
	backoffBase = 2 * time.Second
	backoffCap  = 60 * time.Second
)

// RequestCode sends the device authorization request (RFC 8628 §3.1) for
// the first profile's scopes plus openid, profile and offline_access.
func (c *Client) RequestCode(ctx context.Context) (*DeviceCode, error) {
	ep, err := c.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	p := c.profiles[0]
	scopes := scopeString(p.Scopes)
	body := appendForm(nil, "client_id", c.cfg.ClientID)
	body = appendForm(body, "scope", scopes)
	sent := c.clock.Now()
	r, err := c.post(ctx, "device authorization", ep.device, body)
	if err != nil {
		return nil, err
	}
	defer r.release()
	if r.status != http.StatusOK {
		return nil, serviceError(&r)
	}
	d, err := ParseDeviceAuthReply(r.body)
	if err != nil {
		return nil, err
	}
	return &DeviceCode{
		UserCode:                d.UserCode,
		VerificationURI:         d.VerificationURI,
		VerificationURIComplete: d.VerificationURIComplete,
		Message:                 d.Message,
		ExpiresAt:               sent.Add(d.ExpiresIn),
		Interval:                d.Interval,
		deviceCode:              d.DeviceCode,
		issuedAt:                c.clock.Now(),
		tokenURL:                ep.tokenURL,
		scopes:                  scopes,
		profile:                 p.Name,
	}, nil
}

// endError ends one device code: the sentinel for errors.Is, the reply for
// errors.As.
type endError struct {
	sentinel error
	reply    *ServiceError
}

func (e *endError) Error() string {
	s := e.sentinel.Error()
	if e.reply != nil {
		s += " (" + e.reply.Code
		if len(e.reply.ErrorCodes) > 0 {
			s += " AADSTS" + strconv.Itoa(e.reply.ErrorCodes[0])
		}
		if e.reply.TraceID != "" {
			s += ", trace id " + firstLine(e.reply.TraceID)
		}
		s += ")"
	}
	return s
}

func (e *endError) Unwrap() []error {
	if e.reply == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.reply}
}

// pollOutcome classifies one poll reply.
type pollOutcome int

const (
	pollPending pollOutcome = iota
	pollSlowDown
	pollRetry // transient: back off
	pollDone  // token or final error
)

// PollToken polls the token endpoint for dc (RFC 8628 §3.4-3.5) until the
// user approves (the token for the first profile is returned, and the
// sign-in cached once), declines (ErrDeclined), the code dies (ErrExpired,
// ErrBadCode), another error ends it (a *ServiceError), or ctx is done
// (ctx.Err(), at once). Nothing is written to the cache while polling.
func (c *Client) PollToken(ctx context.Context, dc *DeviceCode) (*Token, error) {
	if dc == nil || dc.deviceCode == "" {
		return nil, errors.New("devicecode: PollToken needs a DeviceCode from RequestCode")
	}
	ep, err := c.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	if ep.tokenURL != dc.tokenURL {
		return nil, errors.New("devicecode: the device code belongs to another token endpoint; request a new one")
	}
	body := appendForm(nil, "grant_type", grantDeviceCode)
	body = appendForm(body, "client_id", c.cfg.ClientID)
	body = appendForm(body, "device_code", dc.deviceCode)
	if c.entra {
		body = appendForm(body, "client_info", "1")
	}

	interval := dc.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	// RFC 8628 §3.5: wait at least interval before each poll, the first
	// one included.
	next := dc.issuedAt.Add(interval)
	failures := 0
	var lastErr error
	rc := reqCtx{parent: ctx}
	defer rc.close()
	for {
		now := c.clock.Now()
		for now.Before(next) { // a loop: a clock that wakes early must not make us poll early
			if err := c.clock.Sleep(ctx, next.Sub(now)); err != nil {
				return nil, err
			}
			now = c.clock.Now()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// No poll once the code is dead (deadline from the request send).
		if !now.Before(dc.ExpiresAt) {
			return nil, expiredAfter(lastErr)
		}
		sent := now
		tok, outcome, err := c.pollOnce(ctx, &rc, ep, body, dc, sent)
		// The next wait counts from when this poll ended, not from when it
		// was sent: the server read it somewhere in between, and a poll
		// that had to dial a new connection reaches it late. Counting from
		// the send would let the following poll, on the warm connection,
		// arrive sooner than the interval after it (RFC 8628 §3.5 is about
		// the gap the server sees). The cost is one round trip per poll.
		ended := c.clock.Now()
		switch outcome {
		case pollDone:
			return tok, err
		case pollPending:
			failures = 0
			next = ended.Add(interval)
		case pollSlowDown:
			// RFC 8628 §3.5: add 5 s to this and all later polls.
			failures = 0
			interval += 5 * time.Second
			next = ended.Add(interval)
		case pollRetry:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = err
			failures++
			// The earliest the next poll may go: the interval, and the
			// server's Retry-After when it sent one.
			floor := ended.Add(interval)
			if ra := retryAfter(err, ended); ended.Add(ra).After(floor) {
				floor = ended.Add(ra)
			}
			next = ended.Add(max(backoff(failures-1), interval))
			if floor.After(next) {
				next = floor
			}
			if !next.Before(dc.ExpiresAt) && floor.Before(dc.ExpiresAt) {
				// The back-off would outlast the code, which may be
				// approved already: one last poll an interval before it
				// expires (or as soon after as the floor allows), rather
				// than giving up with time left.
				next = dc.ExpiresAt.Add(-interval)
				if floor.After(next) {
					next = floor
				}
			}
			c.logf("devicecode: poll failed, retrying in %s: %v", next.Sub(ended).Round(time.Second), err)
		}
		if !next.Before(dc.ExpiresAt) {
			return nil, expiredAfter(lastErr)
		}
	}
}

func expiredAfter(last error) error {
	if last == nil {
		return ErrExpired
	}
	return fmt.Errorf("%w; last poll error: %w", ErrExpired, last)
}

// backoff returns the n-th retry delay: base·2ⁿ capped, jittered into
// [d/2, d].
func backoff(n int) time.Duration {
	d := backoffCap
	if n < 6 {
		d = min(backoffBase<<n, backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After (seconds or HTTP date) from a ServiceError.
func retryAfter(err error, now time.Time) time.Duration {
	var se *ServiceError
	if !errors.As(err, &se) || se.RetryAfter == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(se.RetryAfter)); err == nil {
		return time.Duration(min(max(n, 0), 3600)) * time.Second
	}
	if t, err := http.ParseTime(se.RetryAfter); err == nil {
		return min(max(t.Sub(now), 0), time.Hour)
	}
	return 0
}

// pollOnce sends one poll and classifies the reply. A pending reply is
// recognised without allocating.
func (c *Client) pollOnce(ctx context.Context, rc *reqCtx, ep *resolved, body []byte, dc *DeviceCode, sent time.Time) (*Token, pollOutcome, error) {
	r, err := c.postCtx(ctx, rc.start(c.cfg.RequestTimeout), "token", ep.token, body)
	rc.stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, pollDone, ctx.Err()
		}
		return nil, pollRetry, err
	}
	defer r.release()
	if r.status == http.StatusOK {
		tr, err := ParseTokenReply(r.body)
		if err != nil {
			// An OAuth error with 200 is the provider's word; anything
			// else (a captive portal's page, garbage) came from something
			// in the way, and the code is still good: retry.
			return c.classify(tokenError(&r, err))
		}
		tok, err := c.signedIn(tr, dc, sent)
		return tok, pollDone, err
	}
	if isJSON(r.contentType, r.body) && r.status == http.StatusBadRequest {
		if code, ok := errorField(r.body); ok {
			switch string(code) {
			case "authorization_pending":
				return nil, pollPending, nil
			case "slow_down":
				return nil, pollSlowDown, nil
			}
		}
	}
	return c.classify(tokenError(&r, nil))
}

// classify maps a failed poll to its outcome: an OAuth error by §3.5, an
// unexpected reply (retried) or a final error.
func (c *Client) classify(err error) (*Token, pollOutcome, error) {
	if se, ok := err.(*ServiceError); ok {
		return c.pollError(se)
	}
	if IsTransient(err) {
		return nil, pollRetry, err
	}
	return nil, pollDone, err
}

// pollError maps an error reply to the §3.5 outcome.
func (c *Client) pollError(se *ServiceError) (*Token, pollOutcome, error) {
	switch se.Code {
	case "authorization_pending":
		return nil, pollPending, nil
	case "slow_down":
		return nil, pollSlowDown, nil
	case "authorization_declined", "access_denied":
		if IsBlockedByPolicy(se) {
			// Entra says access_denied for a Conditional Access or
			// security defaults block too: not the user's no, and a
			// new code would only be blocked again.
			return nil, pollDone, se
		}
		return nil, pollDone, &endError{ErrDeclined, se}
	case "bad_verification_code":
		return nil, pollDone, &endError{ErrBadCode, se}
	case "expired_token", "code_expired":
		return nil, pollDone, &endError{ErrExpired, se}
	}
	if IsTransient(se) {
		return nil, pollRetry, se
	}
	return nil, pollDone, se
}

// signedIn stores a device code grant's result and writes the cache once.
func (c *Client) signedIn(tr TokenReply, dc *DeviceCode, sent time.Time) (*Token, error) {
	if tr.RefreshToken == "" {
		c.logf("devicecode: the provider sent no refresh token; silent refresh will not work")
	}
	c.sem <- struct{}{}
	defer c.unlock()
	c.loaded = true
	c.account, c.refresh, c.idToken = Account{}, "", ""
	c.tokens = map[string]*Token{}
	tok := c.storeLocked(tr, dc.profile, dc.scopes, sent)
	c.saveLocked()
	out := *tok
	return &out, nil
}

// storeLocked turns a token reply into the profile's Token and updates the
// sign-in state: the rotated refresh token replaces the old one (which is
// kept only when the reply has none), a new id token updates the account.
func (c *Client) storeLocked(tr TokenReply, profile, requested string, sent time.Time) *Token {
	if tr.RefreshToken != "" {
		c.refresh = tr.RefreshToken
	}
	if tr.IDToken != "" {
		c.idToken = tr.IDToken
		if a, err := ParseIDTokenClaims(tr.IDToken); err == nil {
			home := c.account.HomeAccountID
			c.account = a
			c.account.HomeAccountID = home
		} else {
			c.logf("%v", err)
		}
	}
	if tr.ClientInfo != "" {
		if h, err := ParseClientInfo(tr.ClientInfo); err == nil {
			c.account.HomeAccountID = h
		} else {
			c.logf("%v", err)
		}
	}
	life := tr.ExpiresIn
	if life <= 0 {
		life = time.Hour // RFC 6749 §5.1: expires_in is only recommended
	}
	t := &Token{
		AccessToken:  tr.AccessToken,
		RefreshToken: c.refresh,
		IDToken:      c.idToken,
		TokenType:    tr.TokenType,
		Scopes:       strings.Fields(tr.Scope),
		ExpiresAt:    sent.Add(life),
		Account:      c.account,
		Profile:      profile,
	}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	if len(t.Scopes) == 0 {
		// RFC 6749 §5.1: scope may be left out when it is what was asked.
		t.Scopes = strings.Fields(requested)
	}
	if tr.RefreshIn > 0 {
		t.RefreshAt = sent.Add(tr.RefreshIn)
	}
	c.tokens[profile] = t
	return t
}

// AcquireSilent returns a valid access token for the named profile without
// user interaction: the cached one while it is more than ExpiryMargin from
// expiry (and its refresh_in has not passed), else a new one from the
// refresh token, with that profile's scopes. When an early refresh (after
// refresh_in) fails while the cached token is still valid, the cached token
// is returned, as MSAL does. NeedsSignIn(err) reports when only a new device
// code sign-in can help; the cache is written after each successful refresh.
func (c *Client) AcquireSilent(ctx context.Context, profile string) (*Token, error) {
	p, err := c.profile(profile)
	if err != nil {
		return nil, err
	}
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	if err := c.loadLocked(ctx); err != nil {
		return nil, err
	}
	now := c.clock.Now()
	cached := c.tokens[profile]
	if cached.Valid(now) && (cached.RefreshAt.IsZero() || now.Before(cached.RefreshAt)) {
		out := *cached
		out.RefreshToken, out.IDToken = c.refresh, c.idToken
		return &out, nil
	}
	if c.refresh == "" {
		return nil, errNoSignIn
	}
	t, err := c.refreshLocked(ctx, p)
	if err != nil {
		if cached.Valid(now) && ctx.Err() == nil {
			// An early refresh (refresh_in) failed but the token is still
			// good: hand it out, as MSAL does, and try again next time.
			c.logf("devicecode: early refresh of %q failed, using the cached token: %v", profile, err)
			out := *cached
			out.RefreshToken, out.IDToken = c.refresh, c.idToken
			return &out, nil
		}
		return nil, err
	}
	out := *t
	return &out, nil
}

// Refresh gets a new access token for the profile with the refresh token
// even when the cached one is still valid (for a scheduler that refreshes
// ahead of expiry).
func (c *Client) Refresh(ctx context.Context, profile string) (*Token, error) {
	p, err := c.profile(profile)
	if err != nil {
		return nil, err
	}
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	if err := c.loadLocked(ctx); err != nil {
		return nil, err
	}
	if c.refresh == "" {
		return nil, errNoSignIn
	}
	t, err := c.refreshLocked(ctx, p)
	if err != nil {
		return nil, err
	}
	out := *t
	return &out, nil
}

// refreshLocked runs the refresh grant for one profile.
func (c *Client) refreshLocked(ctx context.Context, p Profile) (*Token, error) {
	ep, err := c.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	body := appendForm(nil, "grant_type", grantRefresh)
	body = appendForm(body, "client_id", c.cfg.ClientID)
	body = appendForm(body, "refresh_token", c.refresh)
	scopes := scopeString(p.Scopes)
	body = appendForm(body, "scope", scopes)
	if c.entra {
		body = appendForm(body, "client_info", "1")
	}
	sent := c.clock.Now()
	r, err := c.post(ctx, "token", ep.token, body)
	if err != nil {
		return nil, err
	}
	defer r.release()
	if r.status != http.StatusOK {
		return nil, tokenError(&r, nil)
	}
	tr, err := ParseTokenReply(r.body)
	if err != nil {
		// A captive portal's page or garbage is transient: the refresh
		// token was not used up, keep it and retry.
		return nil, tokenError(&r, err)
	}
	t := c.storeLocked(tr, p.Name, scopes, sent)
	c.saveLocked()
	return t, nil
}

// plausible: a wall clock before 2024 has not been set (no RTC, no NTP yet).
var plausibleSince = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// loadLocked reads the cache once. A corrupt or foreign cache is logged and
// ignored (the user signs in again); an insecure one is an error to fix.
func (c *Client) loadLocked(ctx context.Context) error {
	if c.loaded || c.cfg.Cache == nil {
		c.loaded = true
		return nil
	}
	s, err := c.cfg.Cache.Load()
	if err != nil {
		if errors.Is(err, tokencache.ErrCorrupt) || errors.Is(err, tokencache.ErrUnknownVersion) {
			c.logf("devicecode: ignoring the token cache: %v", err)
			c.loaded = true
			return nil
		}
		return fmt.Errorf("devicecode: token cache: %w", err)
	}
	if s == nil {
		c.loaded = true
		return nil
	}
	ep, err := c.endpoints(ctx)
	if err != nil {
		return err // discovery failed: try again on the next call
	}
	c.loaded = true
	if s.ClientID != c.cfg.ClientID || s.Authority != ep.tokenURL {
		c.logf("devicecode: ignoring the token cache: it belongs to another client id or authority")
		return nil
	}
	c.applySnapshot(s)
	return nil
}

// applySnapshot converts wall-clock expiry back onto the injected clock.
func (c *Client) applySnapshot(s *tokencache.Snapshot) {
	now := c.clock.Now()
	wallOK := !now.Before(plausibleSince)
	c.account = Account(s.Account)
	c.refresh = s.RefreshToken
	for name, at := range s.AccessTokens {
		t := &Token{
			AccessToken: at.Token,
			TokenType:   at.TokenType,
			Scopes:      at.Scopes,
			Account:     c.account,
			Profile:     name,
		}
		if wallOK && !at.ExpiresAt.Before(plausibleSince) {
			// now carries the monotonic reading; Sub between a wall time
			// and now uses the wall clock, once, here.
			t.ExpiresAt = now.Add(at.ExpiresAt.Sub(now))
			if !at.RefreshAt.IsZero() {
				t.RefreshAt = now.Add(at.RefreshAt.Sub(now))
			}
		} else {
			t.ExpiresAt = now // clock not set: count it expired, refresh
		}
		c.tokens[name] = t
	}
}

// saveLocked writes the snapshot; an error is logged, not fatal: the tokens
// are still good in memory.
func (c *Client) saveLocked() {
	if c.cfg.Cache == nil {
		return
	}
	s := c.snapshotLocked()
	if _, err := c.cfg.Cache.Save(s); err != nil {
		c.logf("devicecode: could not write the token cache: %v", err)
	}
}

func (c *Client) snapshotLocked() *tokencache.Snapshot {
	now := c.clock.Now()
	wall := time.Unix(now.Unix(), int64(now.Nanosecond())) // wall reading only
	tokenURL := ""
	c.epMu.Lock()
	if c.ep != nil {
		tokenURL = c.ep.tokenURL
	}
	c.epMu.Unlock()
	s := &tokencache.Snapshot{
		ClientID:     c.cfg.ClientID,
		Authority:    tokenURL,
		Account:      tokencache.Account(c.account),
		RefreshToken: c.refresh,
		AccessTokens: make(map[string]tokencache.AccessToken, len(c.tokens)),
	}
	for name, t := range c.tokens {
		at := tokencache.AccessToken{
			Token:     t.AccessToken,
			TokenType: t.TokenType,
			Scopes:    t.Scopes,
			ExpiresAt: wall.Add(t.ExpiresAt.Sub(now)).Truncate(time.Second).UTC(),
		}
		if !t.RefreshAt.IsZero() {
			at.RefreshAt = wall.Add(t.RefreshAt.Sub(now)).Truncate(time.Second).UTC()
		}
		s.AccessTokens[name] = at
	}
	return s
}

// endpoints returns the resolved endpoints, running OIDC discovery for an
// Issuer authority once.
func (c *Client) endpoints(ctx context.Context) (*resolved, error) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	if c.ep != nil {
		return c.ep, nil
	}
	r, err := c.get(ctx, "discovery", c.cfg.Authority.discoveryURL())
	if err != nil {
		return nil, err
	}
	defer r.release()
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("devicecode: discovery at %s: %w", c.cfg.Authority.discoveryURL(), serviceError(&r))
	}
	ep, err := ParseDiscovery(r.body)
	if err != nil {
		return nil, err
	}
	res, err := parseEndpoints(ep)
	if err != nil {
		return nil, err
	}
	c.entra = c.entra || isEntraHost(res.token.Hostname())
	c.ep = res
	return res, nil
}

// ParseDiscovery reads the endpoints from an OpenID Connect discovery
// document (or RFC 8414 metadata).
func ParseDiscovery(body []byte) (Endpoints, error) {
	var ep Endpoints
	s := newObjScanner(body)
	for {
		k, v, ok := s.next()
		if !ok {
			break
		}
		switch string(k) {
		case "device_authorization_endpoint":
			ep.DeviceAuthorizationURL, _ = jsonString(v)
		case "token_endpoint":
			ep.TokenURL, _ = jsonString(v)
		}
	}
	if s.err != nil {
		return Endpoints{}, errors.New("devicecode: discovery document is not a JSON object")
	}
	if ep.DeviceAuthorizationURL == "" {
		return Endpoints{}, errors.New("devicecode: the provider's discovery document has no device_authorization_endpoint: it does not support the device code flow, or set the endpoints explicitly")
	}
	if ep.TokenURL == "" {
		return Endpoints{}, errors.New("devicecode: the provider's discovery document has no token_endpoint")
	}
	return ep, nil
}
