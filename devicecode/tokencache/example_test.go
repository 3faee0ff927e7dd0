package tokencache_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/tokencache"
)

// The agent loads the cache at start-up, saves after every sign-in or
// refresh, and removes the file on sign-out.
func Example() {
	dir, err := os.MkdirTemp("", "boardlogin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cache := tokencache.New(filepath.Join(dir, "state", "tokens.cbor"))

	s, err := cache.Load()
	switch {
	case errors.Is(err, tokencache.ErrInsecureMode):
		log.Fatal(err) // says which file and to run chmod 600
	case err != nil:
		log.Print(err) // corrupt or unknown version: moved aside, sign in again
	case s == nil:
		fmt.Println("no cache yet: sign in with a device code")
	}

	s = &tokencache.Snapshot{
		ClientID:     "11111111-2222-3333-4444-555555555555",
		Authority:    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
		Account:      tokencache.Account{Username: "alice@contoso.com"},
		RefreshToken: "0.ARrefresh",
		AccessTokens: map[string]tokencache.AccessToken{
			"graph": {
				Token:     "eyJaccess",
				TokenType: "Bearer",
				Scopes:    []string{"User.Read"},
				ExpiresAt: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC),
			},
		},
	}
	written, err := cache.Save(s)
	fmt.Println("first save wrote:", written, err)
	written, err = cache.Save(s)
	fmt.Println("same content wrote:", written, err)

	got, err := tokencache.New(cache.Path()).Load()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Account.Username, got.AccessTokens["graph"].ExpiresAt)
	fmt.Println(got) // tokens are redacted
	fmt.Println("sign out:", cache.Remove())
	// Output:
	// no cache yet: sign in with a device code
	// first save wrote: true <nil>
	// same content wrote: false <nil>
	// alice@contoso.com 2030-01-01 12:00:00 +0000 UTC
	// tokencache.Snapshot{ClientID:"11111111-2222-3333-4444-555555555555" Authority:"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" Account:"alice@contoso.com" RefreshToken:<redacted> AccessTokens:{"graph":{Token:<redacted> TokenType:"Bearer" Scopes:["User.Read"] ExpiresAt:2030-01-01T12:00:00Z RefreshAt:-}}}
	// sign out: <nil>
}

// A corrupt file is moved aside and reported in one line; the next Save
// starts afresh.
func ExampleFile_Load_corrupt() {
	dir, err := os.MkdirTemp("", "boardlogin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tokens.cbor")
	if err := os.WriteFile(path, []byte("half a file"), 0o600); err != nil {
		log.Fatal(err)
	}
	cache := tokencache.New(path)
	_, err = cache.Load()
	fmt.Println(errors.Is(err, tokencache.ErrCorrupt))
	written, err := cache.Save(&tokencache.Snapshot{RefreshToken: "0.ARnew"})
	fmt.Println(written, err)
	// Output:
	// true
	// true <nil>
}

// A long-running writer takes the writer lock before its first Save; a
// second agent started on the same cache is refused instead of rotating the
// refresh token behind the first one's back.
func ExampleFile_Lock() {
	dir, err := os.MkdirTemp("", "boardlogin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tokens.cbor")

	release, err := tokencache.New(path).Lock()
	if err != nil {
		log.Fatal(err)
	}
	defer release()

	_, err = tokencache.New(path).Lock() // as a second agent would
	fmt.Println(errors.Is(err, tokencache.ErrInUse))
	// Output: true
}

// A status command reads the agent's cache with Peek: it changes nothing on
// disk, so a damaged file stays where it is for the agent's Load to move
// aside.
func ExampleFile_Peek() {
	dir, err := os.MkdirTemp("", "boardlogin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tokens.cbor")
	if err := os.WriteFile(path, []byte("not a cache"), 0o600); err != nil {
		log.Fatal(err)
	}

	_, err = tokencache.New(path).Peek()
	fmt.Println(errors.Is(err, tokencache.ErrCorrupt))
	_, statErr := os.Stat(path)
	fmt.Println("still in place:", statErr == nil)
	// Output:
	// true
	// still in place: true
}
