package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/boardlogin/boardlogin/devicecode"
)

// engineAdapter gives the supervisor one session over every profile of a
// devicecode.Client, and sorts its errors into classes.
type engineAdapter struct {
	c        *devicecode.Client
	profiles []string
}

var _ engine = (*engineAdapter)(nil)

func (e *engineAdapter) AcquireSilent(ctx context.Context) (*session, error) {
	return e.collect(ctx, nil)
}

// collect builds a session from first (a token PollToken returned) and the
// other profiles' tokens, which come from the refresh token.
func (e *engineAdapter) collect(ctx context.Context, first *devicecode.Token) (*session, error) {
	s := &session{}
	for _, p := range e.profiles {
		tok := first
		if tok == nil || tok.Profile != p {
			var err error
			tok, err = e.c.AcquireSilent(ctx, p)
			if err != nil {
				return nil, classifyFor(p, err)
			}
		}
		if s.Account.Username == "" {
			a := tok.Account
			s.Account = account{Username: a.Username, Name: a.Name, TenantID: a.TenantID, ObjectID: a.ObjectID}
		}
		s.Tokens = append(s.Tokens, tokenInfo{Profile: p, AccessToken: tok.AccessToken, TokenType: tok.TokenType,
			Scopes: tok.Scopes, ExpiresAt: tok.ExpiresAt, RefreshAt: tok.RefreshAt})
	}
	return s, nil
}

func (e *engineAdapter) RequestCode(ctx context.Context) (*codeInfo, error) {
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		return nil, classifyFor(e.firstProfile(), err)
	}
	return &codeInfo{UserCode: dc.UserCode, VerificationURI: dc.VerificationURI,
		VerificationURIComplete: dc.VerificationURIComplete, Message: dc.Message,
		ExpiresAt: dc.ExpiresAt, Interval: dc.Interval, handle: dc}, nil
}

func (e *engineAdapter) PollToken(ctx context.Context, c *codeInfo) (*session, error) {
	dc, ok := c.handle.(*devicecode.DeviceCode)
	if !ok {
		return nil, errors.New("agent: poll without a device code")
	}
	tok, err := e.c.PollToken(ctx, dc)
	if err != nil {
		return nil, classifyFor(e.firstProfile(), err)
	}
	sess, err := e.collect(ctx, tok)
	var ce *classifiedError
	if errors.As(err, &ce) {
		ce.approved = true // the sign-in is cached; another profile failed
	}
	return sess, err
}

func (e *engineAdapter) SignOut(ctx context.Context) error { return e.c.SignOut() }

// classify wraps a devicecode error with its class and a one-line reason
// for the display. devicecode's error strings carry no secret.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	reason := strings.TrimPrefix(err.Error(), "devicecode: ")
	// The network or a captive portal: "no network" on the display. The
	// provider answering 5xx or 429: busy, not the cable. An error reply the
	// agent has no class for, or a local failure, is retried the same way
	// but shown as an error.
	c := classOther
	if devicecode.IsTransient(err) {
		c = classTransient
		var se *devicecode.ServiceError
		if errors.As(err, &se) {
			c = classBusy
		}
	}
	switch {
	case errors.Is(err, devicecode.ErrDeclined):
		c, reason = classDeclined, "sign-in declined"
	case errors.Is(err, devicecode.ErrBadCode):
		c, reason = classBadCode, "the provider did not know the code"
	case errors.Is(err, devicecode.ErrExpired):
		c, reason = classExpired, "the code expired"
	case devicecode.IsBlockedByPolicy(err):
		c = classPolicy
	case devicecode.IsConfigError(err):
		c = classConfig
	case devicecode.NeedsSignIn(err):
		c = classNeedsSignIn
	case notYetValid(err):
		c, reason = classClock, "clock not set: the server's certificate is not yet valid"
	}
	return &classifiedError{class: c, reason: reason, err: err}
}

// firstProfile names the profile whose scopes the device code asks for.
func (e *engineAdapter) firstProfile() string {
	if len(e.profiles) == 0 {
		return ""
	}
	return e.profiles[0]
}

// classifyFor is classify for a request made for one profile: when the
// provider refused that profile's scopes, the reason starts with its config
// key (profile.NAME), so the person knows which line to fix.
func classifyFor(profile string, err error) error {
	err = classify(err)
	var ce *classifiedError
	if profile != "" && devicecode.IsScopeError(err) && errors.As(err, &ce) {
		ce.reason = "profile." + profile + ": " + ce.reason
	}
	return err
}

// notYetValid reports a TLS failure that a wrong clock explains.
func notYetValid(err error) bool {
	var ce x509.CertificateInvalidError
	if errors.As(err, &ce) && ce.Reason == x509.Expired {
		return true // "expired or not yet valid"
	}
	return strings.Contains(err.Error(), "not yet valid")
}

// newEngine builds the devicecode client from the configuration.
func newEngine(cfg *Config, opts engineOpts) (*engineAdapter, *devicecode.Client, error) {
	dc := devicecode.Config{
		ClientID:         cfg.ClientID,
		AllowMultiTenant: cfg.AllowMultiTenant,
		Cache:            opts.cache,
		RootCAs:          opts.roots,
		Logf:             opts.logf,
	}
	dc.Authority = devicecode.Authority{Tenant: cfg.Tenant, Host: cfg.AuthorityHost, Issuer: cfg.Issuer,
		DeviceAuthorizationURL: cfg.DeviceEndpoint, TokenURL: cfg.TokenEndpoint}
	var names []string
	for _, p := range cfg.Profiles {
		dc.Profiles = append(dc.Profiles, devicecode.Profile{Name: p.Name, Scopes: p.Scopes})
		names = append(names, p.Name)
	}
	c, err := devicecode.New(dc)
	var ce *devicecode.ConfigError
	if errors.As(err, &ce) {
		return nil, nil, &engineConfigError{key: configKey(ce.Field, cfg), err: ce}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	return &engineAdapter{c: c, profiles: names}, c, nil
}

// engineConfigError is a devicecode.ConfigError worded for the agent's
// configuration: the key a person edits, then what is wrong.
type engineConfigError struct {
	key string
	err *devicecode.ConfigError
}

func (e *engineConfigError) Error() string { return e.key + ": " + e.err.Reason }
func (e *engineConfigError) Unwrap() error { return e.err }

// configKeys maps devicecode.Config fields to the config keys they come from.
var configKeys = map[string]string{
	"ClientID":                         "client-id",
	"Authority":                        "tenant",
	"Authority.Tenant":                 "tenant",
	"Authority.Host":                   "authority-host",
	"Authority.Issuer":                 "issuer",
	"Authority.DeviceAuthorizationURL": "device-endpoint",
	"Authority.TokenURL":               "token-endpoint",
}

// configKey names the config key behind a devicecode.Config field:
// "Profiles[1].Scopes" is profile.NAME of the second profile.
func configKey(field string, cfg *Config) string {
	if k, ok := configKeys[field]; ok {
		return k
	}
	if rest, ok := strings.CutPrefix(field, "Profiles["); ok {
		n, _, _ := strings.Cut(rest, "]")
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(cfg.Profiles) {
			return profilePrefix + cfg.Profiles[i].Name
		}
	}
	return field
}
