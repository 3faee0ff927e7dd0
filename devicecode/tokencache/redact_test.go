package tokencache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSnapshotRedacts(t *testing.T) {
	s := sample()
	at := s.AccessTokens["graph"]
	type holder struct {
		S  Snapshot
		P  *Snapshot
		AT AccessToken
	}
	values := map[string]any{
		"Snapshot":    *s,
		"*Snapshot":   s,
		"AccessToken": at,
		"map":         s.AccessTokens,
		"slice":       []Snapshot{*s},
		"struct":      holder{S: *s, P: s, AT: at},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%20.3s"} {
			checkNoSecret(t, fmt.Sprintf("fmt.Sprintf(%q, %s)", verb, name), fmt.Sprintf(verb, v))
		}
		checkNoSecret(t, "fmt.Sprint("+name+")", fmt.Sprint(v))
		checkNoSecret(t, "fmt.Sprintln("+name+")", fmt.Sprintln(v))
		j, err := json.Marshal(v)
		if err != nil {
			t.Errorf("json.Marshal(%s): %v", name, err)
		}
		checkNoSecret(t, "json.Marshal("+name+")", string(j))
	}
	// The redacted form still says what is there.
	got := s.String()
	for _, want := range []string{"alice@contoso.com", "RefreshToken:<redacted>", `"graph":{Token:<redacted>`, "2025-06-15T16:06:40Z", s.ClientID} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %s\nlacks %q", got, want)
		}
	}
	if got := (Snapshot{}).String(); !strings.Contains(got, "RefreshToken:<none>") {
		t.Errorf("empty snapshot String() = %s; want RefreshToken:<none>", got)
	}
}

func TestSnapshotLogRedacts(t *testing.T) {
	s := sample()
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("loaded", "cache", s, "snapshot", *s, "token", s.AccessTokens["graph"], "tokens", s.AccessTokens)
		out := buf.String()
		checkNoSecret(t, h.name+" log line", out)
		for _, want := range []string{"alice@contoso.com", "refresh_token", "<redacted>", "graph"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s log line %s lacks %q", h.name, out, want)
			}
		}
	}
}
