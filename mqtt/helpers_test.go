package mqtt

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

// wait bounds every event-driven wait in these tests; none sleeps for it.
const wait = 5 * time.Second

const prefix = "devicecode/test"

// testOptions are fast options for a test broker: short timeouts and a
// reconnect backoff in the tens of milliseconds.
func testOptions(url string) Options {
	return Options{
		Broker:               url,
		ClientID:             "agent",
		Prefix:               prefix,
		ConnectTimeout:       2 * time.Second,
		PublishTimeout:       2 * time.Second,
		MinReconnectInterval: 20 * time.Millisecond,
		MaxReconnectInterval: 200 * time.Millisecond,
		Logger:               slog.New(slog.DiscardHandler),
	}
}

// dial connects and waits until the client is online; Close at cleanup.
func dial(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := Dial(context.Background(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// sampleToken is a token that expires in an hour of now.
func sampleToken(now time.Time, access string) Token {
	return Token{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresAt:   now.Add(time.Hour),
		Scopes:      []string{"https://graph.microsoft.com/User.Read", "offline_access"},
		Account:     Account{Username: "ada@contoso.example", TenantID: "tid-1", ObjectID: "oid-1"},
	}
}

func writePassword(t *testing.T, pw string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mqtt.pass")
	if err := os.WriteFile(p, []byte(pw), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func isToken(topic string) func(mosquittotest.Message) bool {
	return func(m mosquittotest.Message) bool { return m.Topic == topic }
}

// fakeClock is a settable wall clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// proxy is a TCP proxy in front of the broker that can cut its connections
// abruptly (no DISCONNECT: the broker publishes the will), swallow all
// traffic (a half-dead link: no PUBACK ever comes), or delay what the
// broker sends (a slow broker).
type proxy struct {
	ln      net.Listener
	target  string
	swallow atomic.Bool
	delay   atomic.Int64 // nanoseconds before each chunk from the broker
	mu      sync.Mutex
	conns   []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.dropAll() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go p.copy(out, in, false)
			go p.copy(in, out, true)
		}
	}()
	return p
}

func (p *proxy) URL() string { return "tcp://" + p.ln.Addr().String() }

func (p *proxy) copy(dst, src net.Conn, fromBroker bool) {
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if d := p.delay.Load(); n > 0 && fromBroker && d > 0 {
			time.Sleep(time.Duration(d))
		}
		if n > 0 && !p.swallow.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
