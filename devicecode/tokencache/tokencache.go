package tokencache

import (
	"errors"
	"time"
)

// FormatVersion is the version of the file format written by Save. Load
// refuses any other version with ErrUnknownVersion.
const FormatVersion = 1

// Errors returned by Load, matched with errors.Is.
var (
	// ErrCorrupt means the file did not decode (truncated, garbage, bad
	// checksum, too large). It has been moved aside.
	ErrCorrupt = errors.New("tokencache: corrupt cache file")
	// ErrInsecureMode means the file is readable or writable by group or
	// others. It is left in place and not read.
	ErrInsecureMode = errors.New("tokencache: cache file is accessible by group or others")
	// ErrUnknownVersion means the file was written by another format
	// version. It has been moved aside.
	ErrUnknownVersion = errors.New("tokencache: unknown cache file version")
)

// Snapshot is everything the cache holds.
type Snapshot struct {
	ClientID     string                 // a mismatch with the configuration means the cache is someone else's
	Authority    string                 // the token endpoint URL, same reason
	Account      Account
	RefreshToken string
	AccessTokens map[string]AccessToken // by profile name
}

// Account identifies the signed-in user.
type Account struct{ Username, Name, ObjectID, TenantID, HomeAccountID string }

// AccessToken is one profile's access token.
type AccessToken struct {
	Token     string
	TokenType string
	Scopes    []string
	ExpiresAt time.Time // wall clock; monotonic readings do not survive a restart
	RefreshAt time.Time // zero when the provider sent no refresh_in
}

// File is a cache file on disk.
type File struct {
	path string
}

// New returns the cache file at path.
func New(path string) *File { return &File{path: path} }

// Load reads the cache. It returns (nil, nil) when there is no file yet.
func (f *File) Load() (*Snapshot, error) { return nil, nil }

// Save writes s when its content differs from the file.
func (f *File) Save(s *Snapshot) (written bool, err error) { return false, nil }

// Remove deletes the cache file.
func (f *File) Remove() error { return nil }
