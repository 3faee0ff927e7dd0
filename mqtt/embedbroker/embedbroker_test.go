package embedbroker_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/mqtt"
	"github.com/boardlogin/boardlogin/mqtt/embedbroker"
)

// TestTokenRoundTrip: the agent's client publishes a token to the embedded
// broker and ReadToken gets it back, as in the demo.
func TestTokenRoundTrip(t *testing.T) {
	b, err := embedbroker.Start(embedbroker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.URL(), "tcp://127.0.0.1:") {
		t.Fatalf("URL = %q", b.URL())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := mqtt.Options{Broker: b.URL(), Prefix: "devicecode/demo", ClientID: "demo-agent", Logger: slog.New(slog.DiscardHandler)}
	c, err := mqtt.Dial(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	want := mqtt.Token{AccessToken: "demo-at", TokenType: "Bearer", ExpiresAt: time.Now().Add(time.Hour)}
	if err := c.PublishToken(ctx, "graph", want); err != nil {
		t.Fatal(err)
	}
	got, err := mqtt.ReadToken(ctx, opts, "graph")
	if err != nil || got.AccessToken != want.AccessToken {
		t.Fatalf("ReadToken: %v", err)
	}
	if err := c.ClearToken(ctx, "graph"); err != nil {
		t.Fatal(err)
	}
	if _, err := mqtt.ReadToken(ctx, opts, "graph"); !errors.Is(err, mqtt.ErrNoToken) {
		t.Fatalf("after clear: %v, want ErrNoToken", err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(b.URL(), "tcp://"), time.Second); err == nil {
		conn.Close()
		t.Fatal("broker still accepts connections after Close")
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":1883", "192.0.2.1:1883", "nonsense"} {
		if b, err := embedbroker.Start(embedbroker.Options{Addr: addr}); err == nil {
			b.Close()
			t.Errorf("Start(%q) accepted a non-loopback address", addr)
		}
	}
}
