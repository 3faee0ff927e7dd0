// Package entratest is an in-process identity provider that answers the
// device code flow exactly as Microsoft Entra ID's v2 endpoints do, for tests
// and for the agent's demo mode.
//
// It serves, for the tenant TenantID (or TenantDomain):
//
//	POST /{tenant}/oauth2/v2.0/devicecode
//	POST /{tenant}/oauth2/v2.0/token          (device code and refresh grants)
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//
// with Entra's status codes and error bodies (error, error_description
// starting "AADSTSnnnnn:" and ending with trace id, correlation id and
// timestamp, error_codes, timestamp, trace_id, correlation_id, error_uri),
// v1 spellings on request (verification_url, numbers as strings), rotating
// refresh tokens, unsigned JWT-shaped id tokens and client_info.
//
// The user is played through hooks: Approve, Decline, Expire, and UserCodes
// to find the pending codes. Replies can be scripted per endpoint with
// Enqueue (pending, slow_down, 5xx, 429 with Retry-After, malformed bodies,
// a hung request, a closed connection, a captive portal's page or redirect
// to it at PortalPath, a proxy's HTML error page) or with Options.Script.
// The device code grant is accepted as the RFC 8628 URN and as MSAL's
// "device_code"; Record.GrantTypeSent says which was sent. Every request
// is recorded with the time of the injected clock, so a test can check the
// gap between polls without waiting for real seconds.
//
// The core API takes no *testing.T: the demo binary runs it for real.
package entratest
