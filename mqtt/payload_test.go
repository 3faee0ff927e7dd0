package mqtt

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenNow and goldenToken make payloads byte-stable.
var goldenNow = time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z

func goldenToken() Token {
	return Token{
		AccessToken: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.example.signature",
		TokenType:   "Bearer",
		ExpiresAt:   goldenNow.Add(3599 * time.Second),
		Scopes:      []string{"https://graph.microsoft.com/User.Read"},
		Account:     Account{Username: "ada@contoso.example", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ObjectID: "00000000-0000-0000-66f3-3332eca7ea81"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./mqtt -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (go test ./mqtt -run Golden -update after checking the change)\ngot  %q\nwant %q", name, got, want)
	}
}

func TestGoldenPayloads(t *testing.T) {
	for _, tt := range []struct {
		file string
		enc  Encoding
	}{{"token.json", JSON}, {"token.cbor", CBOR}} {
		t.Run(tt.file, func(t *testing.T) {
			p, err := encodeToken(tt.enc, goldenToken(), goldenNow)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, p)
			back, err := DecodeToken(p)
			if err != nil {
				t.Fatal(err)
			}
			want := goldenToken()
			if back.AccessToken != want.AccessToken || !back.ExpiresAt.Equal(want.ExpiresAt) || back.Account != want.Account ||
				strings.Join(back.Scopes, " ") != strings.Join(want.Scopes, " ") || back.TokenType != want.TokenType {
				t.Fatalf("round trip: %+v", back)
			}
		})
	}
	t.Run("state.json", func(t *testing.T) {
		s := State{State: StateAwaitingUser, UserCode: "FJ8K-2QXB", VerificationURI: "https://microsoft.com/devicelogin",
			VerificationURIComplete: "https://microsoft.com/devicelogin?otc=FJ8K-2QXB", ExpiresAt: goldenNow.Add(15 * time.Minute)}
		p, err := encodeState(s, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "state.json", p)
		back, err := DecodeState(p)
		if err != nil || back.UserCode != s.UserCode || !back.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("state round trip: %+v %v", back, err)
		}
	})
}

func TestEncodeTokenFields(t *testing.T) {
	tok := goldenToken()
	tok.Scopes = nil
	p, _ := encodeToken(JSON, tok, goldenNow)
	if !bytes.Contains(p, []byte(`"scopes":[]`)) {
		t.Fatalf("nil scopes not encoded as []: %s", p)
	}
	if !bytes.Contains(p, []byte(`"expires_in":3599`)) || !bytes.Contains(p, []byte(`"v":1`)) {
		t.Fatalf("expires_in or v wrong: %s", p)
	}
}

func TestDecodeTokenErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"empty", "", "no token"},
		{"spaces", "  \n", "no token"},
		{"bad json", `{"v":1,`, "not valid JSON"},
		{"wrong type", `{"v":1,"access_token":5}`, "wrong type"},
		{"version 2", `{"v":2,"access_token":"a","expires_at":5}`, "version 2"},
		{"no version", `{"access_token":"a","expires_at":5}`, "version 0"},
		{"no access token", `{"v":1,"expires_at":5}`, "no access_token"},
		{"no expiry", `{"v":1,"access_token":"a"}`, "no expires_at"},
		{"not cbor", "\xff\x00", "neither JSON nor valid CBOR"},
		{"cbor array", "\x80", "neither JSON nor valid CBOR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeToken([]byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := DecodeToken(nil); !errors.Is(err, ErrNoToken) {
		t.Fatalf("empty payload: %v, want ErrNoToken", err)
	}
	if _, err := DecodeToken([]byte(`{"v":1,"access_token":"SECRET-AT","expires_at":"x"}`)); err == nil || strings.Contains(err.Error(), "SECRET-AT") {
		t.Fatalf("error %v shows the token or is nil", err)
	}
}

func TestDecodeStateErrors(t *testing.T) {
	for _, p := range []string{"", "{", `{"state":"dancing"}`, `{"state":5}`} {
		if _, err := DecodeState([]byte(p)); err == nil {
			t.Errorf("DecodeState(%q) accepted", p)
		}
	}
}

// TestWallUnix: expiry goes out as unix seconds computed from the time left
// (monotonic where available), and a zero time as 0.
func TestWallUnix(t *testing.T) {
	now := time.Now()
	exp := now.Add(time.Hour)
	if got := wallUnix(exp, now); got != exp.Unix() {
		t.Fatalf("wallUnix = %d, want %d", got, exp.Unix())
	}
	if wallUnix(time.Time{}, now) != 0 {
		t.Fatal("zero time not 0")
	}
}

func FuzzDecodeToken(f *testing.F) {
	for _, enc := range []Encoding{JSON, CBOR} {
		p, _ := encodeToken(enc, goldenToken(), goldenNow)
		f.Add(p)
	}
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte{0xa1, 0x61, 'v', 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		tok, err := DecodeToken(p)
		if err != nil {
			return
		}
		if tok.AccessToken == "" || tok.ExpiresAt.Unix() <= 0 {
			t.Fatalf("accepted a token without access token or expiry")
		}
		// What decodes must survive our own encoding.
		again, err := encodeToken(JSON, tok, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeToken(again); err != nil {
			t.Fatalf("re-encoded token does not decode: %v", err)
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	p, _ := encodeState(State{State: StateSignedIn, Account: "ada"}, goldenNow)
	f.Add(p)
	f.Add([]byte(`{"state":"error","error":"x","expires_at":-5}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := DecodeState(p)
		if err == nil && checkState(s.State) != nil {
			t.Fatal("accepted an unknown state")
		}
	})
}
