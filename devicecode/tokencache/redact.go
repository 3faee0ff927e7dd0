package tokencache

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Snapshot and AccessToken implement fmt.Formatter, fmt.Stringer,
// fmt.GoStringer, slog.LogValuer and json.Marshaler so that no verb of fmt
// (%v, %+v, %#v, %s, %q, %x, %d...), no slog handler and no JSON encoding
// ever prints a token. Without Format, a verb such as %d would print the
// struct field by field, token included; without MarshalJSON, slog's JSON
// handler would print a map[string]AccessToken in full. Code that must
// publish a token (the MQTT payload) builds its own struct from the fields.
var (
	_ fmt.Formatter  = Snapshot{}
	_ fmt.Stringer   = Snapshot{}
	_ fmt.GoStringer = Snapshot{}
	_ slog.LogValuer = Snapshot{}
	_ fmt.Formatter  = AccessToken{}
	_ fmt.Stringer   = AccessToken{}
	_ fmt.GoStringer = AccessToken{}
	_ slog.LogValuer = AccessToken{}
)

// redacted stands in for a secret: it says whether there is one, not what.
func redacted(secret string) string {
	if secret == "" {
		return "<none>"
	}
	return "<redacted>"
}

// String describes the snapshot with its tokens redacted.
func (s Snapshot) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tokencache.Snapshot{ClientID:%q Authority:%q Account:%q RefreshToken:%s AccessTokens:{",
		s.ClientID, s.Authority, s.Account.Username, redacted(s.RefreshToken))
	for i, name := range slices.Sorted(maps.Keys(s.AccessTokens)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q:%s", name, s.AccessTokens[name].String())
	}
	b.WriteString("}}")
	return b.String()
}

// GoString is String: %#v must not print the tokens either.
func (s Snapshot) GoString() string { return s.String() }

// Format writes String for every verb.
func (s Snapshot) Format(st fmt.State, _ rune) { st.Write([]byte(s.String())) }

// LogValue logs the snapshot with its tokens redacted.
func (s Snapshot) LogValue() slog.Value {
	profiles := make([]slog.Attr, 0, len(s.AccessTokens))
	for _, name := range slices.Sorted(maps.Keys(s.AccessTokens)) {
		profiles = append(profiles, slog.Any(name, s.AccessTokens[name]))
	}
	return slog.GroupValue(
		slog.String("client_id", s.ClientID),
		slog.String("authority", s.Authority),
		slog.String("username", s.Account.Username),
		slog.String("refresh_token", redacted(s.RefreshToken)),
		slog.Attr{Key: "access_tokens", Value: slog.GroupValue(profiles...)},
	)
}

// String describes the access token with the token itself redacted.
func (t AccessToken) String() string {
	return fmt.Sprintf("{Token:%s TokenType:%q Scopes:%q ExpiresAt:%s RefreshAt:%s}",
		redacted(t.Token), t.TokenType, t.Scopes, timeString(t.ExpiresAt), timeString(t.RefreshAt))
}

// GoString is String: %#v must not print the token either.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb.
func (t AccessToken) Format(st fmt.State, _ rune) { st.Write([]byte(t.String())) }

// LogValue logs the access token with the token itself redacted.
func (t AccessToken) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token", redacted(t.Token)),
		slog.String("token_type", t.TokenType),
		slog.Any("scopes", t.Scopes),
		slog.Time("expires_at", t.ExpiresAt),
		slog.Time("refresh_at", t.RefreshAt),
	)
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// MarshalJSON encodes the snapshot with its tokens redacted.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ClientID     string                 `json:"client_id"`
		Authority    string                 `json:"authority"`
		Account      Account                `json:"account"`
		RefreshToken string                 `json:"refresh_token"`
		AccessTokens map[string]AccessToken `json:"access_tokens"`
	}{s.ClientID, s.Authority, s.Account, redacted(s.RefreshToken), s.AccessTokens})
}

// MarshalJSON encodes the access token with the token itself redacted.
func (t AccessToken) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Token     string    `json:"token"`
		TokenType string    `json:"token_type"`
		Scopes    []string  `json:"scopes"`
		ExpiresAt time.Time `json:"expires_at"`
		RefreshAt time.Time `json:"refresh_at"`
	}{redacted(t.Token), t.TokenType, t.Scopes, t.ExpiresAt, t.RefreshAt})
}
