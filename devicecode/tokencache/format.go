package tokencache

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// The file is a CBOR map (the envelope) with integer keys:
//
//	1: format version (unsigned integer, FormatVersion)
//	2: payload (byte string: the CBOR encoding of payloadV1)
//	3: CRC-32C (Castagnoli) of the payload bytes (unsigned integer)
//
// The payload is a byte string rather than a nested map so that the checksum
// covers exactly the bytes that are decoded, and so that a reader can tell an
// unknown version from a corrupt file without understanding the payload.
// Everything is encoded with the RFC 8949 core deterministic rules, so equal
// snapshots give equal bytes and "has the content changed" is a byte
// comparison.
//
// Compatibility rule: a payload field may be added within version 1 (readers
// ignore keys they do not know); any change of meaning or type of an existing
// key needs a new FormatVersion.

// envelopeIn is what Load decodes first. Payload and checksum stay raw until
// the version is known to be ours, so that a future format with another
// payload shape still reports ErrUnknownVersion rather than ErrCorrupt.
type envelopeIn struct {
	Version *uint64         `cbor:"1,keyasint"`
	Payload cbor.RawMessage `cbor:"2,keyasint"`
	CRC     cbor.RawMessage `cbor:"3,keyasint"`
}

type envelopeOut struct {
	Version uint64 `cbor:"1,keyasint"`
	Payload []byte `cbor:"2,keyasint"`
	CRC     uint32 `cbor:"3,keyasint"`
}

type payloadV1 struct {
	ClientID     string                   `cbor:"1,keyasint,omitempty"`
	Authority    string                   `cbor:"2,keyasint,omitempty"`
	Account      accountV1                `cbor:"3,keyasint,omitempty"`
	RefreshToken string                   `cbor:"4,keyasint,omitempty"`
	AccessTokens map[string]accessTokenV1 `cbor:"5,keyasint,omitempty"`
}

type accountV1 struct {
	Username      string `cbor:"1,keyasint,omitempty"`
	Name          string `cbor:"2,keyasint,omitempty"`
	ObjectID      string `cbor:"3,keyasint,omitempty"`
	TenantID      string `cbor:"4,keyasint,omitempty"`
	HomeAccountID string `cbor:"5,keyasint,omitempty"`
}

type accessTokenV1 struct {
	Token     string   `cbor:"1,keyasint,omitempty"`
	TokenType string   `cbor:"2,keyasint,omitempty"`
	Scopes    []string `cbor:"3,keyasint,omitempty"`
	ExpiresAt int64    `cbor:"4,keyasint,omitempty"` // unix seconds; 0 = zero time.Time
	RefreshAt int64    `cbor:"5,keyasint,omitempty"` // unix seconds; 0 = zero time.Time
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	encMode cbor.UserBufferEncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().UserBufferEncMode(); err != nil {
		panic(err) // options are constants: a failure is a programming error
	}
	// The limits are far above what a real cache needs (a handful of
	// profiles, a few scopes each) and far below what would let a hostile
	// or garbled file cost real memory or stack.
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  8,
		MaxArrayElements: maxEntries,
		MaxMapPairs:      maxEntries,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// maxEntries bounds every array and map of a cache file (profiles, scopes),
// in decoding and, so that Save never writes what Load refuses, in
// encoding.
const maxEntries = 1024

// formatError is a decoding failure. reason never contains file content.
type formatError struct {
	kind    error // ErrCorrupt or ErrUnknownVersion
	reason  string
	version uint64 // for ErrUnknownVersion
}

func (e *formatError) Error() string { return "tokencache: " + e.reason }
func (e *formatError) Unwrap() error { return e.kind }

// what completes "PATH ..." for a person: "is corrupt (empty file)" or
// "has format version 9, this build reads version 1".
func (e *formatError) what() string {
	if e.kind == ErrUnknownVersion {
		return "has " + e.reason
	}
	return "is corrupt (" + e.reason + ")"
}

func corrupt(reason string) error { return &formatError{kind: ErrCorrupt, reason: reason} }

// encode returns the file content for s. Equal snapshots give equal bytes.
func encode(s *Snapshot) ([]byte, error) {
	var e encoder
	data, err := e.encode(s)
	return bytes.Clone(data), err
}

// encoder keeps its buffers and wire structs between calls, so that the
// frequent Save of unchanged content allocates next to nothing.
type encoder struct {
	p       payloadV1
	env     envelopeOut
	payload bytes.Buffer
	file    bytes.Buffer
}

// encode returns the file content for s, valid until the next call.
func (e *encoder) encode(s *Snapshot) ([]byte, error) {
	if s == nil {
		return nil, errors.New("tokencache: nil snapshot: use Remove to sign out")
	}
	if err := checkUTF8(s); err != nil {
		return nil, err
	}
	// What decoding would refuse must not be written: the next Load would
	// take its own file for corrupt and the board would sign in again.
	if len(s.AccessTokens) > maxEntries {
		return nil, fmt.Errorf("tokencache: %d profiles, more than the %d a cache file holds", len(s.AccessTokens), maxEntries)
	}
	for name, at := range s.AccessTokens {
		if len(at.Scopes) > maxEntries {
			return nil, fmt.Errorf("tokencache: profile %q has %d scopes, more than the %d a cache file holds", name, len(at.Scopes), maxEntries)
		}
	}
	tokens := e.p.AccessTokens
	clear(tokens)
	e.p = payloadV1{
		ClientID:     s.ClientID,
		Authority:    s.Authority,
		Account:      accountV1(s.Account),
		RefreshToken: s.RefreshToken,
	}
	if len(s.AccessTokens) > 0 {
		if tokens == nil {
			tokens = make(map[string]accessTokenV1, len(s.AccessTokens))
		}
		for name, at := range s.AccessTokens {
			w := accessTokenV1{
				Token:     at.Token,
				TokenType: at.TokenType,
				ExpiresAt: unixSeconds(at.ExpiresAt),
				RefreshAt: unixSeconds(at.RefreshAt),
			}
			if len(at.Scopes) > 0 {
				w.Scopes = at.Scopes
			}
			tokens[name] = w
		}
		e.p.AccessTokens = tokens
	}
	e.payload.Reset()
	err := encMode.MarshalToBuffer(&e.p, &e.payload)
	// Do not keep the caller's strings and slices alive.
	e.p = payloadV1{AccessTokens: tokens}
	clear(tokens)
	if err != nil {
		return nil, fmt.Errorf("tokencache: encode snapshot: %w", err)
	}
	e.env = envelopeOut{
		Version: FormatVersion,
		Payload: e.payload.Bytes(),
		CRC:     crc32.Checksum(e.payload.Bytes(), crcTable),
	}
	e.file.Reset()
	err = encMode.MarshalToBuffer(&e.env, &e.file)
	e.env.Payload = nil
	if err != nil {
		return nil, fmt.Errorf("tokencache: encode snapshot: %w", err)
	}
	return e.file.Bytes(), nil
}

// decode parses file content. Every failure wraps ErrCorrupt or
// ErrUnknownVersion and carries a reason that names no content.
func decode(data []byte) (*Snapshot, error) {
	if len(data) == 0 {
		return nil, corrupt("empty file")
	}
	var env envelopeIn
	if err := decMode.Unmarshal(data, &env); err != nil {
		return nil, corrupt(describe(err))
	}
	if env.Version == nil {
		return nil, corrupt("no format version")
	}
	if *env.Version != FormatVersion {
		return nil, &formatError{
			kind:    ErrUnknownVersion,
			reason:  fmt.Sprintf("format version %d, this build reads version %d", *env.Version, FormatVersion),
			version: *env.Version,
		}
	}
	if env.Payload == nil || env.CRC == nil {
		return nil, corrupt("payload or checksum missing")
	}
	var payload []byte
	if err := decMode.Unmarshal(env.Payload, &payload); err != nil {
		return nil, corrupt("payload is not a byte string")
	}
	var sum uint32
	if err := decMode.Unmarshal(env.CRC, &sum); err != nil {
		return nil, corrupt("checksum is not a 32-bit unsigned integer")
	}
	if crc32.Checksum(payload, crcTable) != sum {
		return nil, corrupt("checksum mismatch")
	}
	var p payloadV1
	if err := decMode.Unmarshal(payload, &p); err != nil {
		return nil, corrupt("payload: " + describe(err))
	}
	s := &Snapshot{
		ClientID:     p.ClientID,
		Authority:    p.Authority,
		Account:      Account(p.Account),
		RefreshToken: p.RefreshToken,
	}
	// Empty collections decode as nil so that a decoded snapshot encodes to
	// the same bytes and compares equal to what was saved.
	if len(p.AccessTokens) > 0 {
		s.AccessTokens = make(map[string]AccessToken, len(p.AccessTokens))
		for name, w := range p.AccessTokens {
			at := AccessToken{
				Token:     w.Token,
				TokenType: w.TokenType,
				ExpiresAt: fromUnixSeconds(w.ExpiresAt),
				RefreshAt: fromUnixSeconds(w.RefreshAt),
			}
			if len(w.Scopes) > 0 {
				at.Scopes = w.Scopes
			}
			s.AccessTokens[name] = at
		}
	}
	return s, nil
}

// describe turns a CBOR decoding error into a short reason. It never
// returns the library's message verbatim: some of those quote the data
// (a duplicate map key, for instance), and the data may hold a token.
func describe(err error) string {
	var (
		syntax   *cbor.SyntaxError
		semantic *cbor.SemanticError
		typ      *cbor.UnmarshalTypeError
		dup      *cbor.DupMapKeyError
		extra    *cbor.ExtraneousDataError
		nested   *cbor.MaxNestedLevelError
		arr      *cbor.MaxArrayElementsError
		pairs    *cbor.MaxMapPairsError
		indef    *cbor.IndefiniteLengthError
		tags     *cbor.TagsMdError
		mapKey   *cbor.InvalidMapKeyTypeError
	)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case errors.As(err, &extra):
		return "trailing bytes after the data"
	case errors.As(err, &dup):
		return "duplicate map key"
	case errors.As(err, &nested), errors.As(err, &arr), errors.As(err, &pairs):
		return "exceeds the decoding limits"
	case errors.As(err, &indef):
		return "indefinite-length item"
	case errors.As(err, &tags):
		return "unexpected CBOR tag"
	case errors.As(err, &typ), errors.As(err, &mapKey):
		return "unexpected structure"
	case errors.As(err, &syntax), errors.As(err, &semantic):
		return "not well-formed CBOR"
	default:
		return "not a cache file"
	}
}

// unixSeconds maps the zero time to 0 and rounds down to whole seconds:
// an expiry read back a fraction early is harmless, one read late is not.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnixSeconds(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// checkUTF8 refuses strings that CBOR text cannot carry: the file written
// would not decode. Only field names are reported, never values.
func checkUTF8(s *Snapshot) error {
	bad := func(field string) error {
		return fmt.Errorf("tokencache: %s is not valid UTF-8", field)
	}
	for _, f := range []struct{ name, v string }{
		{"client id", s.ClientID},
		{"authority", s.Authority},
		{"account username", s.Account.Username},
		{"account name", s.Account.Name},
		{"account object id", s.Account.ObjectID},
		{"account tenant id", s.Account.TenantID},
		{"account home account id", s.Account.HomeAccountID},
		{"refresh token", s.RefreshToken},
	} {
		if !utf8.ValidString(f.v) {
			return bad(f.name)
		}
	}
	for name, at := range s.AccessTokens {
		if !utf8.ValidString(name) {
			return bad("a profile name")
		}
		if !utf8.ValidString(at.Token) || !utf8.ValidString(at.TokenType) {
			return bad(fmt.Sprintf("the access token of profile %q", name))
		}
		for _, sc := range at.Scopes {
			if !utf8.ValidString(sc) {
				return bad(fmt.Sprintf("a scope of profile %q", name))
			}
		}
	}
	return nil
}
