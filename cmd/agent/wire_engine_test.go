package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/boardlogin/boardlogin/devicecode"
)

// What the supervisor does with each kind of engine error, and what the
// display says while it does it.
func TestClassifyEngineErrors(t *testing.T) {
	se := func(status int, code string, aadsts ...int) error {
		return &devicecode.ServiceError{StatusCode: status, Code: code, ErrorCodes: aadsts}
	}
	tests := []struct {
		name   string
		err    error
		class  errClass
		view   viewKind
		reason string
	}{
		{"connection refused", &devicecode.TransportError{Op: "token", Err: errors.New("connection refused")}, classTransient, viewNoNetwork, "request failed"},
		// The provider answered: busy, not the cable.
		{"503", se(503, "temporarily_unavailable", 50196), classBusy, viewBusy, "temporarily_unavailable"},
		{"429", se(429, ""), classBusy, viewBusy, "http 429"},
		{"captive portal", &devicecode.UnexpectedReplyError{Op: "token", StatusCode: 200, ContentType: "text/html"}, classTransient, viewNoNetwork, "captive portal"},
		{"clock not set", &devicecode.TransportError{Op: "token", Err: x509.CertificateInvalidError{Reason: x509.Expired}}, classClock, viewWaitingForClock, "clock not set"},
		// The provider answered: not a network problem, whatever it is.
		{"an error reply of no known class", se(400, "invalid_request", 9002313), classOther, viewError, "invalid_request"},
		{"a local failure", errors.New("tokencache: write /var/lib/boardlogin/tokens.cbor: no space left on device"), classOther, viewError, "no space left"},
		{"scope that does not exist", se(400, "invalid_scope", 70011), classConfig, viewError, "check the profile's scopes"},
		{"no device code grant", se(400, "unsupported_grant_type"), classConfig, viewError, "device code grant"},
		{"unknown client", se(400, "unauthorized_client", 700016), classConfig, viewError, "check the client id"},
		{"conditional access", se(400, "invalid_grant", 53003), classPolicy, viewError, "ask the tenant admin"},
		{"refresh token dead", se(400, "invalid_grant", 700082), classNeedsSignIn, viewError, "sign in again"},
		{"declined", fmt.Errorf("poll: %w", devicecode.ErrDeclined), classDeclined, viewError, "declined"},
		{"bad code", devicecode.ErrBadCode, classBadCode, viewError, "did not know the code"},
		{"expired", devicecode.ErrExpired, classExpired, viewError, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			class, reason := classOf(classify(tt.err))
			if class != tt.class {
				t.Errorf("class = %d, want %d", class, tt.class)
			}
			if v := troubleView(class); v != tt.view {
				t.Errorf("view = %d, want %d", v, tt.view)
			}
			if !strings.Contains(reason, tt.reason) || strings.ContainsAny(reason, "\r\n") {
				t.Errorf("reason = %q, want one line with %q", reason, tt.reason)
			}
		})
	}
	// A refused scope belongs to a profile: the reason names its key.
	if _, reason := classOf(classifyFor("iot", se(400, "invalid_scope", 70011))); !strings.HasPrefix(reason, "profile.iot: invalid_scope: AADSTS70011") {
		t.Errorf("scope error reason = %q, want it to start with the profile's key", reason)
	}
	if _, reason := classOf(classifyFor("iot", se(400, "unauthorized_client", 700016))); strings.Contains(reason, "profile.iot") {
		t.Errorf("a client id error is not the profile's: %q", reason)
	}
	// An error that never went through classify is not the network either.
	if class, _ := classOf(errors.New("agent: poll without a device code")); class != classOther {
		t.Errorf("unclassified error: class %d, want classOther", class)
	}
	for _, err := range []error{nil, context.Canceled, fmt.Errorf("wait: %w", context.DeadlineExceeded)} {
		if got := classify(err); got != err {
			t.Errorf("classify(%v) = %v, want it unchanged", err, got)
		}
	}
}
