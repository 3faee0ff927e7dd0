package devicecode_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

func TestAuthorityEndpoints(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		name       string
		auth       devicecode.Authority
		wantDevice string
		wantToken  string
	}{
		{"public cloud guid", devicecode.Authority{Tenant: tid}, "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/devicecode", "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/token"},
		{"public cloud domain", devicecode.Authority{Tenant: "contoso.onmicrosoft.com"}, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"},
		{"us government", devicecode.Authority{Tenant: tid, Host: devicecode.HostUSGovernment}, "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/devicecode", "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/token"},
		{"china", devicecode.Authority{Tenant: tid, Host: devicecode.HostChina}, "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/devicecode", "https://login.chinacloudapi.cn/" + tid + "/oauth2/v2.0/token"},
		{"china partner", devicecode.Authority{Tenant: tid, Host: devicecode.HostChinaPartner}, "https://login.partner.microsoftonline.cn/" + tid + "/oauth2/v2.0/devicecode", "https://login.partner.microsoftonline.cn/" + tid + "/oauth2/v2.0/token"},
		{"host as url", devicecode.Authority{Tenant: tid, Host: "https://login.microsoftonline.us/"}, "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/devicecode", "https://login.microsoftonline.us/" + tid + "/oauth2/v2.0/token"},
		{"explicit", devicecode.Authority{DeviceAuthorizationURL: "https://idp.example/device", TokenURL: "https://idp.example/token"}, "https://idp.example/device", "https://idp.example/token"},
		{"explicit http on loopback", devicecode.Authority{DeviceAuthorizationURL: "http://127.0.0.1:3000/device", TokenURL: "http://[::1]:3000/token"}, "http://127.0.0.1:3000/device", "http://[::1]:3000/token"},
		{"localhost", devicecode.Authority{DeviceAuthorizationURL: "http://localhost/device", TokenURL: "http://localhost/token"}, "http://localhost/device", "http://localhost/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := devicecode.New(devicecode.Config{ClientID: "app", Authority: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			ep, err := c.Endpoints(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ep.DeviceAuthorizationURL != tt.wantDevice || ep.TokenURL != tt.wantToken {
				t.Errorf("got %+v", ep)
			}
		})
	}
}

func TestConfigRefused(t *testing.T) {
	tests := []struct {
		name string
		cfg  devicecode.Config
		want string
	}{
		{"no client id", devicecode.Config{Authority: devicecode.Authority{Tenant: "contoso.com"}}, "ClientID: missing"},
		{"no authority", devicecode.Config{ClientID: "app"}, "Authority: missing"},
		{"common", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "common"}}, "AADSTS50059"},
		{"organizations", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "Organizations"}}, "configure a tenant id or domain"},
		{"consumers", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "consumers"}}, "90133"},
		{"tenant with slash", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "a/b"}}, "not a tenant id or domain"},
		{"http host", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com", Host: "http://login.example.com"}}, "http is refused except on loopback"},
		{"http issuer", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "http://idp.example.com"}}, "http is refused"},
		{"http lookalike loopback", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "http://127.0.0.1.example.com"}}, "http is refused"},
		{"ftp", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "ftp://idp"}}, "scheme must be https"},
		{"relative", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "idp.example.com"}}, "not an absolute URL"},
		{"user info", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "https://u:p@idp"}}, "user info"},
		{"half explicit", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{TokenURL: "https://idp/token"}}, "both"},
		{"two kinds", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com", Issuer: "https://idp"}}, "only one"},
		{"unnamed profile", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com"}, Profiles: []devicecode.Profile{{}}}, "Profiles[0].Name"},
		{"duplicate profile", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com"}, Profiles: []devicecode.Profile{{Name: "a"}, {Name: "a"}}}, "duplicate"},
		{"scope with space", devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com"}, Profiles: []devicecode.Profile{{Name: "a", Scopes: []string{"a b"}}}}, "one scope per entry"},
		{"two resources in a profile", entraProfiles(devicecode.Profile{Name: "graph", Scopes: []string{"openid", "https://graph.microsoft.com/User.Read", "https://storage.azure.com/user_impersonation"}}),
			`Profiles[0].Scopes: scopes of two resources, https://graph.microsoft.com and https://storage.azure.com: Entra ID issues a token for one resource at a time`},
		{"two apps in a profile", entraProfiles(devicecode.Profile{Name: "iot"}, devicecode.Profile{Name: "apis", Scopes: []string{"api://a/read", "api://B/write"}}),
			`Profiles[1].Scopes: scopes of two resources, api://a and api://b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := devicecode.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !devicecode.IsConfigError(err) {
				t.Errorf("IsConfigError(%v) = false", err)
			}
			if !strings.HasPrefix(err.Error(), "devicecode: ") || strings.ContainsAny(err.Error(), "\n") {
				t.Errorf("error format: %q", err)
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Errorf("credentials in the error")
			}
		})
	}
	if _, err := devicecode.New(devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "common"}, AllowMultiTenant: true}); err != nil {
		t.Errorf("common with AllowMultiTenant: %v", err)
	}
}

// entraProfiles is an Entra configuration with profiles.
func entraProfiles(p ...devicecode.Profile) devicecode.Config {
	return devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "contoso.com"}, Profiles: p}
}

// Scopes of one resource pass, however they are written; what only Entra
// can tell apart (a bare scope, an application id) is left to it.
func TestOneResourcePerProfileAccepted(t *testing.T) {
	for _, scopes := range [][]string{
		{"https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/Mail.Send", "openid", "profile", "offline_access"},
		{"HTTPS://Graph.Microsoft.com/User.Read", "https://graph.microsoft.com/.default"},
		{"https://database.windows.net//.default", "https://database.windows.net/user_impersonation"},
		{"api://boardlogin-iot/telemetry.write", "api://boardlogin-iot/.default"},
		{"User.Read", "https://storage.azure.com/user_impersonation"},                               // bare: Graph of whichever cloud; Entra decides
		{"00000003-0000-0000-c000-000000000000/User.Read", "https://graph.microsoft.com/Mail.Read"}, // an app id and its URI
	} {
		if _, err := devicecode.New(entraProfiles(devicecode.Profile{Name: "p", Scopes: scopes})); err != nil {
			t.Errorf("%q refused: %v", scopes, err)
		}
	}
	// Another provider's scopes mean what it says they mean.
	generic := devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: "https://idp.example.com"},
		Profiles: []devicecode.Profile{{Name: "p", Scopes: []string{"https://a.example/x", "https://b.example/y"}}}}
	if _, err := devicecode.New(generic); err != nil {
		t.Errorf("generic provider refused: %v", err)
	}
}

// TestMultiTenantRefusedBeforeAnyRequest: even allowed locally, the server
// answers /common as Entra does, and the error says what to configure.
func TestCommonTenantOnTheServer(t *testing.T) {
	srv := entratest.Start(entratest.Options{TLS: true})
	defer srv.Close()
	c, err := devicecode.New(devicecode.Config{ClientID: entratest.DefaultClientID, AllowMultiTenant: true,
		Authority: devicecode.Authority{Tenant: "common", Host: srv.URL()}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RequestCode(context.Background())
	if !devicecode.IsConfigError(err) || !strings.Contains(err.Error(), "configure a tenant id or domain") {
		t.Fatalf("err = %v", err)
	}
}

// /organizations takes the device code flow (any work or school account),
// so with AllowMultiTenant a board signs in there.
func TestOrganizationsTenantSignsIn(t *testing.T) {
	e := newEnv(t, entratest.Options{}, func(c *devicecode.Config) {
		c.Authority.Tenant, c.AllowMultiTenant = "organizations", true
	})
	if tok := signIn(t, e); tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatal("no tokens from a sign-in on /organizations")
	}
	if _, err := devicecode.New(devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Tenant: "organizations"}}); err == nil ||
		!strings.Contains(err.Error(), "any work or school tenant") {
		t.Errorf("New without AllowMultiTenant = %v; want it refused, saying why", err)
	}
}

func TestDiscovery(t *testing.T) {
	srv := entratest.Start(entratest.Options{TLS: true, ApproveAfterPolls: 1})
	defer srv.Close()
	clock := entratest.NewFakeClock(epoch)
	c, err := devicecode.New(devicecode.Config{
		ClientID:   entratest.DefaultClientID,
		Authority:  devicecode.Authority{Issuer: srv.URL() + "/" + entratest.TenantDomain + "/v2.0"},
		HTTPClient: srv.Client(),
		Clock:      clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dc, err := c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollToken(ctx, dc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(ctx, devicecode.DefaultProfile); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointDiscovery {
			n++
		}
	}
	if n != 1 {
		t.Errorf("discovery fetched %d times, want 1", n)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	var body atomic.Value
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().(string)
		if b == "404" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(b))
	}))
	defer ts.Close()
	tests := []struct{ body, want string }{
		{`{"token_endpoint":"https://idp/token"}`, "no device_authorization_endpoint"},
		{`{"token_endpoint":"http://idp.example/token","device_authorization_endpoint":"https://idp/device"}`, "http is refused"},
		{"404", "http 404"},
		{strings.Repeat(" ", devicecode.MaxBodySize+10), "larger than"},
	}
	for _, tt := range tests {
		body.Store(tt.body)
		c, err := devicecode.New(devicecode.Config{ClientID: "app", Authority: devicecode.Authority{Issuer: ts.URL}, HTTPClient: ts.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RequestCode(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("body %.40q: err = %v, want %q", tt.body, err, tt.want)
		}
	}
}

func TestRequestCode(t *testing.T) {
	tests := []struct {
		name  string
		opts  entratest.Options
		check func(t *testing.T, dc *devicecode.DeviceCode)
	}{
		{"entra v2", entratest.Options{}, func(t *testing.T, dc *devicecode.DeviceCode) {
			if dc.VerificationURI != entratest.DefaultVerificationURI || dc.Interval != 5*time.Second || dc.ExpiresAt != epoch.Add(900*time.Second) {
				t.Errorf("got %v", dc)
			}
			if !strings.Contains(dc.Message, dc.UserCode) || dc.VerificationURIComplete != "" {
				t.Errorf("message %q, complete %q", dc.Message, dc.VerificationURIComplete)
			}
		}},
		{"v1 strings and verification_url", entratest.Options{V1: true, Interval: 7 * time.Second}, func(t *testing.T, dc *devicecode.DeviceCode) {
			if dc.VerificationURI != entratest.DefaultVerificationURI || dc.Interval != 7*time.Second {
				t.Errorf("got %v", dc)
			}
		}},
		{"generic provider fields", entratest.Options{VerificationURIComplete: true, OmitInterval: true, VerificationURI: "https://microsoft.com/deviceloginus"}, func(t *testing.T, dc *devicecode.DeviceCode) {
			if dc.Interval != 5*time.Second || !strings.HasPrefix(dc.VerificationURIComplete, "https://microsoft.com/deviceloginus?code=") {
				t.Errorf("got %v %q", dc, dc.VerificationURIComplete)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts, nil)
			dc, err := e.c.RequestCode(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, dc)
		})
	}
	errTests := []struct {
		name  string
		reply entratest.Reply
		opts  entratest.Options
		cfg   func(*devicecode.Config)
		want  string
		class func(error) bool
	}{
		{name: "200 with error", reply: entratest.Reply{Status: 200, Error: "invalid_request", AADSTS: 90133, Description: "Device Code flow is not supported under /common or /consumers endpoint."}, want: "AADSTS90133", class: devicecode.IsConfigError},
		{name: "200 without user code", reply: entratest.Malformed(200, `{"device_code":"x"}`), want: "no user_code"},
		{name: "html page", reply: entratest.Malformed(200, `<html>`), want: "not a JSON object"},
		{name: "5xx", reply: entratest.ServerError(503), want: "http 503", class: devicecode.IsTransient},
		{name: "closed", reply: entratest.CloseConn, want: "device authorization request failed", class: devicecode.IsTransient},
		{name: "unknown client", cfg: func(c *devicecode.Config) { c.ClientID = "nobody" }, want: "check the client id", class: devicecode.IsConfigError},
		{name: "unknown tenant", cfg: func(c *devicecode.Config) { c.Authority.Tenant = "fabrikam.com" }, want: "AADSTS90002", class: devicecode.IsConfigError},
		{name: "policy", reply: entratest.Reply{Error: "access_denied", AADSTS: 53003, Description: "Access has been blocked by Conditional Access policies."}, want: "ask the tenant admin", class: devicecode.IsBlockedByPolicy},
		{name: "huge body", reply: entratest.Malformed(200, strings.Repeat(" ", devicecode.MaxBodySize+1)), want: "larger than"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts, tt.cfg)
			if tt.reply.Status != 0 || tt.reply.Error != "" || tt.reply.Close || tt.reply.Body != "" {
				e.srv.Enqueue(entratest.EndpointDeviceCode, tt.reply)
			}
			_, err := e.c.RequestCode(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.class != nil && !tt.class(err) {
				t.Errorf("wrong class for %v", err)
			}
		})
	}
}

// TestRedaction prints tokens and device codes every way a program might
// and checks that no secret comes out.
func TestRedaction(t *testing.T) {
	e := newEnv(t, entratest.Options{}, nil)
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret := e.srv.DeviceCode(dc.UserCode)
	e.srv.Approve(dc.UserCode)
	tok, err := e.c.PollToken(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, v := range []any{dc, *dc, tok, *tok} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out.WriteString(sprintf(verb, v) + "\n")
		}
	}
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	logger.Info("code", "dc", dc, "token", tok)
	slog.New(slog.NewTextHandler(&out, nil)).Info("code", "dc", *dc, "token", *tok)
	s := out.String()
	for name, sec := range map[string]string{"device code": secret, "access token": tok.AccessToken, "refresh token": tok.RefreshToken, "id token": tok.IDToken} {
		if sec == "" || strings.Contains(s, sec) {
			t.Errorf("%s printed (or empty)", name)
		}
	}
	if !strings.Contains(s, dc.UserCode) || !strings.Contains(s, "[redacted]") {
		t.Errorf("the user code (public) should print, secrets as [redacted]:\n%s", s)
	}
}
