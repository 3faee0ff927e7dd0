package display

import (
	"fmt"
	"time"
)

// State is what the agent is doing, as far as the user needs to know.
type State int

// The states a View can show.
const (
	// Starting: the agent is starting or acquiring tokens silently.
	Starting State = iota
	// AwaitingUser: a user code is waiting to be entered at the address.
	AwaitingUser
	// SignedIn: tokens are held for Account.
	SignedIn
	// Error: something failed; Reason says what, Hint what to do.
	Error
	// NoNetwork: the identity provider cannot be reached.
	NoNetwork
	// WaitingForClock: the wall clock is not set yet (no RTC, no NTP yet).
	WaitingForClock
	// Stopped: the agent shut down on purpose (SIGTERM, SIGINT). It is the
	// last picture an e-paper panel keeps, so it must not read as an error.
	Stopped
)

var stateNames = [...]string{"starting", "awaiting_user", "signed_in", "error", "no_network", "waiting_for_clock", "stopped"}

// String returns the state's snake_case name, as used in logs.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// View is everything a screen may show. It is a plain value: build a new one
// for every change and pass it to Screen.Show. It deliberately has no field
// for the device code or any token.
type View struct {
	State State

	// UserCode is the code the user types (AwaitingUser).
	UserCode string
	// VerificationURI is the address where the user types the code.
	VerificationURI string
	// VerificationURIComplete is the address with the code included, when
	// the provider gives one; the QR code encodes it in preference to
	// VerificationURI.
	VerificationURIComplete string
	// ExpiresAt is when the user code expires; Issued is when it was
	// issued. Together they drive the countdown. Monotonic readings are
	// fine: screens only subtract them from their clock.
	ExpiresAt time.Time
	Issued    time.Time

	// Account is the signed-in user name (SignedIn).
	Account string
	// TokenExpiry is when the current access token expires (SignedIn);
	// zero hides it.
	TokenExpiry time.Time

	// Reason is a one-line reason (Error, NoNetwork, WaitingForClock may
	// override their default text); Hint says what to do about it.
	Reason, Hint string
}
