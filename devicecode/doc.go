// Package devicecode signs a headless device into Microsoft Entra ID, or any
// RFC 8628 provider, with the OAuth 2.0 device authorization grant, and keeps
// tokens for several resources fresh from that one sign-in.
//
// # Use
//
//	c, err := devicecode.New(devicecode.Config{
//		ClientID:  "00000000-0000-0000-0000-000000000000",
//		Authority: devicecode.Authority{Tenant: "contoso.onmicrosoft.com"},
//		Profiles: []devicecode.Profile{
//			{Name: "graph", Scopes: []string{"https://graph.microsoft.com/User.Read"}},
//			{Name: "iot", Scopes: []string{"api://boardlogin-iot/telemetry.write"}},
//		},
//		Cache: tokencache.New("/var/lib/boardlogin/tokens.cbor"),
//	})
//	tok, err := c.AcquireSilent(ctx, "graph") // cached token, else refresh grant
//	if devicecode.NeedsSignIn(err) {
//		dc, err := c.RequestCode(ctx)          // show dc.UserCode, dc.VerificationURI
//		tok, err = c.PollToken(ctx, dc)        // blocks until approved, declined, expired
//	}
//	iot, err := c.AcquireSilent(ctx, "iot")   // second resource, same sign-in
//	...
//	sleep until tok.RefreshDue(); c.AcquireSilent again (or c.Refresh to force)
//	c.SignOut()                               // forget tokens, remove the cache
//
// The first profile's scopes go with the device code request; every other
// profile is served through the refresh token, one resource per request, as
// MSAL's AcquireTokenSilent does. Each refresh stores the rotated refresh
// token. The cache (see package tokencache) is written once after sign-in
// and after each refresh, never while polling.
//
// Authority is one of: an Entra tenant (GUID or domain) on the public cloud
// or a sovereign host (HostUSGovernment, HostChina, HostChinaPartner); a
// generic OpenID Connect Issuer, whose endpoints come from discovery; or
// explicit endpoints. New refuses "common", "organizations" and "consumers"
// unless AllowMultiTenant is set (Entra refuses the device code flow on the
// first and last, AADSTS50059/90133; "organizations" signs in any work or
// school tenant's account), and any endpoint that is not https, except on
// loopback.
//
// # Protocol
//
// Polling follows RFC 8628 §3.5 to the letter: the first poll waits one
// interval after the code arrived; no two polls are closer than the interval
// in force, as the server sees them (each wait counts from when the previous
// poll ended, so a slow dial cannot bunch two polls together); slow_down adds 5 s for the rest of that code; no poll happens
// after the code's lifetime, measured on the monotonic clock from when the
// request was sent; connection errors, timeouts, 5xx and 429 are retried with
// capped, jittered exponential backoff (never sooner than the interval, never
// sooner than Retry-After) while the code is valid. Every round trip has its
// own timeout, and cancelling the context returns at once.
//
// Entra ID's dialect is absorbed at the decoding edge: numbers as JSON numbers
// or strings (v1), verification_uri or verification_url, the HTTP 200 reply
// that carries an error on /devicecode, error bodies in JSON or form encoding,
// client_info for the home account id. Like MSAL, every request adds
// openid, profile and offline_access.
//
// # Errors
//
// Errors are typed: ErrDeclined, ErrBadCode and ErrExpired end one device
// code (errors.Is); *ServiceError carries the provider's reply (error,
// description, AADSTS codes, trace and correlation ids); NeedsSignIn,
// IsConfigError, IsBlockedByPolicy and IsTransient classify any error
// (IsScopeError singles out the configuration errors that belong to one
// profile's scopes), and Hint gives the one-line instruction for a person.
// A token endpoint reply
// that is neither a token nor an OAuth error (a captive portal's page or
// redirect, a proxy's page, garbage, truncated JSON) is an
// *UnexpectedReplyError: transient, so polling goes on with backoff while
// the code lives and a failed refresh keeps the refresh token. No error
// string, fmt verb or slog record of a Token or DeviceCode ever holds a
// secret, and no error quotes a reply body that is not an OAuth error.
//
// # Time
//
// All scheduling goes through the Clock interface. Token.ExpiresAt and
// DeviceCode.ExpiresAt come from Clock.Now taken when the request was sent:
// with SystemClock they carry Go's monotonic reading, so a board whose wall
// clock jumps from 1970 to today when NTP syncs still refreshes on time. The
// cache stores wall-clock times; on load they are converted back with the
// clock, and a clock before 2024 makes every cached access token count as
// expired (the refresh token is kept).
//
// # Memory
//
// A poll reuses its request body and request template, reads the reply into
// a pooled buffer, recognises a pending reply by comparing bytes (a small
// allocation-free JSON scanner reads only the fields the engine keeps), and
// arms one reused timer for its timeout. The default HTTP client keeps one
// HTTP/1.1 connection alive and is driven through its Transport directly.
// The Poll and Refresh benchmarks measure golang.org/x/oauth2 (imported by
// the test only) beside it: a pending poll round trip costs well under half
// of x/oauth2's bytes, server share included.
//
// # Trusting the id token without verifying it
//
// ParseIDTokenClaims reads the account from the id token without checking
// its signature. The token came in the body of the token endpoint's reply,
// over a TLS connection this client opened to the configured endpoint, which
// OpenID Connect Core §3.1.3.7 accepts in place of signature validation; it
// only labels the account, and authorizes nothing.
package devicecode
