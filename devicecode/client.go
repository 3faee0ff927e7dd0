package devicecode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/sysroots"
)

// DefaultRequestTimeout bounds each HTTP round trip (discovery, device
// authorization, one poll, one refresh) when Config.RequestTimeout is zero.
const DefaultRequestTimeout = 30 * time.Second

// DefaultProfile is the profile name used when Config.Profiles is empty.
const DefaultProfile = "default"

// oidcScopes are added to every request as MSAL does: openid for the id
// token (the account), profile for the user's name, offline_access for the
// refresh token that serves every profile without a new sign-in.
var oidcScopes = []string{"openid", "profile", "offline_access"}

// Profile is a named scope set for one resource (Entra issues a token for
// one resource per request). The first profile's scopes go with the device
// code request; the others are obtained with the refresh token.
type Profile struct {
	Name   string   // e.g. "graph"; used as the cache key and MQTT topic
	Scopes []string // e.g. ["https://graph.microsoft.com/User.Read"]
}

// Cache persists the sign-in. *tokencache.File implements it.
type Cache interface {
	Load() (*tokencache.Snapshot, error)
	Save(*tokencache.Snapshot) (written bool, err error)
	Remove() error
}

var _ Cache = (*tokencache.File)(nil)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// ClientID is the application (client) id of a public client
	// registration. Required. No secret is ever sent.
	ClientID string
	// Authority says where the endpoints are. Required.
	Authority Authority
	// Profiles are the token profiles served from one sign-in. Default: one
	// profile named DefaultProfile with only the OpenID scopes.
	Profiles []Profile
	// HTTPClient makes the requests. Default: a keep-alive HTTP/1.1 client
	// with the system roots (one connection is enough for a poll every few
	// seconds, and HTTP/1.1 costs less memory per request than HTTP/2).
	// The default client reads the system roots at each handshake and
	// keeps none of them (crypto/x509's pool costs about 3 MB on Debian),
	// so it verifies servers by name only: an endpoint addressed by IP
	// needs RootCAs. A client with a cookie jar is used as is, except that
	// no client follows redirects: a 3xx is an *UnexpectedReplyError, so a
	// form carrying a device code or refresh token is never re-sent to
	// wherever a portal or proxy points.
	HTTPClient *http.Client
	// RootCAs, when set, replaces the system roots of the default HTTP
	// client (ignored with HTTPClient): trust only the provider's roots.
	RootCAs *x509.CertPool
	// Clock schedules polls and computes expiry. Default: SystemClock.
	Clock Clock
	// RequestTimeout bounds each round trip. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Cache persists the sign-in; nil keeps it in memory only. It is
	// written once after a sign-in and after each refresh, never while
	// polling (flash wear).
	Cache Cache
	// AllowMultiTenant permits the tenants common, organizations and
	// consumers. Entra refuses the device code flow on common and
	// consumers for most registrations (AADSTS50059, 90133); organizations
	// takes it and signs in an account of any work or school tenant.
	AllowMultiTenant bool
	// Logf receives diagnostics (never a secret). Default: discarded.
	Logf func(format string, args ...any)
}

// Client runs the device code flow and serves tokens for every profile
// from one sign-in. Its methods are safe for concurrent use; refreshes are
// serialized because every refresh rotates the refresh token.
type Client struct {
	cfg      Config
	clock    Clock
	hc       *http.Client
	rt       http.RoundTripper // our default transport, used directly; nil with Config.HTTPClient
	postTmpl atomic.Pointer[http.Request]
	header   http.Header // shared, read-only request header
	entra    bool        // speak Entra's dialect (client_info=1)
	profiles []Profile
	logf     func(format string, args ...any)

	epMu sync.Mutex
	ep   *resolved // nil until resolved

	sem     chan struct{} // held during a refresh or a state change
	loaded  bool
	account Account
	refresh string
	idToken string
	tokens  map[string]*Token
}

// resolved holds parsed endpoints.
type resolved struct {
	device, token *url.URL
	tokenURL      string
}

// New checks cfg and returns a Client. It makes no request: a tenant of
// "common" and the like, a missing client id or a non-https endpoint off
// loopback are refused here.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, &ConfigError{"ClientID", "missing: set the application (client) id of the app registration"}
	}
	if !validHostPart(cfg.ClientID) {
		return nil, &ConfigError{"ClientID", "contains spaces or control characters"}
	}
	if err := cfg.Authority.validate(cfg.AllowMultiTenant); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		clock:  cfg.Clock,
		hc:     cfg.HTTPClient,
		logf:   cfg.Logf,
		sem:    make(chan struct{}, 1),
		tokens: map[string]*Token{},
	}
	if c.cfg.RequestTimeout <= 0 {
		c.cfg.RequestTimeout = DefaultRequestTimeout
	}
	if c.clock == nil {
		c.clock = SystemClock{}
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient(cfg.RootCAs)
		c.rt = c.hc.Transport
	} else {
		// http.Client re-POSTs the form on a 307 or 308, even from https
		// to http: the device code or refresh token would go along.
		hc := *c.hc
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.hc = &hc
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	c.header = http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
	}
	c.profiles = cfg.Profiles
	if len(c.profiles) == 0 {
		c.profiles = []Profile{{Name: DefaultProfile}}
	}
	seen := map[string]bool{}
	for i, p := range c.profiles {
		if p.Name == "" {
			return nil, &ConfigError{fmt.Sprintf("Profiles[%d].Name", i), "missing: name every token profile"}
		}
		if seen[p.Name] {
			return nil, &ConfigError{fmt.Sprintf("Profiles[%d].Name", i), fmt.Sprintf("duplicate profile %q", p.Name)}
		}
		seen[p.Name] = true
		for _, s := range p.Scopes {
			if s == "" || strings.ContainsAny(s, " \t\r\n") {
				return nil, &ConfigError{fmt.Sprintf("Profiles[%d].Scopes", i), fmt.Sprintf("scope %q is empty or contains spaces: give one scope per entry", s)}
			}
		}
	}
	c.entra = cfg.Authority.isEntra()
	if cfg.Authority.Tenant != "" {
		ep := cfg.Authority.entraEndpoints()
		r, err := parseEndpoints(ep)
		if err != nil {
			return nil, err
		}
		c.ep = r
	} else if cfg.Authority.TokenURL != "" {
		r, err := parseEndpoints(Endpoints{cfg.Authority.DeviceAuthorizationURL, cfg.Authority.TokenURL})
		if err != nil {
			return nil, err
		}
		c.ep = r
		c.entra = isEntraHost(r.token.Hostname())
	}
	if c.entra {
		for i, p := range c.profiles {
			if a, b := twoResources(p.Scopes); b != "" {
				return nil, &ConfigError{fmt.Sprintf("Profiles[%d].Scopes", i), fmt.Sprintf(
					"scopes of two resources, %s and %s: Entra ID issues a token for one resource at a time (it would refuse with AADSTS28000 after sign-in); give each resource a profile of its own",
					a, b)}
			}
		}
	}
	return c, nil
}

// twoResources returns two different resources named by scopes, or "", "".
// Only scopes that name their resource count (https://host/path/scope,
// api://app/scope); a bare scope such as User.Read (Microsoft Graph of the
// cloud signed in to) or one under an application id is left to Entra
// ID, which knows what it means.
func twoResources(scopes []string) (string, string) {
	first := ""
	for _, s := range scopes {
		i := strings.Index(s, "://")
		j := strings.LastIndexByte(s, '/')
		if i <= 0 || j < i+3 {
			continue
		}
		r := strings.ToLower(strings.TrimRight(s[:j], "/"))
		switch {
		case first == "":
			first = r
		case r != first:
			return first, r
		}
	}
	return "", ""
}

func isEntraHost(h string) bool {
	switch strings.ToLower(h) {
	case HostPublic, HostUSGovernment, HostChina, HostChinaPartner:
		return true
	}
	return false
}

func parseEndpoints(ep Endpoints) (*resolved, error) {
	if err := checkURL("device_authorization_endpoint", ep.DeviceAuthorizationURL); err != nil {
		return nil, err
	}
	if err := checkURL("token_endpoint", ep.TokenURL); err != nil {
		return nil, err
	}
	d, _ := url.Parse(ep.DeviceAuthorizationURL)
	t, _ := url.Parse(ep.TokenURL)
	return &resolved{device: d, token: t, tokenURL: ep.TokenURL}, nil
}

// defaultHTTPClient keeps one connection alive and speaks HTTP/1.1.
// Its round trips are bounded by the request contexts, so no
// ResponseHeaderTimeout (which would arm one more timer per request).
func defaultHTTPClient(roots *x509.CertPool) *http.Client {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if roots == nil {
		// The system roots, read per handshake rather than parsed into
		// memory for good: about 3 MB less resident memory on Debian.
		tc = (&sysroots.Verifier{}).ClientConfig(tc)
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: 15 * time.Second,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // replies are small; no Accept-Encoding to send or parse
		// A non-nil empty map disables HTTP/2.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}
}

// Profiles returns the configured profiles (with the default filled in).
func (c *Client) Profiles() []Profile { return slices.Clone(c.profiles) }

// Endpoints resolves the endpoints, fetching the discovery document for an
// Issuer authority on first use.
func (c *Client) Endpoints(ctx context.Context) (Endpoints, error) {
	r, err := c.endpoints(ctx)
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{r.device.String(), r.tokenURL}, nil
}

// Account returns the signed-in account, if any (loading the cache first).
func (c *Client) Account(ctx context.Context) (Account, bool, error) {
	if err := c.lock(ctx); err != nil {
		return Account{}, false, err
	}
	defer c.unlock()
	if err := c.loadLocked(ctx); err != nil {
		return Account{}, false, err
	}
	return c.account, c.refresh != "" || len(c.tokens) > 0, nil
}

func (c *Client) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) unlock() { <-c.sem }

// SignOut forgets every token and removes the cache file.
func (c *Client) SignOut() error {
	c.sem <- struct{}{}
	defer c.unlock()
	c.account, c.refresh, c.idToken = Account{}, "", ""
	c.tokens = map[string]*Token{}
	c.loaded = true
	if c.cfg.Cache != nil {
		if err := c.cfg.Cache.Remove(); err != nil {
			return fmt.Errorf("devicecode: sign-out: %w", err)
		}
	}
	return nil
}

// profile finds a profile by name.
func (c *Client) profile(name string) (Profile, error) {
	for _, p := range c.profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("devicecode: unknown profile %q: configure it in Config.Profiles", name)
}

// scopeString joins the profile's scopes with the OpenID scopes, without
// duplicates, in a stable order.
func scopeString(scopes []string) string {
	out := make([]string, 0, len(scopes)+len(oidcScopes))
	for _, s := range append(slices.Clone(scopes), oidcScopes...) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}
