package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// payloadVersion is the "v" field of token messages (contract v1).
const payloadVersion = 1

// tokenMsg is the token payload. JSON and CBOR use the same keys.
type tokenMsg struct {
	V           int        `json:"v" cbor:"v"`
	AccessToken string     `json:"access_token" cbor:"access_token"`
	TokenType   string     `json:"token_type" cbor:"token_type"`
	ExpiresAt   int64      `json:"expires_at" cbor:"expires_at"`
	ExpiresIn   int64      `json:"expires_in" cbor:"expires_in"`
	Scopes      []string   `json:"scopes" cbor:"scopes"`
	Account     accountMsg `json:"account" cbor:"account"`
}

type accountMsg struct {
	Username string `json:"username" cbor:"username"`
	TenantID string `json:"tenant_id" cbor:"tenant_id"`
	ObjectID string `json:"object_id" cbor:"object_id"`
}

// stateMsg is the state payload (always JSON). Every field is always
// present so consumers need no existence checks; expires_at is 0 when there
// is no user code.
type stateMsg struct {
	State                   string `json:"state"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresAt               int64  `json:"expires_at"`
	Account                 string `json:"account"`
	Error                   string `json:"error"`
}

var (
	// Core deterministic encoding (RFC 8949 §4.2): the same token always
	// gives the same bytes.
	cborEnc, _ = cbor.CoreDetEncOptions().EncMode()
	// Decoding a consumer-controlled payload: bounded and strict on
	// duplicate keys.
	cborDec, _ = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  8,
		MaxArrayElements: 1024,
		MaxMapPairs:      64,
	}.DecMode()
)

// wallUnix returns t as unix seconds, taking the time left from the
// monotonic clock where t has a monotonic reading: a board without an RTC
// that got its wall clock from NTP after the token arrived still publishes
// the right expiry on the next (re)publish.
func wallUnix(t, now time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Add(t.Sub(now)).Unix()
}

// encodeToken builds a token payload as of now.
func encodeToken(enc Encoding, t Token, now time.Time) ([]byte, error) {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{} // an empty array, never null
	}
	left := t.ExpiresAt.Sub(now).Round(time.Second)
	m := tokenMsg{
		V:           payloadVersion,
		AccessToken: t.AccessToken,
		TokenType:   t.TokenType,
		ExpiresAt:   wallUnix(t.ExpiresAt, now),
		ExpiresIn:   int64(left / time.Second),
		Scopes:      scopes,
		Account:     accountMsg{t.Account.Username, t.Account.TenantID, t.Account.ObjectID},
	}
	if enc == CBOR {
		return cborEnc.Marshal(m)
	}
	return json.Marshal(m)
}

// DecodeToken decodes a token payload as published on <prefix>/token/<profile>,
// in either encoding (JSON starts with '{', anything else is taken as CBOR).
// An empty payload, the "cleared" message, returns an error wrapping
// ErrNoToken. Expiry is not checked here; see ReadToken.
func DecodeToken(payload []byte) (Token, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return Token{}, fmt.Errorf("%w: the topic is cleared", ErrNoToken)
	}
	var m tokenMsg
	if trimmed := bytes.TrimLeft(payload, " \t\r\n"); trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return Token{}, fmt.Errorf("mqtt: token payload is not valid JSON: %v", describeJSONErr(err))
		}
	} else if err := cborDec.Unmarshal(payload, &m); err != nil {
		return Token{}, fmt.Errorf("mqtt: token payload is neither JSON nor valid CBOR: %v", err)
	}
	if m.V != payloadVersion {
		return Token{}, fmt.Errorf("mqtt: token payload version %d is not supported (want %d): update boardlogin", m.V, payloadVersion)
	}
	if m.AccessToken == "" {
		return Token{}, errors.New("mqtt: token payload has no access_token")
	}
	if m.ExpiresAt <= 0 {
		return Token{}, errors.New("mqtt: token payload has no expires_at")
	}
	return Token{
		AccessToken: m.AccessToken,
		TokenType:   m.TokenType,
		ExpiresAt:   time.Unix(m.ExpiresAt, 0),
		Scopes:      m.Scopes,
		Account:     Account{m.Account.Username, m.Account.TenantID, m.Account.ObjectID},
	}, nil
}

// describeJSONErr keeps JSON errors free of payload bytes (which could be a
// token): only the kind of error and the offset.
func describeJSONErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has the wrong type (%s)", te.Field, te.Value)
	}
	return "malformed"
}

// encodeState builds the state payload as of now.
func encodeState(s State, now time.Time) ([]byte, error) {
	return json.Marshal(stateMsg{
		State:                   s.State,
		UserCode:                s.UserCode,
		VerificationURI:         s.VerificationURI,
		VerificationURIComplete: s.VerificationURIComplete,
		ExpiresAt:               wallUnix(s.ExpiresAt, now),
		Account:                 s.Account,
		Error:                   s.Error,
	})
}

// DecodeState decodes a <prefix>/state payload.
func DecodeState(payload []byte) (State, error) {
	var m stateMsg
	if err := json.Unmarshal(payload, &m); err != nil {
		return State{}, fmt.Errorf("mqtt: state payload is not valid JSON: %v", describeJSONErr(err))
	}
	if err := checkState(m.State); err != nil {
		return State{}, err
	}
	s := State{
		State:                   m.State,
		UserCode:                m.UserCode,
		VerificationURI:         m.VerificationURI,
		VerificationURIComplete: m.VerificationURIComplete,
		Account:                 m.Account,
		Error:                   m.Error,
	}
	if m.ExpiresAt > 0 {
		s.ExpiresAt = time.Unix(m.ExpiresAt, 0)
	}
	return s, nil
}

func checkState(s string) error {
	switch s {
	case StateStarting, StateAwaitingUser, StateSignedIn, StateError:
		return nil
	}
	return fmt.Errorf("mqtt: unknown state %q: want starting, awaiting_user, signed_in or error", s)
}
