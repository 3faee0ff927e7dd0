package devicecode

import "context"

// RequestCode sends the device authorization request (RFC 8628 §3.1) for
// the first profile's scopes plus openid, profile and offline_access.
func (c *Client) RequestCode(ctx context.Context) (*DeviceCode, error) {
	return nil, errNotImplemented
}

// PollToken polls the token endpoint for dc (RFC 8628 §3.4-3.5) until the
// user approves (the token for the first profile is returned, and the
// sign-in cached), declines (ErrDeclined), the code dies (ErrExpired,
// ErrBadCode), another error ends it (a *ServiceError), or ctx is done
// (ctx.Err(), at once).
func (c *Client) PollToken(ctx context.Context, dc *DeviceCode) (*Token, error) {
	return nil, errNotImplemented
}

// AcquireSilent returns a valid access token for the named profile without
// user interaction: the cached one while it is more than ExpiryMargin from
// expiry (and its refresh_in has not passed), else a new one from the
// refresh token. NeedsSignIn(err) reports when only a new device code sign-in
// can help.
func (c *Client) AcquireSilent(ctx context.Context, profile string) (*Token, error) {
	return nil, errNotImplemented
}

func (c *Client) loadLocked() error { return nil }

func (c *Client) endpoints(ctx context.Context) (*resolved, error) { return c.ep, nil }
