package devicecode

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDeviceAuthReply(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    DeviceAuthReply
		wantErr string // substring; "" means success
		service bool   // the error is a *ServiceError
	}{
		{
			name: "entra v2",
			body: `{"user_code":"WDJB-MJHT","device_code":"DC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code WDJB-MJHT to authenticate."}`,
			want: DeviceAuthReply{DeviceCode: "DC", UserCode: "WDJB-MJHT", VerificationURI: "https://microsoft.com/devicelogin", ExpiresIn: 900 * time.Second, Interval: 5 * time.Second,
				Message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code WDJB-MJHT to authenticate."},
		},
		{
			name: "v1 strings and verification_url",
			body: `{"user_code":"ABCD","device_code":"DC","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":"7"}`,
			want: DeviceAuthReply{DeviceCode: "DC", UserCode: "ABCD", VerificationURI: "https://microsoft.com/devicelogin", ExpiresIn: 900 * time.Second, Interval: 7 * time.Second},
		},
		{
			name: "generic provider with complete uri, no interval",
			body: ` {"device_code":"d","user_code":"U","verification_uri":"https://idp/device","verification_uri_complete":"https://idp/device?user_code=U","expires_in":600, "extra":{"nested":[1,2,{"x":null}]}} `,
			want: DeviceAuthReply{DeviceCode: "d", UserCode: "U", VerificationURI: "https://idp/device", VerificationURIComplete: "https://idp/device?user_code=U", ExpiresIn: 600 * time.Second, Interval: 5 * time.Second},
		},
		{
			name: "interval zero means five",
			body: `{"device_code":"d","user_code":"U","verification_uri":"https://x","expires_in":600,"interval":0}`,
			want: DeviceAuthReply{DeviceCode: "d", UserCode: "U", VerificationURI: "https://x", ExpiresIn: 600 * time.Second, Interval: 5 * time.Second},
		},
		{
			name:    "escaped strings",
			body:    `{"device_code":"d","user_code":"U","verification_uri":"https:\/\/x","expires_in":1.0e0,"message":"caf\u00e9 \ud83d\ude00"}`,
			wantErr: "expires_in",
		},
		{
			name:    "200 with error",
			body:    `{"error":"invalid_request","error_description":"AADSTS50059: No tenant-identifying information found.","error_codes":[50059]}`,
			wantErr: "AADSTS50059",
			service: true,
		},
		{name: "no user code", body: `{"device_code":"d","verification_uri":"https://x","expires_in":5}`, wantErr: "no user_code"},
		{name: "no device code", body: `{"user_code":"U","verification_uri":"https://x","expires_in":5}`, wantErr: "no device_code"},
		{name: "no verification uri", body: `{"device_code":"d","user_code":"U","expires_in":5}`, wantErr: "no verification_uri"},
		{name: "no expiry", body: `{"device_code":"d","user_code":"U","verification_uri":"https://x"}`, wantErr: "expires_in"},
		{name: "negative expiry", body: `{"device_code":"d","user_code":"U","verification_uri":"https://x","expires_in":-5}`, wantErr: "expires_in"},
		{name: "bad number", body: `{"device_code":"d","user_code":"U","verification_uri":"https://x","expires_in":"soon"}`, wantErr: "expires_in"},
		{name: "not json", body: `<html>proxy login</html>`, wantErr: "not a JSON object"},
		{name: "truncated", body: `{"device_code":"d","user_code":"U"`, wantErr: "not a JSON object"},
		{name: "trailing garbage", body: `{"user_code":"U"} x`, wantErr: "not a JSON object"},
		{name: "array", body: `[1]`, wantErr: "not a JSON object"},
		{name: "wrong type", body: `{"device_code":1,"user_code":"U","verification_uri":"https://x","expires_in":5}`, wantErr: "device_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDeviceAuthReply([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				var se *ServiceError
				if errors.As(err, &se) != tt.service {
					t.Errorf("ServiceError = %v, want %v", !tt.service, tt.service)
				}
				if strings.Contains(err.Error(), `"d"`) || strings.Contains(err.Error(), "DC") {
					t.Errorf("error string holds the device code")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestJSONStringEscapes(t *testing.T) {
	tests := map[string]string{
		`"plain"`:                "plain",
		`"caf\u00e9"`:            "café",
		`"\ud83d\ude00"`:         "😀",
		`"a\/b\"c\\d\n\t\r\b\f"`: "a/b\"c\\d\n\t\r\b\f",
		`null`:                   "",
		`"héllo"`:                "héllo",
		"\"bad \xff utf8\"":      "bad \ufffd utf8",
	}
	for in, want := range tests {
		got, err := jsonString([]byte(in))
		if err != nil || got != want {
			t.Errorf("jsonString(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"\x"`, `"\u12"`, `x`, `"`, `"\`} {
		if _, err := jsonString([]byte(bad)); err == nil {
			t.Errorf("jsonString(%s) accepted", bad)
		}
	}
}

func TestParseTokenReply(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    TokenReply
		wantErr string
	}{
		{
			name: "entra",
			body: `{"token_type":"Bearer","scope":"User.Read profile openid email","expires_in":4231,"ext_expires_in":4231,"refresh_in":2115,"access_token":"AT","refresh_token":"RT","id_token":"ID","client_info":"CI"}`,
			want: TokenReply{AccessToken: "AT", RefreshToken: "RT", IDToken: "ID", TokenType: "Bearer", Scope: "User.Read profile openid email", ExpiresIn: 4231 * time.Second, RefreshIn: 2115 * time.Second, ClientInfo: "CI"},
		},
		{
			name: "v1 string numbers",
			body: `{"token_type":"Bearer","expires_in":"3599","access_token":"AT"}`,
			want: TokenReply{AccessToken: "AT", TokenType: "Bearer", ExpiresIn: 3599 * time.Second},
		},
		{name: "error in 200", body: `{"error":"invalid_grant","error_description":"AADSTS700082: expired"}`, wantErr: "AADSTS700082"},
		{name: "no access token", body: `{"token_type":"Bearer"}`, wantErr: "no access_token"},
		// The reply used up the device code or rotated the refresh token:
		// an odd lifetime must not throw its tokens away.
		{name: "expires as a word", body: `{"access_token":"AT","refresh_token":"RT","expires_in":"x","refresh_in":"soon"}`,
			want: TokenReply{AccessToken: "AT", RefreshToken: "RT"}},
		{name: "exponent numbers", body: `{"access_token":"AT","expires_in":3.6e3,"refresh_in":"1.8E3"}`,
			want: TokenReply{AccessToken: "AT", ExpiresIn: time.Hour, RefreshIn: 30 * time.Minute}},
		{name: "negative and object lifetimes", body: `{"access_token":"AT","expires_in":-5,"refresh_in":{"s":1}}`,
			want: TokenReply{AccessToken: "AT"}},
		{name: "lifetime beyond a year", body: `{"access_token":"AT","expires_in":9e11}`,
			want: TokenReply{AccessToken: "AT", ExpiresIn: 366 * 24 * time.Hour}},
		{name: "access token of the wrong type", body: `{"access_token":12345,"expires_in":3600}`, wantErr: "access_token"},
		{name: "not json", body: `access_token=AT`, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokenReply([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "AT") && !strings.Contains(tt.wantErr, "AT") {
					t.Errorf("error string holds the access token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrorReply(t *testing.T) {
	entra := `{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\nTrace ID: 0c1d\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-03-01 08:00:05Z","error_codes":[70016],"timestamp":"2026-03-01 08:00:05Z","trace_id":"0c1d","correlation_id":"9a8b","error_uri":"https://login.microsoftonline.com/error?code=70016"}`
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        *ServiceError
	}{
		{"entra json", 400, "application/json; charset=utf-8", entra, &ServiceError{StatusCode: 400, Code: "authorization_pending",
			Description: "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\nTrace ID: 0c1d\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-03-01 08:00:05Z",
			ErrorCodes:  []int{70016}, TraceID: "0c1d", CorrelationID: "9a8b", Timestamp: "2026-03-01 08:00:05Z", ErrorURI: "https://login.microsoftonline.com/error?code=70016"}},
		{"json without content type", 400, "", `{"error":"slow_down"}`, &ServiceError{StatusCode: 400, Code: "slow_down"}},
		{"form encoded", 400, "application/x-www-form-urlencoded", "error=access_denied&error_description=the+user+said+no&error_codes=1,2", &ServiceError{StatusCode: 400, Code: "access_denied", Description: "the user said no", ErrorCodes: []int{1, 2}}},
		{"form without content type", 401, "text/plain", "error=invalid_client", &ServiceError{StatusCode: 401, Code: "invalid_client"}},
		{"html", 502, "text/html", "<html>bad gateway</html>", nil},
		{"empty", 503, "", "", nil},
		{"json without error", 400, "application/json", `{"foo":1}`, nil},
		{"broken json with error first", 400, "application/json", `{"error":"slow_down",`, &ServiceError{StatusCode: 400, Code: "slow_down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseErrorReply(tt.status, tt.contentType, []byte(tt.body))
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
			if got == nil {
				return
			}
			if got.Code != tt.want.Code || got.Description != tt.want.Description || got.StatusCode != tt.want.StatusCode ||
				got.TraceID != tt.want.TraceID || got.CorrelationID != tt.want.CorrelationID || got.Timestamp != tt.want.Timestamp ||
				got.ErrorURI != tt.want.ErrorURI || !equalInts(got.ErrorCodes, tt.want.ErrorCodes) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
			if s := got.Error(); strings.ContainsAny(s, "\r\n") {
				t.Errorf("Error() is not one line: %q", s)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func jwt(payload string) string {
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
}

func TestParseIDTokenClaims(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		want    Account
		wantErr string
	}{
		{"entra", jwt(`{"preferred_username":"ada@contoso.com","name":"Ada","oid":"o1","tid":"t1","sub":"s"}`), Account{Username: "ada@contoso.com", Name: "Ada", ObjectID: "o1", TenantID: "t1"}, ""},
		{"generic falls back to email and sub", jwt(`{"email":"bob@example.org","sub":"s2"}`), Account{Username: "bob@example.org", ObjectID: "s2"}, ""},
		{"padded payload", "a." + base64.URLEncoding.EncodeToString([]byte(`{"name":"x"}`)) + ".", Account{Name: "x"}, ""},
		{"two parts", "a.b", Account{}, "not a JWT"},
		{"bad base64", "a.!!!.c", Account{}, "base64url"},
		{"not json", "a." + base64.RawURLEncoding.EncodeToString([]byte("hello")) + ".c", Account{}, "JSON"},
		{"wrong claim type", jwt(`{"name":5}`), Account{}, "JSON"},
		{"huge", strings.Repeat("a", maxJWT+1), Account{}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDTokenClaims(tt.token)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseClientInfo(t *testing.T) {
	enc := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) } // Entra pads
	tests := []struct {
		in, want, wantErr string
	}{
		{enc(`{"uid":"u1","utid":"t1"}`), "u1.t1", ""},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"uid":"u1","utid":"t1"}`)), "u1.t1", ""},
		{enc(`{"uid":"u1"}`), "", "lacks uid or utid"},
		{enc(`[]`), "", "JSON"},
		{"***", "", "base64url"},
	}
	for _, tt := range tests {
		got, err := ParseClientInfo(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseClientInfo(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClientInfo(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDiscovery(t *testing.T) {
	ep, err := ParseDiscovery([]byte(`{"issuer":"https://idp","token_endpoint":"https://idp/token","device_authorization_endpoint":"https://idp/device","scopes_supported":["openid"]}`))
	if err != nil || ep != (Endpoints{"https://idp/device", "https://idp/token"}) {
		t.Fatalf("got %+v, %v", ep, err)
	}
	if _, err := ParseDiscovery([]byte(`{"token_endpoint":"https://idp/token"}`)); err == nil || !strings.Contains(err.Error(), "device_authorization_endpoint") {
		t.Errorf("missing device endpoint: %v", err)
	}
	if _, err := ParseDiscovery([]byte(`<html>`)); err == nil {
		t.Errorf("html accepted")
	}
}

func TestReadCapped(t *testing.T) {
	big := strings.NewReader(strings.Repeat("x", MaxBodySize+1))
	if _, err := readCapped(big, nil); !errors.Is(err, errTooLarge) {
		t.Errorf("body over the cap: %v", err)
	}
	ok := strings.NewReader(strings.Repeat("x", MaxBodySize))
	if b, err := readCapped(ok, nil); err != nil || len(b) != MaxBodySize {
		t.Errorf("body at the cap: %d, %v", len(b), err)
	}
}

func TestAppendForm(t *testing.T) {
	b := appendForm(nil, "grant_type", "urn:ietf:params:oauth:grant-type:device_code")
	b = appendForm(b, "scope", "openid profile https://graph.microsoft.com/.default")
	want := "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&scope=openid+profile+https%3A%2F%2Fgraph.microsoft.com%2F.default"
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}
