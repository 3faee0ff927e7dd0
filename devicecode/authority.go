package devicecode

import (
	"net"
	"net/url"
	"strings"
)

// Entra ID authority hosts (the clouds).
const (
	HostPublic       = "login.microsoftonline.com"        // worldwide
	HostUSGovernment = "login.microsoftonline.us"         // Azure Government
	HostChina        = "login.chinacloudapi.cn"           // Azure China (21Vianet)
	HostChinaPartner = "login.partner.microsoftonline.cn" // Azure China, older name
)

// Authority says where the endpoints are. Set exactly one of:
//   - Tenant (with optional Host): an Entra ID tenant; endpoints follow the
//     Entra v2 template https://{Host}/{Tenant}/oauth2/v2.0/{devicecode,token}.
//   - Issuer: any OpenID Connect provider; endpoints come from
//     {Issuer}/.well-known/openid-configuration.
//   - DeviceAuthorizationURL and TokenURL: explicit endpoints, no discovery.
type Authority struct {
	// Tenant is an Entra tenant id (GUID) or verified domain
	// (contoso.onmicrosoft.com). "common", "organizations" and "consumers"
	// are refused unless Config.AllowMultiTenant is set: Entra refuses the
	// device code flow on /common and /consumers (AADSTS50059, 90133), and
	// /organizations signs in an account of any work or school tenant,
	// which a board should only do on purpose.
	Tenant string
	// Host is the Entra cloud: a host name (default HostPublic) or, for
	// tests against a local server, a base URL such as
	// "https://127.0.0.1:8443".
	Host string

	// Issuer is a generic OpenID Connect issuer URL.
	Issuer string

	// DeviceAuthorizationURL and TokenURL are explicit endpoints.
	DeviceAuthorizationURL string
	TokenURL               string
}

// Endpoints are the resolved URLs.
type Endpoints struct {
	DeviceAuthorizationURL string
	TokenURL               string
}

// isEntra reports whether Entra's dialect applies (client_info=1 etc.).
func (a Authority) isEntra() bool { return a.Tenant != "" }

// multiTenant names the Entra tenants that are not a tenant.
func multiTenant(tenant string) bool {
	switch strings.ToLower(tenant) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// validate checks the authority without any request.
func (a Authority) validate(allowMultiTenant bool) error {
	n := 0
	if a.Tenant != "" {
		n++
	}
	if a.Issuer != "" {
		n++
	}
	if a.DeviceAuthorizationURL != "" || a.TokenURL != "" {
		n++
	}
	switch {
	case n == 0:
		return &ConfigError{"Authority", "missing: configure a tenant id or domain, an issuer, or both endpoints"}
	case n > 1:
		return &ConfigError{"Authority", "set only one of tenant, issuer, or explicit endpoints"}
	}
	switch {
	case a.Tenant != "":
		if multiTenant(a.Tenant) && !allowMultiTenant {
			if strings.EqualFold(a.Tenant, "organizations") {
				return &ConfigError{"Authority.Tenant", "\"organizations\" signs in an account of any work or school tenant: configure a tenant id or domain, or allow it with AllowMultiTenant"}
			}
			return &ConfigError{"Authority.Tenant", "\"" + a.Tenant + "\" is not a tenant and Entra refuses device code sign-in there (AADSTS50059/90133): configure a tenant id or domain"}
		}
		if strings.ContainsAny(a.Tenant, "/?#%@ \\") || !validHostPart(a.Tenant) {
			return &ConfigError{"Authority.Tenant", "not a tenant id or domain: configure a GUID or a domain such as contoso.onmicrosoft.com"}
		}
		if _, err := a.entraBase(); err != nil {
			return err
		}
	case a.Issuer != "":
		if err := checkURL("Authority.Issuer", a.Issuer); err != nil {
			return err
		}
	default:
		if a.DeviceAuthorizationURL == "" || a.TokenURL == "" {
			return &ConfigError{"Authority", "explicit endpoints need both DeviceAuthorizationURL and TokenURL"}
		}
		if err := checkURL("Authority.DeviceAuthorizationURL", a.DeviceAuthorizationURL); err != nil {
			return err
		}
		if err := checkURL("Authority.TokenURL", a.TokenURL); err != nil {
			return err
		}
	}
	return nil
}

func validHostPart(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// entraBase returns "https://host" for the Entra template.
func (a Authority) entraBase() (string, error) {
	h := a.Host
	if h == "" {
		h = HostPublic
	}
	if !strings.Contains(h, "://") {
		h = "https://" + h
	}
	h = strings.TrimRight(h, "/")
	if err := checkURL("Authority.Host", h); err != nil {
		return "", err
	}
	return h, nil
}

// entraEndpoints applies the Entra v2 template.
func (a Authority) entraEndpoints() Endpoints {
	base, _ := a.entraBase()
	t := url.PathEscape(a.Tenant)
	return Endpoints{
		DeviceAuthorizationURL: base + "/" + t + "/oauth2/v2.0/devicecode",
		TokenURL:               base + "/" + t + "/oauth2/v2.0/token",
	}
}

// discoveryURL is where the OpenID configuration lives.
func (a Authority) discoveryURL() string {
	if a.Tenant != "" {
		base, _ := a.entraBase()
		return base + "/" + url.PathEscape(a.Tenant) + "/v2.0/.well-known/openid-configuration"
	}
	return strings.TrimRight(a.Issuer, "/") + "/.well-known/openid-configuration"
}

// checkURL accepts https URLs, and http only on loopback (tests, a local
// provider): a token must never cross a network in clear text.
func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return &ConfigError{field, "not an absolute URL: " + quoteURL(raw)}
	}
	if u.User != nil {
		return &ConfigError{field, "a URL with user info is refused"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return &ConfigError{field, "http is refused except on loopback; use https: " + quoteURL(raw)}
	}
	return &ConfigError{field, "scheme must be https: " + quoteURL(raw)}
}

func quoteURL(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return "\"" + firstLine(s) + "\""
}

// isLoopback: localhost, 127.0.0.0/8, ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
