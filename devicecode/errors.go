package devicecode

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Sentinel errors that end one device code. Test with errors.Is.
var (
	// ErrDeclined: the user refused the sign-in (authorization_declined,
	// RFC 8628 access_denied). Do not retry without user action.
	ErrDeclined = errors.New("devicecode: the user declined the sign-in")
	// ErrBadCode: the token endpoint does not know the device code
	// (bad_verification_code). Request a new code.
	ErrBadCode = errors.New("devicecode: the provider does not know this device code; request a new one")
	// ErrExpired: the device code expired (expired_token, v1 code_expired,
	// or its lifetime ran out on our clock). Request a new code.
	ErrExpired = errors.New("devicecode: the device code expired before the user signed in; request a new one")
)

// ServiceError is an error reply of the identity provider, decoded from JSON
// or form-encoded bodies. Entra ID fills every field; other providers
// usually only Code and Description.
//
// Its Error string carries the server's description (which never contains a
// device code or token) and a one-line hint of what to do.
type ServiceError struct {
	StatusCode    int    // HTTP status (Entra's /devicecode can say 200)
	Code          string // the OAuth "error" string, e.g. invalid_grant
	Description   string // error_description, e.g. "AADSTS70016: ..."
	ErrorCodes    []int  // Entra's error_codes (AADSTS numbers)
	TraceID       string // Entra's trace_id
	CorrelationID string // Entra's correlation_id
	Timestamp     string // Entra's timestamp, as sent
	ErrorURI      string // error_uri
	RetryAfter    string // the Retry-After header of a 429 or 503, as sent
}

// Error returns one line: the endpoint's error, its first AADSTS code, the
// server's description (trimmed to its first line) and what to do.
func (e *ServiceError) Error() string {
	var b strings.Builder
	b.WriteString("devicecode: ")
	if e.Code != "" {
		b.WriteString(firstLine(e.Code))
	} else {
		b.WriteString("http ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" ")
			b.WriteString(strings.ToLower(t))
		}
	}
	if e.Code != "" && e.StatusCode != 0 && e.StatusCode != http.StatusBadRequest {
		b.WriteString(" (http ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString(")")
	}
	if d := firstLine(e.Description); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	} else if len(e.ErrorCodes) > 0 {
		b.WriteString(": AADSTS")
		b.WriteString(strconv.Itoa(e.ErrorCodes[0]))
	}
	if e.TraceID != "" && !strings.Contains(b.String(), e.TraceID) {
		b.WriteString(" [trace id ")
		b.WriteString(firstLine(e.TraceID))
		b.WriteString("]")
	}
	if h := Hint(e); h != "" {
		b.WriteString(" (")
		b.WriteString(h)
		b.WriteString(")")
	}
	return b.String()
}

// firstLine keeps the first line of s, at most 300 bytes, without control
// characters: errors are one line.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// HasCode reports whether the reply lists the AADSTS number code, in
// error_codes or at the start of the description.
func (e *ServiceError) HasCode(code int) bool {
	if slices.Contains(e.ErrorCodes, code) {
		return true
	}
	d, ok := strings.CutPrefix(e.Description, "AADSTS")
	if !ok {
		return false
	}
	i := 0
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(d[:i])
	return err == nil && n == code
}

func (e *ServiceError) hasAny(codes ...int) bool {
	for _, c := range codes {
		if e.HasCode(c) {
			return true
		}
	}
	return false
}

// Error classes. Each AADSTS list comes from Microsoft's error code table;
// act on the "error" string first, the numbers are diagnostics.
var (
	needsSignInCodes = []int{700082, 70008, 70043, 50173, 50076, 50079, 65001}
	configCodes      = []int{50059, 90133, 9001023, 90002, 700016, 7000218, 700025}
	scopeCodes       = []int{70011, 28000, 28002, 28003, 700022, 500011, 650057, 65005}
	policyCodes      = []int{53000, 53001, 53002, 53003, 530033, 530035, 50097, 50005}
	transientCodes   = []int{50196}
)

// NeedsSignIn reports whether err means the refresh token (or the cached
// sign-in) is gone for good and the user must sign in again with a new
// device code: invalid_grant, interaction_required, or AADSTS 700082,
// 70043, 50173, 50076, 50079, 65001. Policy blocks are excluded: signing in
// again would loop.
func NeedsSignIn(err error) bool {
	if errors.Is(err, errNoSignIn) {
		return true
	}
	var se *ServiceError
	if !errors.As(err, &se) {
		return false
	}
	if IsBlockedByPolicy(err) || IsConfigError(err) {
		return false
	}
	return se.Code == "invalid_grant" || se.Code == "interaction_required" || se.hasAny(needsSignInCodes...)
}

// errNoSignIn is wrapped when no account or refresh token is cached.
var errNoSignIn = errors.New("devicecode: not signed in; sign in with a device code")

// IsConfigError reports whether err comes from the configuration (tenant,
// authority host, client id, scopes, app registration) rather than from the
// user or the network: AADSTS 50059, 90133, 9001023, 90002, 700016,
// 7000218, 700025; invalid_scope or invalid_resource, or AADSTS 70011,
// 28000, 28002, 28003, 700022, 500011, 650057, 65005 (a scope that does not
// exist, scopes of two resources in one profile, an API the tenant or the
// app registration does not have); unsupported_grant_type (a token endpoint
// without the device code grant); or a configuration refused by New.
// Retrying does not help, and neither does signing in again.
func IsConfigError(err error) bool {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return true
	}
	var se *ServiceError
	return errors.As(err, &se) && (se.hasAny(configCodes...) || se.Code == "unauthorized_client" || se.Code == "invalid_client" ||
		se.Code == "unsupported_grant_type" || isScopeError(se))
}

// IsScopeError reports whether the provider refused the scopes asked for:
// the configuration error that belongs to one profile (the first one for
// RequestCode and PollToken, the named one for AcquireSilent).
func IsScopeError(err error) bool {
	var se *ServiceError
	return errors.As(err, &se) && isScopeError(se)
}

// isScopeError reports a reply refusing the scopes asked for.
func isScopeError(se *ServiceError) bool {
	return se.Code == "invalid_scope" || se.Code == "invalid_resource" || se.hasAny(scopeCodes...)
}

// IsBlockedByPolicy reports whether Conditional Access (or another tenant
// policy) blocks device code sign-in: AADSTS 53003 (blocked), 53000, 53001
// and 530033 (a compliant or joined device required: a board signing in
// with a device code is neither), 53002 (the app is not approved), 530035
// (security defaults), 50097 (device authentication), 50005.
// Do not loop on new codes; a tenant admin must act.
func IsBlockedByPolicy(err error) bool {
	var se *ServiceError
	return errors.As(err, &se) && se.hasAny(policyCodes...)
}

// IsTransient reports whether retrying later may succeed: HTTP 5xx, 429,
// AADSTS50196 (loop detected), a timeout or a connection error, or a reply
// that is neither a token nor an OAuth error (an *UnexpectedReplyError).
func IsTransient(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var ue *UnexpectedReplyError
	if errors.As(err, &ue) {
		return true
	}
	var se *ServiceError
	if !errors.As(err, &se) {
		return false
	}
	return se.StatusCode >= 500 || se.StatusCode == http.StatusTooManyRequests || se.hasAny(transientCodes...) ||
		se.Code == "temporarily_unavailable" || se.Code == "server_error"
}

// Hint returns a one-line instruction for a person, by error class, or "" when
// err has no known class.
func Hint(err error) string {
	var se *ServiceError
	if errors.As(err, &se) {
		switch {
		case se.hasAny(50059, 90133, 9001023):
			return "configure a tenant id or domain; device code sign-in needs a tenant"
		case se.HasCode(90002):
			return "check the tenant and the authority host (sovereign cloud?)"
		case se.HasCode(7000218):
			return `enable "Allow public client flows" on the app registration`
		case se.HasCode(700025):
			return "the app is a public client: remove the client secret from the configuration"
		case se.hasAny(28000, 700022):
			return "a profile's scopes must all be of one resource: give each resource a profile of its own"
		case se.HasCode(500011) || se.Code == "invalid_resource":
			return "this tenant has no such resource: check the profile's scopes"
		case se.hasAny(650057, 65005):
			return "add the API to the app registration's API permissions, or fix the profile's scopes"
		case isScopeError(se):
			return "check the profile's scopes"
		case se.Code == "unsupported_grant_type":
			return "this token endpoint does not take the device code grant: check token-endpoint, and that the client may use the device flow"
		case se.HasCode(700016) || se.Code == "invalid_client" || se.Code == "unauthorized_client":
			return "check the client id and that the app is registered in this tenant"
		case se.HasCode(50105):
			// The app requires assignment and this user has none. Another
			// (assigned) user may sign in, so it stays a sign-in error.
			return "this user is not assigned to the app: a tenant admin assigns users or groups to it, or sign in as an assigned user"
		}
	}
	switch {
	case IsBlockedByPolicy(err):
		return "a tenant policy blocks device code sign-in; ask the tenant admin, retrying will not help"
	case NeedsSignIn(err):
		return "sign in again with a new device code"
	case IsTransient(err):
		return "the provider or network is unavailable; retrying later"
	}
	return ""
}

// ConfigError is a configuration refused before any request.
type ConfigError struct {
	Field  string // the Config field at fault
	Reason string // what is wrong and what to do, one line
}

func (e *ConfigError) Error() string {
	return "devicecode: " + e.Field + ": " + e.Reason
}

// TransportError is a failed round trip: connection refused or reset, TLS
// failure, timeout, or a reply that could not be read. It is transient.
type TransportError struct {
	Op  string // "device authorization", "token", "discovery"
	Err error
}

func (e *TransportError) Error() string {
	return "devicecode: " + e.Op + " request failed: " + e.Err.Error()
}

func (e *TransportError) Unwrap() error { return e.Err }

// UnexpectedReplyError is a token endpoint reply that is neither a token nor
// an OAuth error: an HTML login page of a captive portal, a redirect to
// one, a proxy's page, garbage, truncated JSON, or JSON without an
// access_token. Something between the board and the provider answered, so
// the device code and the refresh token are still good: it is transient.
// It never holds the body, which could carry a secret.
type UnexpectedReplyError struct {
	Op          string // "token"
	StatusCode  int    // the HTTP status, usually 200 or a 3xx
	ContentType string // the media type as sent, cleaned and shortened; "" when absent
	Received    string // what the body looked like, in general terms ("an HTML or XML page")
	Err         error  // the parse error, if any (it never quotes the body)
}

func (e *UnexpectedReplyError) Error() string {
	var b strings.Builder
	b.WriteString("devicecode: the ")
	b.WriteString(e.Op)
	b.WriteString(" endpoint answered http ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.ContentType != "" {
		b.WriteString(" with ")
		b.WriteString(e.ContentType)
	} else {
		b.WriteString(" with no content type")
	}
	if e.Received != "" {
		b.WriteString(" (")
		b.WriteString(e.Received)
		b.WriteString(")")
	}
	b.WriteString(", not a ")
	b.WriteString(e.Op)
	b.WriteString(" reply: a captive portal or proxy may be in the way; retrying later")
	return b.String()
}

func (e *UnexpectedReplyError) Unwrap() error { return e.Err }

// unexpectedReply describes r, a reply that is neither a token nor an OAuth
// error, without quoting its body.
func unexpectedReply(op string, r *reply, cause error) *UnexpectedReplyError {
	e := &UnexpectedReplyError{Op: op, StatusCode: r.status, ContentType: mediaType(r.contentType), Err: cause}
	b := bytes.TrimLeft(r.body, " \t\r\n")
	switch {
	case len(b) == 0:
		e.Received = "an empty body"
	case b[0] == '<':
		e.Received = "an HTML or XML page"
	case b[0] != '{':
		e.Received = "a body that is not JSON"
	case errors.Is(cause, errTokenNotObject):
		e.Received = "broken or truncated JSON"
	default:
		e.Received = "JSON without a usable access_token"
	}
	return e
}

// mediaType keeps the media type of a Content-Type header, lower case and
// short, up to the first character that has no place in one (a proxy can
// send anything): it goes into a one-line error.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	for i := 0; i < len(mt); i++ {
		c := mt[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/!#$&^_.+-", c) >= 0) {
			mt = mt[:i]
			break
		}
	}
	if len(mt) > 60 {
		mt = mt[:60]
	}
	return strings.ToLower(mt)
}
