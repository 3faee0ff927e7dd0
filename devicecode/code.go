package devicecode

import (
	"fmt"
	"log/slog"
	"time"
)

// DeviceCode is a device authorization reply (RFC 8628 §3.2): what to show
// the user, and the schedule PollToken keeps. The device code itself is a
// secret held unexported: no fmt verb and no slog record prints it.
type DeviceCode struct {
	UserCode                string // e.g. "WDJB-MJHT"; show it as sent
	VerificationURI         string // where the user types the code (verification_uri or v1 verification_url)
	VerificationURIComplete string // the address with the code in it, for a QR code; "" from Entra
	Message                 string // Entra's ready-made sentence for the user, "" elsewhere
	// ExpiresAt is when the code dies, computed from the clock reading
	// taken when the request was sent (monotonic in production).
	ExpiresAt time.Time
	// Interval is the minimum time between polls as the provider asked
	// (5 s when it did not say).
	Interval time.Duration

	deviceCode string    // the secret
	issuedAt   time.Time // when the reply arrived: the first poll waits Interval from here
	tokenURL   string    // the token endpoint it belongs to
	scopes     string    // the scopes the code was requested for
	profile    string    // the profile those scopes belong to
}

// String describes the code for logs: the user code and address are public
// (they are shown on the display), the device code is not.
func (d DeviceCode) String() string {
	return fmt.Sprintf("devicecode.DeviceCode{user_code=%q verification_uri=%q expires=%s interval=%s device_code=%s}",
		d.UserCode, d.VerificationURI, d.ExpiresAt.Format(time.RFC3339), d.Interval, redacted(d.deviceCode))
}

// Format makes every fmt verb print String.
func (d DeviceCode) Format(f fmt.State, verb rune) { fmt.Fprint(f, d.String()) }

// LogValue keeps the device code out of log/slog records.
func (d DeviceCode) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_code", d.UserCode),
		slog.String("verification_uri", d.VerificationURI),
		slog.Time("expires_at", d.ExpiresAt),
		slog.Duration("interval", d.Interval),
	)
}

var (
	_ fmt.Formatter  = DeviceCode{}
	_ slog.LogValuer = DeviceCode{}
)
