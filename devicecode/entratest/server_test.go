package entratest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	s     *Server
	clock *FakeClock
	hc    *http.Client
}

func newHarness(t *testing.T, opts Options) *harness {
	clock := NewFakeClock(epoch)
	opts.Clock = clock
	s := Start(opts)
	t.Cleanup(s.Close)
	return &harness{t: t, s: s, clock: clock, hc: s.Client()}
}

// post sends a form and decodes the JSON reply.
func (h *harness) post(path string, form url.Values) (int, map[string]any) {
	h.t.Helper()
	resp, err := h.hc.PostForm(h.s.URL()+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		h.t.Fatalf("%s: reply is not JSON: %q", path, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		h.t.Errorf("%s: content type %q", path, ct)
	}
	return resp.StatusCode, m
}

const (
	devPath   = "/" + TenantID + "/oauth2/v2.0/devicecode"
	tokenPath = "/" + TenantID + "/oauth2/v2.0/token"
)

func (h *harness) code(extra url.Values) map[string]any {
	h.t.Helper()
	form := url.Values{"client_id": {DefaultClientID}, "scope": {"User.Read openid profile offline_access"}}
	for k, v := range extra {
		form[k] = v
	}
	st, m := h.post(devPath, form)
	if st != 200 {
		h.t.Fatalf("devicecode: %d %v", st, m)
	}
	return m
}

func (h *harness) poll(device string) (int, map[string]any) {
	return h.post(tokenPath, url.Values{"grant_type": {grantDeviceCode}, "client_id": {DefaultClientID}, "device_code": {device}, "client_info": {"1"}})
}

var descRE = regexp.MustCompile(`^(?:AADSTS(\d+): )?.+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)

// checkError asserts Entra's error body shape.
func checkError(t *testing.T, st int, m map[string]any, wantStatus int, wantErr string, wantCode int) {
	t.Helper()
	if st != wantStatus || m["error"] != wantErr {
		t.Fatalf("got %d %v, want %d %s", st, m["error"], wantStatus, wantErr)
	}
	desc, _ := m["error_description"].(string)
	sub := descRE.FindStringSubmatch(desc)
	if sub == nil {
		t.Fatalf("error_description %q is not Entra's shape", desc)
	}
	codes, _ := m["error_codes"].([]any)
	if wantCode == 0 {
		if len(codes) != 0 || sub[1] != "" {
			t.Errorf("error_codes %v / description code %q, want none", codes, sub[1])
		}
	} else if len(codes) != 1 || codes[0] != float64(wantCode) || sub[1] != strconv.Itoa(wantCode) {
		t.Errorf("error_codes %v, description code %q, want %d", codes, sub[1], wantCode)
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
	if !strings.Contains(desc, m["trace_id"].(string)) || !strings.Contains(desc, m["correlation_id"].(string)) {
		t.Errorf("ids in the description differ from the fields")
	}
}

func TestDeviceCodeReply(t *testing.T) {
	h := newHarness(t, Options{TLS: true})
	m := h.code(nil)
	if m["expires_in"] != float64(900) || m["interval"] != float64(5) || m["verification_uri"] != DefaultVerificationURI {
		t.Errorf("reply %v", m)
	}
	uc := m["user_code"].(string)
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(uc) {
		t.Errorf("user code %q", uc)
	}
	if !strings.Contains(m["message"].(string), uc) || m["verification_uri_complete"] != nil {
		t.Errorf("message %q / complete %v", m["message"], m["verification_uri_complete"])
	}
	if got := h.s.UserCodes(); len(got) != 1 || got[0] != uc {
		t.Errorf("UserCodes = %v", got)
	}

	h1 := newHarness(t, Options{V1: true})
	m = h1.code(nil)
	if m["expires_in"] != "900" || m["interval"] != "5" || m["verification_url"] != DefaultVerificationURI || m["verification_uri"] != nil {
		t.Errorf("v1 reply %v", m)
	}
}

func TestPollLifecycle(t *testing.T) {
	h := newHarness(t, Options{TLS: true})
	m := h.code(nil)
	dev, uc := m["device_code"].(string), m["user_code"].(string)
	h.clock.Advance(5 * time.Second)
	st, r := h.poll(dev)
	checkError(t, st, r, 400, "authorization_pending", 70016)
	if err := h.s.Approve(strings.ToLower(strings.ReplaceAll(uc, "-", ""))); err != nil {
		t.Fatalf("Approve with lower case, no hyphen: %v", err)
	}
	if len(h.s.UserCodes()) != 0 {
		t.Errorf("approved code still listed")
	}
	st, r = h.poll(dev)
	if st != 200 || r["token_type"] != "Bearer" || r["access_token"] == nil || r["refresh_token"] == nil || r["expires_in"] != float64(3600) {
		t.Fatalf("token reply %d %v", st, r)
	}
	// id token: unsigned JWT with the claims.
	parts := strings.Split(r["id_token"].(string), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	if claims["preferred_username"] != DefaultUser.Username || claims["oid"] != DefaultUser.ObjectID || claims["tid"] != TenantID || claims["aud"] != DefaultClientID {
		t.Errorf("claims %v", claims)
	}
	ci, _ := base64.RawURLEncoding.DecodeString(r["client_info"].(string))
	if string(ci) != `{"uid":"`+DefaultUser.ObjectID+`","utid":"`+TenantID+`"}` {
		t.Errorf("client_info %s", ci)
	}
	st, r = h.poll(dev)
	checkError(t, st, r, 400, "invalid_grant", 54005)
	if err := h.s.Approve(uc); !errors.Is(err, ErrUnknownCode) {
		t.Errorf("approving a used code: %v", err)
	}
}

func TestDeclineExpireBadCode(t *testing.T) {
	h := newHarness(t, Options{ExpiresIn: time.Minute})
	m := h.code(nil)
	h.s.Decline(m["user_code"].(string))
	st, r := h.poll(m["device_code"].(string))
	checkError(t, st, r, 400, "authorization_declined", 70000)

	m = h.code(nil)
	h.s.Expire(m["user_code"].(string))
	st, r = h.poll(m["device_code"].(string))
	checkError(t, st, r, 400, "expired_token", 70019)

	m = h.code(nil)
	h.clock.Advance(time.Minute)
	st, r = h.poll(m["device_code"].(string))
	checkError(t, st, r, 400, "expired_token", 70019)
	if err := h.s.Approve(m["user_code"].(string)); !errors.Is(err, ErrUnknownCode) {
		t.Errorf("approving an expired code: %v", err)
	}

	st, r = h.poll("nonsense")
	checkError(t, st, r, 400, "bad_verification_code", 70018)

	hv1 := newHarness(t, Options{V1: true})
	m = hv1.code(nil)
	hv1.s.Expire(m["user_code"].(string))
	st, r = hv1.poll(m["device_code"].(string))
	checkError(t, st, r, 400, "code_expired", 70019)
}

func TestRefreshGrant(t *testing.T) {
	h := newHarness(t, Options{RevokeRotated: true, TokenLifetime: 10 * time.Minute, RefreshIn: 5 * time.Minute, ApproveAfterPolls: 1})
	m := h.code(nil)
	_, r := h.poll(m["device_code"].(string))
	if r["expires_in"] != float64(600) || r["refresh_in"] != float64(300) {
		t.Errorf("lifetimes %v %v", r["expires_in"], r["refresh_in"])
	}
	rt := r["refresh_token"].(string)
	refresh := func(rt, scope string) (int, map[string]any) {
		return h.post(tokenPath, url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID}, "refresh_token": {rt}, "scope": {scope}})
	}
	st, r := refresh(rt, "https://storage.azure.com/user_impersonation openid profile offline_access")
	if st != 200 || r["scope"] != "https://storage.azure.com/user_impersonation openid profile" || r["refresh_token"] == rt {
		t.Fatalf("refresh %d %v", st, r)
	}
	newRT := r["refresh_token"].(string)
	st, r = refresh(rt, "openid")
	checkError(t, st, r, 400, "invalid_grant", 70000)
	st, r = refresh(newRT, "https://storage.azure.com/user_impersonation https://graph.microsoft.com/User.Read")
	checkError(t, st, r, 400, "invalid_scope", 28000)
	h.s.RevokeRefreshTokens(0)
	st, r = refresh(newRT, "openid")
	checkError(t, st, r, 400, "invalid_grant", 700082)
	st, r = refresh("unknown", "openid")
	checkError(t, st, r, 400, "invalid_grant", 9002313)
}

// A Graph scope that does not exist is refused at the token endpoint too.
func TestRefreshUnknownGraphScope(t *testing.T) {
	h := newHarness(t, Options{ApproveAfterPolls: 1})
	m := h.code(nil)
	_, r := h.poll(m["device_code"].(string))
	refresh := func(scope string) (int, map[string]any) {
		return h.post(tokenPath, url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID}, "refresh_token": {r["refresh_token"].(string)}, "scope": {scope}})
	}
	st, e := refresh("Mail.Sned offline_access")
	checkError(t, st, e, 400, "invalid_scope", 70011)
	if st, ok := refresh("Mail.Send offline_access"); st != 200 || ok["access_token"] == nil {
		t.Errorf("a scope that exists, refused: %d %v", st, ok)
	}
}

func TestConfigurationErrors(t *testing.T) {
	h := newHarness(t, Options{PublicClientDisabled: true, ApproveAfterPolls: 1})
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		err    string
		code   int
	}{
		{"common", "/common/oauth2/v2.0/devicecode", url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request", 50059},
		{"consumers", "/consumers/oauth2/v2.0/devicecode", url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request", 90133},
		{"unknown tenant", "/fabrikam.com/oauth2/v2.0/devicecode", url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request", 90002},
		{"unknown client", devPath, url.Values{"client_id": {"nobody"}}, 400, "unauthorized_client", 700016},
		{"no client", devPath, url.Values{}, 400, "invalid_request", 900144},
		{"no scope", devPath, url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request", 900144},
		{"blank scope", devPath, url.Values{"client_id": {DefaultClientID}, "scope": {" "}}, 400, "invalid_request", 900144},
		{"graph scope that does not exist", devPath, url.Values{"client_id": {DefaultClientID}, "scope": {"openid User.Raed offline_access"}}, 400, "invalid_scope", 70011},
		{"graph URL scope that does not exist", devPath, url.Values{"client_id": {DefaultClientID}, "scope": {"https://graph.microsoft.com/Mail.Reed"}}, 400, "invalid_scope", 70011},
		{"secret sent", devPath, url.Values{"client_id": {DefaultClientID}, "client_secret": {"s"}}, 401, "invalid_client", 700025},
		{"no grant type", tokenPath, url.Values{"client_id": {DefaultClientID}}, 400, "invalid_request", 900144},
		{"bad grant type", tokenPath, url.Values{"client_id": {DefaultClientID}, "grant_type": {"password"}}, 400, "unsupported_grant_type", 70003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, m := h.post(tt.path, tt.form)
			checkError(t, st, m, tt.status, tt.err, tt.code)
		})
	}
	// /organizations takes the device code flow (any work or school
	// account; the Azure CLI signs in there), unlike /common.
	t.Run("organizations", func(t *testing.T) {
		st, m := h.post("/organizations/oauth2/v2.0/devicecode", url.Values{"client_id": {DefaultClientID}, "scope": {"openid offline_access"}})
		if st != 200 || m["user_code"] == nil || m["device_code"] == nil {
			t.Fatalf("status %d, reply %v; want a device code", st, m)
		}
	})
	t.Run("public client flows disabled", func(t *testing.T) {
		m := h.code(nil)
		st, r := h.poll(m["device_code"].(string))
		checkError(t, st, r, 401, "invalid_client", 7000218)
	})
	t.Run("scopes that exist", func(t *testing.T) {
		for _, scope := range []string{
			"user.read", // Entra compares scopes without case
			"https://graph.microsoft.com/.default openid",
			"https://storage.azure.com/user_impersonation", // another resource: not checked
			"api://boardlogin-iot/telemetry.write offline_access",
		} {
			st, m := h.post(devPath, url.Values{"client_id": {DefaultClientID}, "scope": {scope}})
			if st != 200 || m["user_code"] == nil {
				t.Errorf("scope %q refused: %d %v", scope, st, m)
			}
		}
	})
	t.Run("the description names the scope", func(t *testing.T) {
		_, m := h.post(devPath, url.Values{"client_id": {DefaultClientID}, "scope": {"User.Raed"}})
		if d, _ := m["error_description"].(string); !strings.HasPrefix(d, "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope 'User.Raed' does not exist.\r\n") {
			t.Errorf("error_description = %q", d)
		}
	})
	t.Run("tenant by domain", func(t *testing.T) {
		st, m := h.post("/"+TenantDomain+"/oauth2/v2.0/devicecode", url.Values{"client_id": {DefaultClientID}, "scope": {"User.Read"}})
		if st != 200 || m["user_code"] == nil {
			t.Errorf("domain tenant refused: %d %v", st, m)
		}
	})
	t.Run("unknown path and method", func(t *testing.T) {
		resp, err := h.hc.Get(h.s.URL() + tokenPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Errorf("GET token: %d", resp.StatusCode)
		}
		resp, _ = h.hc.Get(h.s.URL() + "/nope")
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("unknown path: %d", resp.StatusCode)
		}
	})
}

func TestDiscoveryDocument(t *testing.T) {
	h := newHarness(t, Options{TLS: true})
	resp, err := h.hc.Get(h.s.URL() + "/" + TenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	if doc["device_authorization_endpoint"] != h.s.URL()+devPath || doc["token_endpoint"] != h.s.URL()+tokenPath {
		t.Errorf("doc %v", doc)
	}
}

func TestScriptAndRecords(t *testing.T) {
	var seen []Record
	h := newHarness(t, Options{
		Script: func(r Request) *Reply {
			if r.Endpoint == EndpointToken && r.Polls == 2 {
				return &SlowDown
			}
			return nil
		},
		OnRequest: func(r Record) { seen = append(seen, r) },
	})
	m := h.code(nil)
	dev := m["device_code"].(string)
	h.s.Enqueue(EndpointToken, TooManyRequests(30*time.Second))
	h.clock.Advance(5 * time.Second)
	resp, err := h.hc.PostForm(h.s.URL()+tokenPath, url.Values{"grant_type": {grantDeviceCode}, "client_id": {DefaultClientID}, "device_code": {dev}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" {
		t.Errorf("scripted 429: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	h.clock.Advance(30 * time.Second)
	st, r := h.poll(dev)
	checkError(t, st, r, 400, "slow_down", 0)
	st, r = h.poll(dev)
	checkError(t, st, r, 400, "authorization_pending", 70016)
	recs := h.s.Requests()
	if len(recs) != 4 || len(seen) != 4 {
		t.Fatalf("%d records, %d seen", len(recs), len(seen))
	}
	want := []struct {
		ep  Endpoint
		at  time.Duration
		st  int
		err string
	}{{EndpointDeviceCode, 0, 200, ""}, {EndpointToken, 5 * time.Second, 429, "temporarily_unavailable"}, {EndpointToken, 35 * time.Second, 400, "slow_down"}, {EndpointToken, 35 * time.Second, 400, "authorization_pending"}}
	for i, w := range want {
		r := recs[i]
		if r.Endpoint != w.ep || r.Time.Sub(epoch) != w.at || r.Status != w.st || r.Error != w.err || r.ClientID != DefaultClientID {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
	}
	if recs[0].Scope != "User.Read openid profile offline_access" || !recs[3].HasClientInfo || recs[1].HasClientInfo {
		t.Errorf("scope/client_info not recorded: %+v", recs)
	}
	if h.s.Polls(m["user_code"].(string)) != 3 {
		t.Errorf("Polls = %d", h.s.Polls(m["user_code"].(string)))
	}
}

func TestEnforceInterval(t *testing.T) {
	h := newHarness(t, Options{EnforceInterval: true})
	m := h.code(nil)
	dev := m["device_code"].(string)
	h.clock.Advance(4 * time.Second)
	st, r := h.poll(dev)
	checkError(t, st, r, 400, "slow_down", 0)
	h.clock.Advance(9 * time.Second) // interval is now 10 s
	st, r = h.poll(dev)
	checkError(t, st, r, 400, "slow_down", 0)
	h.clock.Advance(15 * time.Second)
	st, r = h.poll(dev)
	checkError(t, st, r, 400, "authorization_pending", 70016)
}

// TestDeviceCodeGrantSpellings: Entra ID accepts the RFC 8628 URN and the
// short "device_code" that MSAL Go sends; both poll the same code, and the
// record keeps which one was sent.
func TestDeviceCodeGrantSpellings(t *testing.T) {
	tests := []struct {
		name, grant, wantSent string
		wantStatus            int
		wantErr               string
	}{
		{name: "RFC 8628 URN", grant: GrantDeviceCode, wantSent: GrantDeviceCode, wantStatus: 200},
		{name: "MSAL short form", grant: GrantDeviceCodeShort, wantSent: GrantDeviceCodeShort, wantStatus: 200},
		{name: "unknown grant", grant: "device-code", wantSent: "device-code", wantStatus: 400, wantErr: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var scripted []Request
			h := newHarness(t, Options{Script: func(r Request) *Reply {
				scripted = append(scripted, r)
				return nil
			}})
			m := h.code(nil)
			dev := m["device_code"].(string)
			h.clock.Advance(5 * time.Second)
			form := url.Values{"grant_type": {tt.grant}, "client_id": {DefaultClientID}, "device_code": {dev}}
			st, r := h.post(tokenPath, form)
			if st != 400 || (tt.wantErr == "" && r["error"] != "authorization_pending") || (tt.wantErr != "" && r["error"] != tt.wantErr) {
				t.Fatalf("pending poll: %d %v", st, r["error"])
			}
			if tt.wantErr == "" {
				if err := h.s.Approve(m["user_code"].(string)); err != nil {
					t.Fatal(err)
				}
				st, r = h.post(tokenPath, form)
				if st != tt.wantStatus || r["access_token"] == nil {
					t.Fatalf("approved poll: %d %v", st, r["error"])
				}
				if got := h.s.Polls(m["user_code"].(string)); got != 2 {
					t.Errorf("Polls = %d, want 2", got)
				}
			}
			recs := h.s.Requests()
			for _, rec := range recs[1:] {
				wantGrant := GrantDeviceCode
				if tt.wantErr != "" {
					wantGrant = tt.grant
				}
				if rec.GrantType != wantGrant || rec.GrantTypeSent != tt.wantSent {
					t.Errorf("record grant %q sent %q, want %q sent %q", rec.GrantType, rec.GrantTypeSent, wantGrant, tt.wantSent)
				}
			}
			if len(scripted) != len(recs) {
				t.Fatalf("Script saw %d requests, %d recorded", len(scripted), len(recs))
			}
			if last := scripted[len(scripted)-1]; last.GrantTypeSent != tt.wantSent {
				t.Errorf("Script saw grant %q, want %q", last.GrantTypeSent, tt.wantSent)
			}
		})
	}
}

// TestInTheWayReplies: the replies of a captive portal or proxy are what
// their names say, and the portal's page is served where the redirect
// points.
func TestInTheWayReplies(t *testing.T) {
	tests := []struct {
		name       string
		reply      Reply
		wantStatus int // after redirects, as http.Client sees it
		wantType   string
		wantBody   string
	}{
		{name: "captive portal page", reply: CaptivePortal, wantStatus: 200, wantType: "text/html", wantBody: "<!DOCTYPE html>"},
		{name: "redirect to the portal", reply: CaptiveRedirect, wantStatus: 200, wantType: "text/html", wantBody: "Hotel WiFi"},
		{name: "proxy 502", reply: ProxyPage(502), wantStatus: 502, wantType: "text/html", wantBody: "502 Bad Gateway"},
		{name: "proxy 504", reply: ProxyPage(504), wantStatus: 504, wantType: "text/html", wantBody: "504 Gateway Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.s.Enqueue(EndpointToken, tt.reply)
			resp, err := h.hc.PostForm(h.s.URL()+tokenPath, url.Values{"grant_type": {GrantDeviceCode}, "client_id": {DefaultClientID}, "device_code": {"x"}})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("got %d %q %.60q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if recs := h.s.Requests(); len(recs) != 1 || recs[0].Status != tt.reply.Status {
				t.Errorf("records %+v, want one with status %d", recs, tt.reply.Status)
			}
		})
	}
}

// As Entra documents the device code flow's success reply: a refresh token
// only when offline_access was asked for, an ID token only for openid.
func TestRefreshAndIDTokenOnlyWhenAskedFor(t *testing.T) {
	for _, tt := range []struct {
		scope               string
		wantRefresh, wantID bool
	}{
		{"User.Read openid profile offline_access", true, true},
		{"User.Read offline_access", true, false},
		{"User.Read openid", false, true},
		{"User.Read", false, false},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			h := newHarness(t, Options{ApproveAfterPolls: 1})
			m := h.code(url.Values{"scope": {tt.scope}})
			h.clock.Advance(6 * time.Second)
			st, r := h.poll(m["device_code"].(string))
			if st != 200 {
				t.Fatalf("poll: %d %v", st, r)
			}
			_, hasRefresh := r["refresh_token"]
			_, hasID := r["id_token"]
			if hasRefresh != tt.wantRefresh || hasID != tt.wantID {
				t.Errorf("refresh token %v, id token %v; want %v, %v", hasRefresh, hasID, tt.wantRefresh, tt.wantID)
			}
		})
	}
}
