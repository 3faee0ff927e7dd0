package mqtt

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Encoding is the payload encoding of token messages. The state message is
// always JSON.
type Encoding int

const (
	// JSON encodes tokens as a JSON object (the default).
	JSON Encoding = iota
	// CBOR encodes tokens as a CBOR map with the same keys (RFC 8949).
	CBOR
)

// String returns "json" or "cbor".
func (e Encoding) String() string {
	switch e {
	case JSON:
		return "json"
	case CBOR:
		return "cbor"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ParseEncoding parses "json" or "cbor" (any case; empty means JSON).
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "json":
		return JSON, nil
	case "cbor":
		return CBOR, nil
	}
	return 0, optionsErr("Encoding", fmt.Errorf("mqtt: unknown encoding %q: use json or cbor", s))
}

// Options configure a Client (and ReadToken and SignOut). Zero fields take the defaults
// documented on each field and in DefaultOptions.
type Options struct {
	// Broker is the broker URL: tcp://host:port (or mqtt://), ssl://,
	// tls:// or mqtts:// for TLS, ws:// or wss:// for websockets. Required.
	// Connecting without TLS to a host other than loopback logs a warning.
	Broker string
	// ClientID is the MQTT client id. Default "boardlogin-<hostname>" for a
	// Client; ReadToken and SignOut always use a random one.
	ClientID string
	// Prefix is the topic prefix. Default "devicecode/<hostname>".
	Prefix string
	// Username for the broker; empty means anonymous.
	Username string
	// PasswordFile holds the password (one line; a trailing newline is
	// removed). It must not be readable or writable by others (mode o-rwx).
	// The password is never taken from a flag.
	PasswordFile string
	// CAFile is a PEM bundle of CAs to verify the broker with. Default: the
	// system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key, both or
	// neither.
	CertFile, KeyFile string
	// ServerName is the name the broker's certificate must carry. Default:
	// the host of Broker.
	ServerName string
	// Encoding of token payloads. Default JSON.
	Encoding Encoding
	// ConnectTimeout bounds one connection attempt (TCP, TLS, CONNECT).
	// Default 5s.
	ConnectTimeout time.Duration
	// KeepAlive is the MQTT keep-alive interval. Default 30s.
	KeepAlive time.Duration
	// PublishTimeout bounds the wait for a PUBACK (and SUBACK). Default 5s.
	PublishTimeout time.Duration
	// MinReconnectInterval is the first delay after a failed or lost
	// connection; it doubles per failure up to MaxReconnectInterval, each
	// delay randomised to 50-100% to spread a fleet's reconnects.
	// Defaults 500ms and 30s.
	MinReconnectInterval, MaxReconnectInterval time.Duration
	// Logger receives connection events. Tokens and passwords are never
	// logged. Default slog.Default().
	Logger *slog.Logger
	// Now is the wall clock used for expiry. Default time.Now.
	Now func() time.Time
}

// DefaultOptions are the defaults that Dial applies to zero fields.
var DefaultOptions = Options{
	Encoding:             JSON,
	ConnectTimeout:       5 * time.Second,
	KeepAlive:            30 * time.Second,
	PublishTimeout:       5 * time.Second,
	MinReconnectInterval: 500 * time.Millisecond,
	MaxReconnectInterval: 30 * time.Second,
}

// State values of State.State.
const (
	StateStarting     = "starting"
	StateAwaitingUser = "awaiting_user"
	StateSignedIn     = "signed_in"
	StateError        = "error"
)

// State is what the agent is doing, published retained on <prefix>/state.
type State struct {
	State                   string    // one of the State* constants
	UserCode                string    // while awaiting_user
	VerificationURI         string    // while awaiting_user
	VerificationURIComplete string    // while awaiting_user, when the provider gives one
	ExpiresAt               time.Time // when the user code expires; zero when none
	Account                 string    // the signed-in user name
	Error                   string    // a one-line, secret-free reason, in state error
}

// Account identifies the signed-in user.
type Account struct {
	Username, TenantID, ObjectID string
}

// Token is an access token as consumers receive it. It has no place for a
// refresh token, id token or device code on purpose.
type Token struct {
	AccessToken string
	TokenType   string // usually "Bearer"
	ExpiresAt   time.Time
	Scopes      []string
	Account     Account
}

// ErrNotConnected is returned (wrapped) by Publish* and ClearToken while the
// broker is away. The value is remembered and published on reconnect, so a
// caller may treat it as a warning.
var ErrNotConnected = errors.New("mqtt: broker not connected; the latest value will be published on reconnect")

// ErrNoToken is returned (wrapped) by ReadToken when the broker holds no token
// for the profile.
var ErrNoToken = errors.New("mqtt: no token")

// ErrTokenExpired is returned (wrapped) by ReadToken when the retained token
// has expired.
var ErrTokenExpired = errors.New("mqtt: token expired")
