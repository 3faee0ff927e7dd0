package mosquittotest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
	"github.com/gorilla/websocket"
)

const wait = 5 * time.Second

func TestAnonymousPublishSubscribe(t *testing.T) {
	b := Start(t, Options{})
	if !strings.HasPrefix(b.URL, "tcp://127.0.0.1:") {
		t.Fatalf("URL = %q, want tcp://127.0.0.1:PORT", b.URL)
	}
	sub := b.Subscribe(t, SubOptions{}, "t/#")
	for _, p := range [][]byte{[]byte("hello"), {0x00, 0xff, '\n', '\t'}, nil} {
		if err := b.Publish(t, SubOptions{}, "t/x", p, false); err != nil {
			t.Fatal(err)
		}
		m, err := sub.Next(wait)
		if err != nil {
			t.Fatal(err)
		}
		if m.Topic != "t/x" || !bytes.Equal(m.Payload, p) || m.Retained {
			t.Fatalf("got %q %x retained=%v, want t/x %x live", m.Topic, m.Payload, m.Retained, p)
		}
	}
}

// TestPasswordLineMatchesMosquittoPasswd recomputes a line mosquitto_passwd
// wrote, with its salt: the Go hash must be byte for byte the same.
func TestPasswordLineMatchesMosquittoPasswd(t *testing.T) {
	bin := testenv.RequireCommand(t, "mosquitto_passwd", "mosquitto")
	f := filepath.Join(t.TempDir(), "pw")
	if out, err := testenv.CombinedOutput(func() *exec.Cmd { return exec.Command(bin, "-b", "-c", f, "alice", "s3cret pass") }); err != nil {
		t.Fatalf("mosquitto_passwd: %v: %s", err, out)
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(data))
	parts := strings.Split(line, "$") // alice:, 7, 101, salt, hash
	if len(parts) != 5 {
		t.Fatalf("unexpected mosquitto_passwd format with %d fields", len(parts))
	}
	salt, err := decodeB64(parts[3])
	if err != nil {
		t.Fatal(err)
	}
	got, err := passwordLine("alice", "s3cret pass", salt)
	if err != nil {
		t.Fatal(err)
	}
	if got != line {
		t.Fatal("Go password line differs from mosquitto_passwd's for the same salt")
	}
	if _, err := passwordLine("a:b", "x", salt); err == nil {
		t.Fatal("user name with ':' accepted")
	}
}

func TestPasswordAndACL(t *testing.T) {
	b := Start(t, Options{
		Users: map[string]string{"agent": "agent-pw", "reader": "reader-pw"},
		ACL:   "user agent\ntopic readwrite dc/#\n\nuser reader\ntopic read dc/#\n",
	})
	agent := SubOptions{"agent", "agent-pw"}
	reader := SubOptions{"reader", "reader-pw"}
	sub := b.Subscribe(t, reader, "dc/#")
	if err := b.Publish(t, SubOptions{"agent", "wrong"}, "dc/x", []byte("bad"), false); err == nil {
		t.Fatal("publish with a wrong password succeeded")
	}
	if err := b.Publish(t, SubOptions{}, "dc/x", []byte("anon"), false); err == nil {
		t.Fatal("anonymous publish succeeded on a password broker")
	}
	// The reader's write is dropped by the ACL; the agent's arrives, and
	// it must be the first message the reader sees.
	if err := b.Publish(t, reader, "dc/x", []byte("from reader"), false); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t, agent, "dc/x", []byte("from agent"), false); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Next(wait)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Payload) != "from agent" {
		t.Fatalf("first message %q, want the agent's (the reader's write must be denied)", m.Payload)
	}
}

func TestTLSWithClientCertificate(t *testing.T) {
	b := Start(t, Options{TLS: true, RequireClientCert: true})
	if !strings.HasPrefix(b.TLSURL, "ssl://127.0.0.1:") || b.TLS == nil {
		t.Fatalf("TLSURL = %q, TLS = %v", b.TLSURL, b.TLS)
	}
	pem, err := os.ReadFile(b.TLS.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert, err := tls.LoadX509KeyPair(b.TLS.ClientCertFile, b.TLS.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(b.TLSURL, "ssl://")
	handshake := func(cfg *tls.Config) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", addr, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		// TLS 1.3 reports a refused client certificate on the first read.
		c.SetDeadline(time.Now().Add(wait))
		if _, err := c.Write([]byte{0xc0, 0x00}); err != nil { // PINGREQ before CONNECT: broker closes
			return err
		}
		_, err = c.Read(make([]byte, 1))
		if err != nil && strings.Contains(err.Error(), "certificate") {
			return err
		}
		return nil
	}
	tests := []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{"ca, name and client cert", &tls.Config{RootCAs: pool, ServerName: b.TLS.ServerName, Certificates: []tls.Certificate{cert}}, false},
		{"no server name", &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}, true},
		{"unknown CA", &tls.Config{ServerName: b.TLS.ServerName, Certificates: []tls.Certificate{cert}}, true},
		{"no client cert", &tls.Config{RootCAs: pool, ServerName: b.TLS.ServerName}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handshake(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("handshake error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestKillRestartSamePortAndPersistence(t *testing.T) {
	b := Start(t, Options{Persistence: true})
	if err := b.Publish(t, SubOptions{}, "keep/me", []byte("kept"), true); err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	b.Stop() // saves the retained message
	b.Restart()
	b.Kill()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("broker still accepts connections after Kill")
	}
	b.Restart()
	if b.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", b.Addr(), addr)
	}
	sub := b.Subscribe(t, SubOptions{}, "keep/me")
	m, err := sub.Next(wait)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Payload) != "kept" || !m.Retained {
		t.Fatalf("after restart got %q retained=%v, want retained \"kept\"", m.Payload, m.Retained)
	}
}

func TestWebSocketsBridge(t *testing.T) {
	b := Start(t, Options{WebSockets: true})
	if !strings.HasPrefix(b.WSURL, "ws://127.0.0.1:") {
		t.Fatalf("WSURL = %q", b.WSURL)
	}
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: wait}
	ws, resp, err := d.Dial(b.WSURL, http.Header{})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if resp.Header.Get("Sec-WebSocket-Protocol") != "mqtt" {
		t.Fatalf("subprotocol %q, want mqtt", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	// MQTT 3.1.1 CONNECT, clean session, keepalive 10, client id "ws".
	connect := []byte{0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, 2, 'w', 's'}
	if err := ws.WriteMessage(websocket.BinaryMessage, connect); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(wait))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msg, []byte{0x20, 2, 0, 0}) {
		t.Fatalf("got % x, want CONNACK accepted 20 02 00 00", msg)
	}
	b.Kill()
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("websocket still open after the broker was killed")
	}
}
