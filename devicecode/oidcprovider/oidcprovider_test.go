package oidcprovider_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/oidcprovider"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
)

// newClient returns a devicecode client that finds the provider's endpoints
// through OIDC discovery, as a user configuring a generic issuer would, with
// an on-disk cache so that refresh token rotation is observable.
func newClient(t *testing.T, p *oidcprovider.Provider) (*devicecode.Client, *tokencache.File) {
	t.Helper()
	cache := tokencache.New(filepath.Join(t.TempDir(), "tokens.cbor"))
	c, err := devicecode.New(devicecode.Config{
		ClientID:  p.ClientID,
		Authority: devicecode.Authority{Issuer: p.Issuer},
		Profiles:  []devicecode.Profile{{Name: "default", Scopes: []string{"openid"}}},
		Cache:     cache,
	})
	if err != nil {
		t.Fatalf("devicecode.New: %v", err)
	}
	return c, cache
}

// TestThirdPartyProviderSignInAndRefresh runs the whole flow against
// panva/oidc-provider: discovery, device authorization (no interval in its
// reply, so 5 s applies), the user approving over HTTP, the token, and then a
// refresh that rotates the refresh token and kills the old one.
func TestThirdPartyProviderSignInAndRefresh(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{AccessTokenTTL: 60 * time.Second})
	c, cache := newClient(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ep, err := c.Endpoints(ctx)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if ep.DeviceAuthorizationURL != p.Issuer+"/device/auth" || ep.TokenURL != p.Issuer+"/token" {
		t.Fatalf("discovered endpoints = %+v, want %s/device/auth and %s/token", ep, p.Issuer, p.Issuer)
	}

	if _, err := c.AcquireSilent(ctx, "default"); !devicecode.NeedsSignIn(err) {
		t.Fatalf("AcquireSilent before any sign-in = %v, want a needs-sign-in error", err)
	}

	dc, err := c.RequestCode(ctx)
	if err != nil {
		t.Fatalf("RequestCode: %v", err)
	}
	if dc.Interval != 5*time.Second {
		t.Errorf("interval = %v, want the RFC 8628 default of 5s (oidc-provider sends none)", dc.Interval)
	}
	if want := p.Issuer + "/device?user_code=" + dc.UserCode; dc.VerificationURIComplete != want {
		t.Errorf("verification_uri_complete = %q, want %q", dc.VerificationURIComplete, want)
	}
	if dc.VerificationURI != p.Issuer+"/device" {
		t.Errorf("verification_uri = %q, want %s/device", dc.VerificationURI, p.Issuer)
	}

	approved := make(chan error, 1)
	go func() {
		approved <- oidcprovider.NewUser("alice").Approve(ctx, dc.VerificationURI, dc.UserCode)
	}()
	tok, err := c.PollToken(ctx, dc)
	if err != nil {
		t.Fatalf("PollToken: %v", err)
	}
	if err := <-approved; err != nil {
		t.Fatalf("the user could not approve: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Fatalf("token lacks a part: access %t, refresh %t, id %t", tok.AccessToken != "", tok.RefreshToken != "", tok.IDToken != "")
	}
	if tok.Account.Username != "alice@example.test" || tok.Account.Name != "Test User alice" || tok.Account.ObjectID != "alice" {
		t.Errorf("account = %+v, want alice@example.test / Test User alice / alice", tok.Account)
	}
	if s := tok.String(); strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
		t.Errorf("Token.String leaks a secret")
	}

	snap, err := cache.Load()
	if err != nil || snap == nil {
		t.Fatalf("cache after sign-in: %v, %v", snap, err)
	}
	firstRefresh := snap.RefreshToken
	if firstRefresh != tok.RefreshToken {
		t.Fatalf("the cache does not hold the refresh token of the sign-in")
	}

	refreshed, err := c.Refresh(ctx, "default")
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if refreshed.AccessToken == tok.AccessToken {
		t.Errorf("refresh returned the same access token")
	}
	if refreshed.RefreshToken == firstRefresh {
		t.Errorf("oidc-provider rotates refresh tokens for public clients, but the refresh token did not change")
	}
	snap, err = cache.Load()
	if err != nil || snap.RefreshToken != refreshed.RefreshToken {
		t.Fatalf("the cache does not hold the rotated refresh token (err %v)", err)
	}

	// The provider revoked the old refresh token when it rotated it: a
	// client that kept the old one would be signed out. Prove it with a
	// second client whose cache holds the old token.
	stale, staleCache := newClient(t, p)
	snap.RefreshToken = firstRefresh
	snap.AccessTokens = nil
	if _, err := staleCache.Save(snap); err != nil {
		t.Fatalf("save stale cache: %v", err)
	}
	_, err = stale.AcquireSilent(ctx, "default")
	if !devicecode.NeedsSignIn(err) {
		t.Fatalf("refresh with the rotated-out token = %v, want a needs-sign-in error (invalid_grant)", err)
	}
	for _, secret := range []string{firstRefresh, tok.AccessToken, refreshed.RefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error string leaks a token")
		}
	}
}

// TestThirdPartyProviderDeclined: the user aborts at the sign-in page; the
// provider answers access_denied (RFC 8628), which ends the code with
// ErrDeclined.
func TestThirdPartyProviderDeclined(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	c, _ := newClient(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	dc, err := c.RequestCode(ctx)
	if err != nil {
		t.Fatalf("RequestCode: %v", err)
	}
	declined := make(chan error, 1)
	go func() {
		declined <- oidcprovider.NewUser("bob").Decline(ctx, dc.VerificationURI, dc.UserCode)
	}()
	_, err = c.PollToken(ctx, dc)
	if !errors.Is(err, devicecode.ErrDeclined) {
		t.Fatalf("PollToken after the user declined = %v, want ErrDeclined", err)
	}
	if err := <-declined; err != nil {
		t.Fatalf("the user could not decline: %v", err)
	}
}

// TestThirdPartyProviderCancel: cancelling the context while polling returns
// at once, well before the 5 s interval is up.
func TestThirdPartyProviderCancel(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{})
	c, _ := newClient(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	dc, err := c.RequestCode(ctx)
	if err != nil {
		t.Fatalf("RequestCode: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.PollToken(ctx, dc)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("PollToken after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("PollToken did not return within 3 s of the cancel")
	}
}
