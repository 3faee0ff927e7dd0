package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

const tokenTopic = prefix + "/token/graph"

// TestPublishesContract checks every topic of DESIGN §3 as an independent
// subscriber (mosquitto_sub) sees it: retained status, state and token.
func TestPublishesContract(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	c := dial(t, testOptions(b.URL))
	ctx := ctxT(t)
	now := time.Now()
	st := State{State: StateAwaitingUser, UserCode: "ABCD-EFGH", VerificationURI: "https://microsoft.com/devicelogin",
		VerificationURIComplete: "https://microsoft.com/devicelogin?otc=ABCD-EFGH", ExpiresAt: now.Add(15 * time.Minute)}
	if err := c.PublishState(ctx, st); err != nil {
		t.Fatal(err)
	}
	tok := sampleToken(now, "at-contract")
	if err := c.PublishToken(ctx, "graph", tok); err != nil {
		t.Fatal(err)
	}
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/#")
	got := map[string]mosquittotest.Message{}
	for len(got) < 3 {
		m, err := sub.Next(wait)
		if err != nil {
			t.Fatalf("have %d of 3 retained topics: %v", len(got), err)
		}
		if !m.Retained {
			t.Fatalf("%s arrived live, want retained", m.Topic)
		}
		got[m.Topic] = m
	}
	if p := string(got[prefix+"/status"].Payload); p != "online" {
		t.Fatalf("status = %q, want online", p)
	}
	var stm map[string]any
	if err := json.Unmarshal(got[prefix+"/state"].Payload, &stm); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"state": "awaiting_user", "user_code": "ABCD-EFGH", "verification_uri": st.VerificationURI,
		"verification_uri_complete": st.VerificationURIComplete, "expires_at": float64(st.ExpiresAt.Unix()), "account": "", "error": ""}
	for k, v := range want {
		if stm[k] != v {
			t.Errorf("state %s = %v, want %v", k, stm[k], v)
		}
	}
	if len(stm) != len(want) {
		t.Errorf("state has %d fields, want %d", len(stm), len(want))
	}
	back, err := DecodeToken(got[tokenTopic].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if back.AccessToken != tok.AccessToken || back.ExpiresAt.Unix() != tok.ExpiresAt.Unix() || back.Account != tok.Account {
		t.Fatal("token read back differs from the one published")
	}
}

// TestEncodings decodes what a subscriber receives in each encoding, and
// checks the raw keys against the contract.
func TestEncodings(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	for _, enc := range []Encoding{JSON, CBOR} {
		t.Run(enc.String(), func(t *testing.T) {
			o := testOptions(b.URL)
			o.ClientID, o.Encoding = "agent-"+enc.String(), enc
			o.Prefix = prefix + "/" + enc.String()
			c := dial(t, o)
			now := time.Now()
			tok := sampleToken(now, "at-"+enc.String())
			if err := c.PublishToken(ctxT(t), "graph", tok); err != nil {
				t.Fatal(err)
			}
			sub := b.Subscribe(t, mosquittotest.SubOptions{}, o.Prefix+"/token/graph")
			m, err := sub.Next(wait)
			if err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			switch enc {
			case JSON:
				err = json.Unmarshal(m.Payload, &raw)
			case CBOR:
				if m.Payload[0]&0xe0 != 0xa0 {
					t.Fatalf("CBOR payload starts with %#x, want a map", m.Payload[0])
				}
				err = cborDec.Unmarshal(m.Payload, &raw)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"v", "access_token", "token_type", "expires_at", "expires_in", "scopes", "account"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("payload lacks %q", k)
				}
			}
			if len(raw) != 7 {
				t.Errorf("payload has %d keys, want exactly the 7 of the contract", len(raw))
			}
			back, err := DecodeToken(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if back.AccessToken != tok.AccessToken || back.TokenType != "Bearer" || len(back.Scopes) != 2 ||
				back.Account != tok.Account || back.ExpiresAt.Unix() != tok.ExpiresAt.Unix() {
				t.Fatal("decoded token differs from the published one")
			}
		})
	}
}

// TestPasswordACL: the agent writes with a password read from a file; a
// consumer may read but its writes to the token topic are dropped, both for
// live subscribers and for the retained token.
func TestPasswordACL(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"agent": "agent-secret", "reader": "reader-secret"},
		ACL: "user agent\ntopic readwrite devicecode/#\n\n" +
			"user reader\ntopic read devicecode/#\n",
	})
	o := testOptions(b.URL)
	o.Username, o.PasswordFile = "agent", writePassword(t, "agent-secret\n", 0o600)
	c := dial(t, o)
	ctx := ctxT(t)
	now := time.Now()
	if err := c.PublishToken(ctx, "graph", sampleToken(now, "at-agent-1")); err != nil {
		t.Fatal(err)
	}
	reader := mosquittotest.SubOptions{Username: "reader", Password: "reader-secret"}
	sub := b.Subscribe(t, reader, tokenTopic)
	if m := sub.WaitFor(wait, "retained token", isToken(tokenTopic)); !m.Retained {
		t.Fatal("first token message is not the retained one")
	}
	forged, _ := encodeToken(JSON, sampleToken(now, "at-forged"), now)
	if err := b.Publish(t, reader, tokenTopic, forged, true); err != nil {
		t.Fatal(err)
	}
	// The agent's next token is the next message: the forged one never
	// reached the subscriber.
	if err := c.PublishToken(ctx, "graph", sampleToken(now, "at-agent-2")); err != nil {
		t.Fatal(err)
	}
	m := sub.WaitFor(wait, "next token", isToken(tokenTopic))
	if got, _ := DecodeToken(m.Payload); got.AccessToken != "at-agent-2" {
		t.Fatal("the subscriber saw a token the reader forged")
	}
	// The reader forges once more; the retained token must still be the agent's.
	if err := b.Publish(t, reader, tokenTopic, forged, true); err != nil {
		t.Fatal(err)
	}
	ro := testOptions(b.URL)
	ro.Username, ro.PasswordFile = "reader", writePassword(t, "reader-secret", 0o640)
	got, err := ReadToken(ctx, ro, "graph")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "at-agent-2" {
		t.Fatal("the retained token was overwritten by the reader")
	}

	t.Run("wrong password fails Dial", func(t *testing.T) {
		bad := testOptions(b.URL)
		bad.ClientID, bad.Username, bad.PasswordFile = "bad", "agent", writePassword(t, "nope", 0o600)
		_, err := Dial(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), `not authorized: the broker refused user "agent"`) {
			t.Fatalf("Dial error = %v, want a refusal of the credentials", err)
		}
		if strings.Contains(err.Error(), "nope") {
			t.Fatal("the error shows the password")
		}
	})
	t.Run("anonymous refused", func(t *testing.T) {
		anon := testOptions(b.URL)
		anon.ClientID = "anon"
		if _, err := Dial(ctx, anon); err == nil {
			t.Fatal("anonymous Dial to a password broker succeeded")
		}
	})
}

// TestTLS connects with the generated CA, a client certificate and the
// server name; without the name or the certificate it never connects.
func TestTLS(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{TLS: true, RequireClientCert: true})
	good := testOptions(b.TLSURL)
	good.CAFile, good.CertFile, good.KeyFile, good.ServerName = b.TLS.CAFile, b.TLS.ClientCertFile, b.TLS.ClientKeyFile, b.TLS.ServerName
	c := dial(t, good)
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "at-tls")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadToken(ctxT(t), good, "graph")
	if err != nil || got.AccessToken != "at-tls" {
		t.Fatalf("ReadToken over TLS: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"no server name", func(o *Options) { o.ServerName = "" }},
		{"no client certificate", func(o *Options) { o.CertFile, o.KeyFile = "", "" }},
		{"system roots", func(o *Options) { o.CAFile = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			o.ClientID = "bad-" + tt.name
			tt.edit(&o)
			if _, err := ReadToken(ctxT(t), o, "graph"); err == nil {
				t.Fatal("ReadToken connected")
			}
		})
	}
	// With no CA file the system roots are read at each handshake
	// (internal/sysroots), from where SSL_CERT_FILE says, as crypto/x509
	// reads them: the broker's CA there, it connects.
	t.Run("CA among the system roots", func(t *testing.T) {
		t.Setenv("SSL_CERT_FILE", b.TLS.CAFile)
		t.Setenv("SSL_CERT_DIR", t.TempDir())
		o := good
		o.ClientID, o.CAFile = "system-roots", ""
		got, err := ReadToken(ctxT(t), o, "graph")
		if err != nil || got.AccessToken != "at-tls" {
			t.Fatalf("ReadToken with the CA among the system roots: %v", err)
		}
	})
}

// TestBrokerRestart kills the broker mid-session: publishing while it is away
// reports ErrNotConnected, and after the restart (which lost every retained
// message) a subscriber sees the latest token and state again.
func TestBrokerRestart(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	c := dial(t, testOptions(b.URL))
	ctx := ctxT(t)
	now := time.Now()
	if err := c.PublishToken(ctx, "graph", sampleToken(now, "at-before")); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishState(ctx, State{State: StateSignedIn, Account: "ada"}); err != nil {
		t.Fatal(err)
	}
	b.Kill()
	// The loss is noticed when the socket closes; publishing meanwhile
	// must fail with ErrNotConnected, never hang or queue.
	for i := 0; ; i++ {
		err := c.PublishToken(ctx, "graph", sampleToken(now, "at-latest"))
		if errors.Is(err, ErrNotConnected) {
			break
		}
		if i == 100 {
			t.Fatalf("PublishToken with the broker dead: %v, want ErrNotConnected", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for deadline := time.Now().Add(wait); c.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Connected() still true with the broker dead")
		}
	}
	b.Restart()
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, tokenTopic, prefix+"/state")
	start := time.Now()
	seen := map[string][]byte{}
	for len(seen) < 2 {
		m, err := sub.Next(wait)
		if err != nil {
			t.Fatalf("after restart, seen %d of token and state: %v", len(seen), err)
		}
		seen[m.Topic] = m.Payload
	}
	t.Logf("latest token and state back %v after the restart", time.Since(start).Round(time.Millisecond))
	got, err := DecodeToken(seen[tokenTopic])
	if err != nil || got.AccessToken != "at-latest" {
		t.Fatalf("after restart: token %v, want the latest", err)
	}
	if st, err := DecodeState(seen[prefix+"/state"]); err != nil || st.State != StateSignedIn {
		t.Fatalf("after restart: state %+v %v", st, err)
	}
}

// TestDialBeforeBroker: Dial returns at once while the broker is down and
// connects when it comes up.
func TestDialBeforeBroker(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	b.Kill()
	start := time.Now()
	c, err := Dial(ctxT(t), testOptions(b.URL))
	if err != nil {
		t.Fatalf("Dial with the broker down: %v", err)
	}
	defer c.Close(context.Background())
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Dial took %v with the broker down", d)
	}
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "at-early")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("PublishToken before the broker: %v, want ErrNotConnected", err)
	}
	b.Restart()
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadToken(ctxT(t), testOptions(b.URL), "graph")
	if err != nil || got.AccessToken != "at-early" {
		t.Fatalf("ReadToken after late start: %v", err)
	}
}

// TestExpiryAndClear: a live token is cleared when it expires, and on
// ClearToken; the clear is an empty retained message.
func TestExpiryAndClear(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	c := dial(t, testOptions(b.URL))
	ctx := ctxT(t)
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/token/+")
	short := sampleToken(time.Now(), "at-short")
	short.ExpiresAt = time.Now().Add(300 * time.Millisecond)
	if err := c.PublishToken(ctx, "short", short); err != nil {
		t.Fatal(err)
	}
	if m := sub.WaitFor(wait, "short token", isToken(prefix+"/token/short")); len(m.Payload) == 0 {
		t.Fatal("got the clear before the token")
	}
	if m := sub.WaitFor(wait, "clear at expiry", isToken(prefix+"/token/short")); len(m.Payload) != 0 {
		t.Fatal("second message on the topic is not the empty clear")
	}
	if err := c.PublishToken(ctx, "graph", sampleToken(time.Now(), "at-graph")); err != nil {
		t.Fatal(err)
	}
	sub.WaitFor(wait, "graph token", isToken(tokenTopic))
	if err := c.ClearToken(ctx, "graph"); err != nil {
		t.Fatal(err)
	}
	if m := sub.WaitFor(wait, "clear", isToken(tokenTopic)); len(m.Payload) != 0 {
		t.Fatal("ClearToken did not publish an empty message")
	}
	for _, p := range []string{"graph", "short"} {
		if _, err := ReadToken(ctx, testOptions(b.URL), p); !errors.Is(err, ErrNoToken) {
			t.Fatalf("ReadToken(%s) after clear: %v, want ErrNoToken", p, err)
		}
	}
	// An already expired token is cleared, not published.
	old := sampleToken(time.Now(), "at-old")
	old.ExpiresAt = time.Now().Add(-time.Second)
	if err := c.PublishToken(ctx, "graph", old); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("PublishToken(expired) = %v, want ErrTokenExpired", err)
	}
	if m := sub.WaitFor(wait, "clear", isToken(tokenTopic)); len(m.Payload) != 0 {
		t.Fatal("an expired token was published")
	}
}

// TestExpiredWhileDisconnected: a broker with persistence keeps the old
// token across its restart; the token expired meanwhile, so on reconnect the
// client clears it instead of publishing it.
func TestExpiredWhileDisconnected(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	clock := &fakeClock{now: time.Now()}
	o := testOptions(b.URL)
	o.Now = clock.Now
	c := dial(t, o)
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(clock.Now(), "at-stale")); err != nil {
		t.Fatal(err)
	}
	b.Stop() // saves the retained token
	clock.Advance(2 * time.Hour)
	b.Restart()
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/status")
	sub.WaitFor(wait, "online", func(m mosquittotest.Message) bool { return string(m.Payload) == "online" })
	_, err := ReadToken(ctxT(t), testOptions(b.URL), "graph")
	if !errors.Is(err, ErrNoToken) {
		t.Fatalf("ReadToken after reconnect: %v, want ErrNoToken (the stale token cleared)", err)
	}
}

func TestWebSockets(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{WebSockets: true})
	o := testOptions(b.WSURL)
	c := dial(t, o)
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "at-ws")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadToken(ctxT(t), o, "graph")
	if err != nil || got.AccessToken != "at-ws" {
		t.Fatalf("ReadToken over ws: %v", err)
	}
}

func TestSignOutCommand(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	c := dial(t, testOptions(b.URL))
	if err := b.Publish(t, mosquittotest.SubOptions{}, prefix+"/cmd/signout", []byte("please"), false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.SignOutRequests():
	case <-time.After(wait):
		t.Fatal("no sign-out request")
	}
}

// TestSignOutIgnoresRetained drives the handler directly: a retained
// command must not sign out (it would on every reconnect).
func TestSignOutIgnoresRetained(t *testing.T) {
	c := &Client{signoutCh: make(chan struct{}, 1)}
	c.onSignout(nil, fakeMessage{retained: true})
	select {
	case <-c.SignOutRequests():
		t.Fatal("a retained command was delivered")
	default:
	}
	c.onSignout(nil, fakeMessage{})
	c.onSignout(nil, fakeMessage{}) // merged, never blocks
	<-c.SignOutRequests()
	select {
	case <-c.SignOutRequests():
		t.Fatal("two requests delivered, want them merged")
	default:
	}
}

// TestCloseAndLastWill: an abrupt drop makes the broker publish the will
// "offline", the client reconnects and says "online" again; Close leaves
// "offline" retained.
func TestCloseAndLastWill(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	p := startProxy(t, b.Addr())
	c, err := Dial(ctxT(t), testOptions(p.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/status")
	if m, _ := sub.Next(wait); string(m.Payload) != "online" {
		t.Fatalf("status %q, want online", m.Payload)
	}
	p.dropAll()
	for _, want := range []string{"offline", "online"} {
		m, err := sub.Next(wait)
		if err != nil {
			t.Fatalf("waiting for %s: %v", want, err)
		}
		if string(m.Payload) != want {
			t.Fatalf("status %q, want %q", m.Payload, want)
		}
	}
	if err := c.WaitConnected(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	after := b.Subscribe(t, mosquittotest.SubOptions{}, prefix+"/status")
	m, err := after.Next(wait)
	if err != nil || string(m.Payload) != "offline" || !m.Retained {
		t.Fatalf("after Close: %q retained=%v (%v), want retained offline", m.Payload, m.Retained, err)
	}
	if err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "x")); err == nil {
		t.Fatal("PublishToken after Close succeeded")
	}
}

// TestPublishTimeout: a link that swallows everything gives no PUBACK; the
// publish fails with a timeout error (not a hang, not a silent success), the
// client drops that connection at once and, once the link works again,
// republishes the token on a new one.
func TestPublishTimeout(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	p := startProxy(t, b.Addr())
	o := testOptions(p.URL())
	o.PublishTimeout = 200 * time.Millisecond
	c := dial(t, o)
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, tokenTopic)
	p.swallow.Store(true)
	err := c.PublishToken(ctxT(t), "graph", sampleToken(time.Now(), "at-lost"))
	if err == nil || !strings.Contains(err.Error(), "no acknowledgement within 200ms") {
		t.Fatalf("PublishToken over a dead link: %v, want a timeout", err)
	}
	if strings.Contains(err.Error(), "at-lost") {
		t.Fatal("the error shows the token")
	}
	p.swallow.Store(false)
	m := sub.WaitFor(wait, "token republished after the dead link", isToken(tokenTopic))
	if got, err := DecodeToken(m.Payload); err != nil || got.AccessToken != "at-lost" {
		t.Fatalf("republished token: %v", err)
	}
}

func TestReadTokenErrors(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	o := testOptions(b.URL)
	now := time.Now()
	expired := sampleToken(now, "at-expired")
	expired.ExpiresAt = now.Add(-time.Minute)
	expiredPayload, _ := encodeToken(JSON, expired, now)
	cborPayload, _ := encodeToken(CBOR, sampleToken(now, "at-cbor"), now)
	tests := []struct {
		name    string
		payload []byte // retained on the topic first; nil: nothing
		want    error
		wantMsg string
	}{
		{"none", nil, ErrNoToken, "is the agent running"},
		{"cleared", []byte{}, ErrNoToken, "cleared"},
		{"expired", expiredPayload, ErrTokenExpired, "expired at"},
		{"garbage", []byte("{not json"), nil, "not valid JSON"},
		{"cbor", cborPayload, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			profile := "p-" + tt.name
			if tt.payload != nil {
				if err := b.Publish(t, mosquittotest.SubOptions{}, prefix+"/token/"+profile, tt.payload, true); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			got, err := ReadToken(ctxT(t), o, profile)
			t.Logf("ReadToken took %v", time.Since(start).Round(time.Millisecond))
			if tt.wantMsg == "" {
				if err != nil || got.AccessToken != "at-cbor" {
					t.Fatalf("ReadToken: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("ReadToken error = %v, want %v containing %q", err, tt.want, tt.wantMsg)
			}
			if bytes.Contains([]byte(err.Error()), []byte("at-expired")) {
				t.Fatal("the error shows the token")
			}
		})
	}
}
