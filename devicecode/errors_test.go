package devicecode_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/boardlogin/boardlogin/devicecode"
)

func TestClassification(t *testing.T) {
	se := func(status int, code string, aadsts ...int) error {
		return &devicecode.ServiceError{StatusCode: status, Code: code, ErrorCodes: aadsts}
	}
	type class struct{ signIn, config, policy, transient bool }
	tests := []struct {
		name string
		err  error
		want class
		hint string
	}{
		{"invalid_grant", se(400, "invalid_grant"), class{signIn: true}, "sign in again"},
		{"interaction_required", se(400, "interaction_required", 50078), class{signIn: true}, "sign in again"},
		{"700082 inactive", se(400, "invalid_grant", 700082), class{signIn: true}, "sign in again"},
		{"70043 sign-in frequency", se(400, "invalid_grant", 70043), class{signIn: true}, "sign in again"},
		{"50173 revoked", se(400, "invalid_grant", 50173), class{signIn: true}, "sign in again"},
		{"50076 mfa", se(400, "invalid_grant", 50076), class{signIn: true}, "sign in again"},
		{"50079 mfa enrol", se(400, "invalid_grant", 50079), class{signIn: true}, "sign in again"},
		{"65001 consent", se(400, "invalid_grant", 65001), class{signIn: true}, "sign in again"},
		{"50105 user not assigned", se(400, "invalid_grant", 50105), class{signIn: true}, "sign in as an assigned user"},
		{"code in description only", &devicecode.ServiceError{StatusCode: 400, Code: "invalid_request", Description: "AADSTS700082: The refresh token has expired"}, class{signIn: true}, "sign in again"},
		{"50059 no tenant", se(400, "invalid_request", 50059), class{config: true}, "configure a tenant id or domain"},
		{"90133 common", se(400, "invalid_request", 90133), class{config: true}, "configure a tenant id or domain"},
		{"9001023", se(400, "invalid_request", 9001023), class{config: true}, "configure a tenant id or domain"},
		{"90002 tenant not found", se(400, "invalid_request", 90002), class{config: true}, "check the tenant and the authority host"},
		{"700016 unknown app", se(400, "unauthorized_client", 700016), class{config: true}, "check the client id"},
		{"7000218 public flows", se(401, "invalid_client", 7000218), class{config: true}, `enable "Allow public client flows"`},
		{"700025 secret sent", se(401, "invalid_client", 700025), class{config: true}, "remove the client secret"},
		{"70011 scope does not exist", se(400, "invalid_scope", 70011), class{config: true}, "check the profile's scopes"},
		{"28000 two resources", se(400, "invalid_scope", 28000), class{config: true}, "scopes must all be of one resource"},
		{"700022 two resources", se(400, "invalid_scope", 700022), class{config: true}, "scopes must all be of one resource"},
		{"28002 scope not valid for a token", se(400, "invalid_scope", 28002), class{config: true}, "check the profile's scopes"},
		{"28003 empty scope", se(400, "invalid_scope", 28003), class{config: true}, "check the profile's scopes"},
		{"invalid_scope, any provider", se(400, "invalid_scope"), class{config: true}, "check the profile's scopes"},
		{"500011 no such resource", se(400, "invalid_resource", 500011), class{config: true}, "no such resource"},
		{"invalid_resource, no code", se(400, "invalid_resource"), class{config: true}, "no such resource"},
		{"650057 API not in the registration", se(400, "invalid_client", 650057), class{config: true}, "API permissions"},
		{"65005 misconfigured app", se(400, "invalid_client", 65005), class{config: true}, "API permissions"},
		{"unsupported_grant_type", se(400, "unsupported_grant_type", 70003), class{config: true}, "does not take the device code grant"},
		{"53003 conditional access", se(400, "invalid_grant", 53003), class{policy: true}, "ask the tenant admin"},
		{"53000 compliant device required", se(400, "interaction_required", 53000), class{policy: true}, "ask the tenant admin"},
		{"53001 joined device required", se(400, "interaction_required", 53001), class{policy: true}, "ask the tenant admin"},
		{"53002 app not approved", se(400, "interaction_required", 53002), class{policy: true}, "ask the tenant admin"},
		{"530033 device flow blocked by a device rule", se(400, "access_denied", 530033), class{policy: true}, "ask the tenant admin"},
		{"530035 security defaults", se(400, "access_denied", 530035), class{policy: true}, "ask the tenant admin"},
		{"50097 device auth", se(400, "invalid_grant", 50097), class{policy: true}, "ask the tenant admin"},
		{"50005 platform", se(400, "invalid_grant", 50005), class{policy: true}, "ask the tenant admin"},
		{"500", se(500, ""), class{transient: true}, "retrying later"},
		{"503", se(503, "temporarily_unavailable"), class{transient: true}, "retrying later"},
		{"429", se(429, ""), class{transient: true}, "retrying later"},
		{"50196 loop", se(400, "invalid_request", 50196), class{transient: true}, "retrying later"},
		{"transport", &devicecode.TransportError{Op: "token", Err: errors.New("connection refused")}, class{transient: true}, "retrying later"},
		{"unexpected reply", &devicecode.UnexpectedReplyError{Op: "token", StatusCode: 200, ContentType: "text/html"}, class{transient: true}, "retrying later"},
		{"unexpected reply, wrapped", fmt.Errorf("agent: %w", &devicecode.UnexpectedReplyError{Op: "token", StatusCode: 302}), class{transient: true}, "retrying later"},
		{"wrapped", fmt.Errorf("agent: %w", se(400, "invalid_grant", 700082)), class{signIn: true}, "sign in again"},
		{"declined", devicecode.ErrDeclined, class{}, ""},
		{"plain", errors.New("x"), class{}, ""},
		{"nil", nil, class{}, ""},
		{"config error", &devicecode.ConfigError{Field: "ClientID", Reason: "missing"}, class{config: true}, ""},
		{"cancel", context.Canceled, class{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := class{devicecode.NeedsSignIn(tt.err), devicecode.IsConfigError(tt.err), devicecode.IsBlockedByPolicy(tt.err), devicecode.IsTransient(tt.err)}
			if got != tt.want {
				t.Errorf("class = %+v, want %+v", got, tt.want)
			}
			h := devicecode.Hint(tt.err)
			if (tt.hint == "") != (h == "") || !strings.Contains(h, tt.hint) {
				t.Errorf("Hint = %q, want %q", h, tt.hint)
			}
			if tt.err != nil && strings.ContainsAny(tt.err.Error(), "\r\n") {
				t.Errorf("error is not one line")
			}
		})
	}
}

func TestIsScopeError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&devicecode.ServiceError{Code: "invalid_scope"}, true},
		{&devicecode.ServiceError{Code: "invalid_resource", ErrorCodes: []int{500011}}, true},
		{fmt.Errorf("wrapped: %w", &devicecode.ServiceError{Code: "invalid_client", ErrorCodes: []int{650057}}), true},
		{&devicecode.ServiceError{Code: "invalid_client", ErrorCodes: []int{700016}}, false},
		{&devicecode.ConfigError{Field: "Profiles[0].Scopes", Reason: "two resources"}, false},
		{errors.New("invalid_scope"), false},
		{nil, false},
	} {
		if got := devicecode.IsScopeError(tt.err); got != tt.want {
			t.Errorf("IsScopeError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestServiceErrorString(t *testing.T) {
	tests := []struct {
		err  *devicecode.ServiceError
		want string
	}{
		{&devicecode.ServiceError{StatusCode: 400, Code: "invalid_grant", Description: "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: t\r\nCorrelation ID: c", ErrorCodes: []int{700082}},
			"devicecode: invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. (sign in again with a new device code)"},
		{&devicecode.ServiceError{StatusCode: 503}, "devicecode: http 503 service unavailable (the provider or network is unavailable; retrying later)"},
		{&devicecode.ServiceError{StatusCode: 401, Code: "invalid_client", ErrorCodes: []int{7000218}},
			`devicecode: invalid_client (http 401): AADSTS7000218 (enable "Allow public client flows" on the app registration)`},
		{&devicecode.ServiceError{StatusCode: 400, Code: "invalid_scope", Description: "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope 'User.Raed' does not exist.\r\nTrace ID: t", ErrorCodes: []int{70011}},
			"devicecode: invalid_scope: AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope 'User.Raed' does not exist. (check the profile's scopes)"},
		{&devicecode.ServiceError{StatusCode: http.StatusBadRequest, Code: "weird\x00code", Description: "\x1b[31mred"},
			"devicecode: weirdcode: [31mred"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
