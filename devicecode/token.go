package devicecode

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ExpiryMargin is how long before its stated expiry an access token counts
// as expired, as MSAL does: a token handed to a consumer must stay valid for
// the consumer's own request.
const ExpiryMargin = 5 * time.Minute

// Account is the signed-in user, from the id token's claims and Entra's
// client_info.
type Account struct {
	Username      string // preferred_username (UPN or e-mail)
	Name          string // name
	ObjectID      string // oid (Entra) or sub
	TenantID      string // tid
	HomeAccountID string // "uid.utid" from client_info (Entra), "" elsewhere
}

// Token is one access token for one profile, with the sign-in's refresh and
// id token. Printing it with fmt or log/slog shows no secret.
type Token struct {
	AccessToken  string
	RefreshToken string // the latest (rotated) refresh token
	IDToken      string
	TokenType    string   // usually "Bearer"
	Scopes       []string // granted scopes as the provider listed them
	// ExpiresAt is when the provider says the access token dies. It is
	// computed from the injected clock's Now() taken when the request was
	// sent, so in production it carries a monotonic reading: compare it
	// with the same clock, never after .UTC() or .Round(0).
	ExpiresAt time.Time
	// RefreshAt is when Entra asks for an early refresh (refresh_in); zero
	// when the provider sent none.
	RefreshAt time.Time
	Account   Account
	Profile   string // the profile this token serves
}

// Valid reports whether the access token can still be handed out at now:
// not within ExpiryMargin of its expiry.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && now.Before(t.ExpiresAt.Add(-ExpiryMargin))
}

// RefreshDue is when the token should be refreshed: RefreshAt when the
// provider set it, else ExpiresAt minus ExpiryMargin.
func (t *Token) RefreshDue() time.Time {
	due := t.ExpiresAt.Add(-ExpiryMargin)
	if !t.RefreshAt.IsZero() && t.RefreshAt.Before(due) {
		return t.RefreshAt
	}
	return due
}

// String describes the token without any secret.
func (t Token) String() string {
	return fmt.Sprintf("devicecode.Token{profile=%q type=%q scopes=%q account=%q expires=%s access=%s refresh=%s id=%s}",
		t.Profile, t.TokenType, t.Scopes, t.Account.Username, t.ExpiresAt.Format(time.RFC3339),
		redacted(t.AccessToken), redacted(t.RefreshToken), redacted(t.IDToken))
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q) print String.
func (t Token) Format(f fmt.State, verb rune) { fmt.Fprint(f, t.String()) }

// LogValue keeps secrets out of log/slog records.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("profile", t.Profile),
		slog.String("token_type", t.TokenType),
		slog.Any("scopes", t.Scopes),
		slog.String("account", t.Account.Username),
		slog.Time("expires_at", t.ExpiresAt),
		slog.String("access_token", redacted(t.AccessToken)),
		slog.String("refresh_token", redacted(t.RefreshToken)),
	)
}

var (
	_ fmt.Formatter  = Token{}
	_ slog.LogValuer = Token{}
)

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// maxJWT caps the id token and client_info we decode.
const maxJWT = 64 << 10

// idClaims are the id token claims the agent uses.
type idClaims struct {
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	OID               string `json:"oid"`
	Sub               string `json:"sub"`
	TID               string `json:"tid"`
	Email             string `json:"email"`
}

// ParseIDTokenClaims reads the account claims of a JWT id token without
// verifying its signature.
//
// Not verifying is sound here: the id token is read only to label the
// account, and it arrived in the body of a token endpoint reply over a TLS
// connection this client opened to the configured endpoint, which is what
// OpenID Connect Core §3.1.3.7 (6) allows in place of a signature check. It
// is never accepted from anyone else, nor used to authorize anything.
func ParseIDTokenClaims(idToken string) (Account, error) {
	if len(idToken) > maxJWT {
		return Account{}, errors.New("devicecode: id token too large")
	}
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return Account{}, errors.New("devicecode: id token is not a JWT (want 3 dot-separated parts)")
	}
	payload, err := decodeB64URL(parts[1])
	if err != nil {
		return Account{}, errors.New("devicecode: id token payload is not base64url")
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Account{}, errors.New("devicecode: id token payload is not a JSON object")
	}
	a := Account{Username: c.PreferredUsername, Name: c.Name, ObjectID: c.OID, TenantID: c.TID}
	if a.Username == "" {
		a.Username = c.Email
	}
	if a.ObjectID == "" {
		a.ObjectID = c.Sub
	}
	return a, nil
}

// ParseClientInfo decodes Entra's client_info (base64url JSON with uid and
// utid) into the home account id "uid.utid".
func ParseClientInfo(clientInfo string) (homeAccountID string, err error) {
	if len(clientInfo) > maxJWT {
		return "", errors.New("devicecode: client_info too large")
	}
	raw, err := decodeB64URL(clientInfo)
	if err != nil {
		return "", errors.New("devicecode: client_info is not base64url")
	}
	var ci struct {
		UID  string `json:"uid"`
		UTID string `json:"utid"`
	}
	if err := json.Unmarshal(raw, &ci); err != nil {
		return "", errors.New("devicecode: client_info is not a JSON object")
	}
	if ci.UID == "" || ci.UTID == "" {
		return "", errors.New("devicecode: client_info lacks uid or utid")
	}
	return ci.UID + "." + ci.UTID, nil
}

// decodeB64URL accepts base64url with or without padding (Entra pads
// client_info, JWTs do not).
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
