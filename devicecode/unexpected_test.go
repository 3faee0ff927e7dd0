package devicecode

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestTokenErrorClassifiesReplies: every token endpoint reply that is not a
// token becomes the right error: the provider's OAuth error, a 4xx/5xx
// ServiceError, or an UnexpectedReplyError that describes the body in
// general terms and never quotes it.
func TestTokenErrorClassifiesReplies(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantCode    string // a *ServiceError with this OAuth error
		wantStatus  int    // a *ServiceError without one (5xx, 4xx)
		want        string // an *UnexpectedReplyError with this string
		transient   bool
	}{
		{name: "html page", status: 200, contentType: "text/html; charset=utf-8", body: "<html><input name=session value=SECRET></html>",
			want: "devicecode: the token endpoint answered http 200 with text/html (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "html page, leading space, no content type", status: 200, body: "\r\n <!DOCTYPE html>",
			want: "devicecode: the token endpoint answered http 200 with no content type (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "truncated json", status: 200, contentType: "application/json", body: `{"access_token":"SECRET`,
			want: "devicecode: the token endpoint answered http 200 with application/json (broken or truncated JSON), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "json without access_token", status: 200, contentType: "application/json", body: `{"refresh_token":"SECRET"}`,
			want: "devicecode: the token endpoint answered http 200 with application/json (JSON without a usable access_token), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "malformed access_token", status: 200, contentType: "application/json", body: `{"access_token":12}`,
			want: "devicecode: the token endpoint answered http 200 with application/json (JSON without a usable access_token), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "garbage, hostile content type", status: 200, contentType: "TEXT/Plain\x1b[31m\r\nX: y; q=1", body: "SECRET\x00",
			want: "devicecode: the token endpoint answered http 200 with text/plain (a body that is not JSON), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "empty", status: 200, contentType: "text/plain", body: "",
			want: "devicecode: the token endpoint answered http 200 with text/plain (an empty body), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "redirect to a portal", status: 302, contentType: "text/html", body: `<a href="/login?SECRET">`,
			want: "devicecode: the token endpoint answered http 302 with text/html (an HTML or XML page), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "204 no content", status: 204,
			want: "devicecode: the token endpoint answered http 204 with no content type (an empty body), not a token reply: a captive portal or proxy may be in the way; retrying later", transient: true},
		{name: "oauth error with 200", status: 200, contentType: "application/json", body: `{"error":"invalid_grant","error_codes":[70000]}`, wantCode: "invalid_grant"},
		{name: "pending with 200", status: 200, contentType: "application/json", body: `{"error":"authorization_pending"}`, wantCode: "authorization_pending"},
		{name: "proxy 502 page", status: 502, contentType: "text/html", body: "<html>502 SECRET</html>", wantStatus: 502, transient: true},
		{name: "network authentication required", status: 511, contentType: "text/html", body: "<html>log in SECRET</html>", wantStatus: 511, transient: true},
		{name: "html 404 stays a service error", status: 404, contentType: "text/html", body: "<html>SECRET</html>", wantStatus: 404},
		{name: "oauth error with 400", status: 400, contentType: "application/json", body: `{"error":"invalid_grant"}`, wantCode: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reply{status: tt.status, contentType: tt.contentType, body: []byte(tt.body)}
			var cause error
			if tt.status == http.StatusOK {
				_, cause = ParseTokenReply(r.body)
				if cause == nil {
					t.Fatal("the body parsed as a token")
				}
			}
			err := tokenError(&r, cause)
			var se *ServiceError
			var ue *UnexpectedReplyError
			switch {
			case tt.want != "":
				if !errors.As(err, &ue) || err.Error() != tt.want {
					t.Errorf("got  %q (%T)\nwant %q", err, err, tt.want)
				}
			case tt.wantCode != "":
				if !errors.As(err, &se) || se.Code != tt.wantCode || se.StatusCode != tt.status {
					t.Errorf("got %#v, want a ServiceError %s", err, tt.wantCode)
				}
			default:
				if !errors.As(err, &se) || se.Code != "" || se.StatusCode != tt.wantStatus || errors.As(err, &ue) {
					t.Errorf("got %#v, want a ServiceError with status %d", err, tt.wantStatus)
				}
			}
			if IsTransient(err) != tt.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
			if NeedsSignIn(err) && tt.wantCode == "" {
				t.Errorf("%v needs a sign-in", err)
			}
			if s := err.Error(); strings.Contains(s, "SECRET") || strings.ContainsAny(s, "\r\n\x00") {
				t.Errorf("error quotes the body or spans lines: %q", s)
			}
		})
	}
}
