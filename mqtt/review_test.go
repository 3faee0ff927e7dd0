package mqtt

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

// Tests for what a review of the Client found; each failed before its fix.

// A sign-out's clear whose context ends while a slow republish after a
// reconnect holds the link is not lost: the value is recorded first, and
// the republish sends it before it lets go. Before, the token stayed
// retained, and was republished on every reconnect until it expired.
func TestClearIsKeptWhileAReconnectRepublishes(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	p := startProxy(t, b.Addr())
	o := testOptions(p.URL())
	o.PublishTimeout, o.ConnectTimeout = 3*time.Second, 3*time.Second
	c := dial(t, o)
	for _, profile := range []string{"graph", "p2", "p3", "p4"} {
		if err := c.PublishToken(ctxT(t), profile, sampleToken(time.Now(), "at-"+profile)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PublishState(ctxT(t), State{State: StateSignedIn, Account: "ada"}); err != nil {
		t.Fatal(err)
	}
	// The link drops and the broker answers slowly: the republish (status,
	// state, four tokens, the subscription) takes seven slow round trips.
	p.delay.Store(int64(400 * time.Millisecond))
	p.dropAll()
	for c.Connected() {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(600 * time.Millisecond) // the republish is under way
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	err := c.ClearToken(ctx, "graph")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "kept") {
		t.Fatalf("ClearToken = %v; want the deadline, the value kept", err)
	}
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	p.delay.Store(0)
	deadline := time.Now().Add(wait)
	for {
		_, err := ReadToken(ctxT(t), testOptions(b.URL), "graph")
		if errors.Is(err, ErrNoToken) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadToken(graph) after the sign-out's clear: %v; want ErrNoToken", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if tok, err := ReadToken(ctxT(t), testOptions(b.URL), "p2"); err != nil || tok.AccessToken != "at-p2" {
		t.Errorf("ReadToken(p2) = %v; the other tokens must stay", err)
	}
}

// Dial stops waiting (its context ended) before the broker refuses the
// credentials: the Client it returned must not be a dead one. Its loop
// goes on, retrying with back-off, and says so at error level.
func TestRefusalAfterDialReturnedIsLoggedAndRetried(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"agent": "agent-secret"},
		ACL:   "user agent\ntopic readwrite devicecode/#\n",
	})
	var mu sync.Mutex
	var logs bytes.Buffer
	o := testOptions(b.URL)
	o.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o.Username, o.PasswordFile = "agent", writePassword(t, "wrong", 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a deadline that ends before the CONNACK
	c, err := Dial(ctx, o)
	if err != nil {
		// The attempt was over before Dial looked at its context: then
		// Dial reports the refusal itself, as it must.
		if !strings.Contains(err.Error(), "the broker refused user") {
			t.Fatalf("Dial = %v; want nil or the refusal", err)
		}
		return
	}
	defer c.Close(context.Background())
	deadline := time.Now().Add(wait)
	for {
		mu.Lock()
		text := logs.String()
		mu.Unlock()
		if strings.Contains(text, "level=ERROR") && strings.Contains(text, "the broker refused user") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error-level log of the refusal:\n%s", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-c.done:
		t.Fatal("the connection loop ended: the Client Dial returned is dead")
	case <-time.After(300 * time.Millisecond):
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Topic parts that are not valid UTF-8 or hold control characters are
// refused before anything is sent: Mosquitto drops a client for such a
// topic, and every reconnect would republish it, a loop that never
// connects.
func TestTopicPartsMustBeCleanUTF8(t *testing.T) {
	c := &Client{cfg: &config{Options: Options{Prefix: prefix}}, tokens: map[string]*entry{}, sem: make(chan struct{}, 1)}
	for _, bad := range []string{"bad\xff", "tab\tname", "del\x7fete", "c1\u0085", "non\ufffe"} {
		if err := c.PublishToken(context.Background(), bad, sampleToken(time.Now(), "at")); err == nil {
			t.Errorf("PublishToken accepted profile %q", bad)
		}
		if err := c.ClearToken(context.Background(), bad); err == nil {
			t.Errorf("ClearToken accepted profile %q", bad)
		}
		o := testOptions("tcp://localhost:1883")
		o.Prefix = "devicecode/" + bad
		if err := CheckOptions(o); err == nil {
			t.Errorf("CheckOptions accepted prefix %q", o.Prefix)
		}
	}
	if len(c.tokens) != 0 {
		t.Errorf("a refused profile left an entry: %v", c.tokens)
	}
	if err := checkTopicPart("profile", "Ünïcode-ok", false); err != nil {
		t.Errorf("valid UTF-8 refused: %v", err)
	}
}

// An expiry timer that fires early by the Client's clock (the wall clock
// stepped back after the token was published) waits the rest, instead of
// leaving the token retained for good.
func TestExpiryTimerWaitsTheRestAfterAClockStep(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	var offset atomic.Int64
	o := testOptions(b.URL)
	o.Now = func() time.Time { return time.Now().Round(0).Add(time.Duration(offset.Load())) }
	c := dial(t, o)
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, tokenTopic)
	tok := sampleToken(time.Now(), "at-short")
	tok.ExpiresAt = time.Now().Round(0).Add(300 * time.Millisecond) // a wall time, as from a cache
	if err := c.PublishToken(ctxT(t), "graph", tok); err != nil {
		t.Fatal(err)
	}
	sub.WaitFor(wait, "token", isToken(tokenTopic))
	offset.Store(int64(-time.Second)) // NTP steps the clock back a second
	m := sub.WaitFor(wait, "the clear, a second late", isToken(tokenTopic))
	if len(m.Payload) != 0 {
		t.Fatalf("got %d bytes; want the empty clear", len(m.Payload))
	}
	if late := o.Now().Sub(tok.ExpiresAt); late < 0 {
		t.Errorf("cleared %v before the expiry by the Client's clock", -late)
	}
}

// Close whose context ends while another publish holds the link still
// closes the Client: later calls fail with errClosed (not the "not
// connected" a caller treats as queued), and the broker says offline.
func TestCloseClosesEvenWhenItCannotWait(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	p := startProxy(t, b.Addr())
	o := testOptions(p.URL())
	o.PublishTimeout = 1500 * time.Millisecond
	c, err := Dial(ctxT(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	p.swallow.Store(true) // no PUBACK comes back: a publish holds the link
	done := make(chan error, 1)
	go func() { done <- c.PublishToken(context.Background(), "graph", sampleToken(time.Now(), "at-x")) }()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v; want its deadline", err)
	}
	cancel()
	<-done
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "at-after")); !errors.Is(err, errClosed) {
		t.Errorf("PublishToken after Close = %v; want errClosed", err)
	}
	if err := c.ClearToken(ctxT(t), "graph"); !errors.Is(err, errClosed) {
		t.Errorf("ClearToken after Close = %v; want errClosed", err)
	}
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/status")
	sub.WaitFor(wait, "offline", func(m mosquittotest.Message) bool { return string(m.Payload) == "offline" })
}
