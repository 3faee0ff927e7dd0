package mqtt

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

func TestNewConfigErrors(t *testing.T) {
	good := writePassword(t, "pw\n", 0o600)
	tests := []struct {
		name    string
		opts    Options
		field   string
		wantErr string
	}{
		{"no broker", Options{}, "Broker", "no broker URL"},
		{"bad scheme", Options{Broker: "http://localhost:1883"}, "Broker", "scheme must be"},
		{"no host", Options{Broker: "tcp://:1883"}, "Broker", "has no host"},
		{"credentials in URL", Options{Broker: "tcp://u:p@localhost:1883"}, "Broker", "must not carry credentials"},
		{"wildcard prefix", Options{Broker: "tcp://localhost", Prefix: "devicecode/+"}, "Prefix", "wildcard"},
		{"empty level prefix", Options{Broker: "tcp://localhost", Prefix: "a//b"}, "Prefix", "empty topic level"},
		{"bad encoding", Options{Broker: "tcp://localhost", Encoding: 7}, "Encoding", "unknown encoding"},
		{"negative timeout", Options{Broker: "tcp://localhost", PublishTimeout: -1}, "PublishTimeout", "negative"},
		{"keep-alive under a second", Options{Broker: "tcp://localhost", KeepAlive: time.Millisecond}, "KeepAlive", "1s resolution"},
		{"password without user", Options{Broker: "tcp://localhost", PasswordFile: good}, "Username", "without a username"},
		{"missing password file", Options{Broker: "tcp://localhost", Username: "u", PasswordFile: "/nonexistent/pw"}, "PasswordFile", "password file"},
		{"world-readable password", Options{Broker: "tcp://localhost", Username: "u", PasswordFile: writePassword(t, "pw", 0o644)}, "PasswordFile", "chmod o-rwx"},
		{"empty password", Options{Broker: "tcp://localhost", Username: "u", PasswordFile: writePassword(t, "\n", 0o600)}, "PasswordFile", "is empty"},
		{"two-line password", Options{Broker: "tcp://localhost", Username: "u", PasswordFile: writePassword(t, "a\nb\n", 0o600)}, "PasswordFile", "more than one line"},
		{"TLS files on tcp", Options{Broker: "tcp://localhost", CAFile: "/x"}, "Broker", "use ssl://"},
		{"missing CA", Options{Broker: "ssl://localhost", CAFile: "/nonexistent/ca.pem"}, "CAFile", "CA file"},
		{"CA not PEM", Options{Broker: "ssl://localhost", CAFile: good}, "CAFile", "no PEM certificate"},
		{"cert without key", Options{Broker: "ssl://localhost", CertFile: "/x"}, "CertFile", "both CertFile and KeyFile"},
		{"cert and key not PEM", Options{Broker: "ssl://localhost", CertFile: good, KeyFile: good}, "CertFile", "client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			err := CheckOptions(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "mqtt: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			var oe *OptionsError
			if !errors.As(err, &oe) || oe.Field != tt.field {
				t.Errorf("error %#v: want an *OptionsError for field %s", err, tt.field)
			}
			// Dial refuses the same options the same way, before any traffic.
			if _, err := Dial(context.Background(), tt.opts); !errors.As(err, &oe) || oe.Field != tt.field {
				t.Errorf("Dial: %v; want the same *OptionsError", err)
			}
		})
	}
}

func TestPasswordFileTrimmed(t *testing.T) {
	for _, content := range []string{"s3cret", "s3cret\n", "s3cret\r\n"} {
		cfg, err := newConfig(Options{Broker: "tcp://localhost", Username: "u", PasswordFile: writePassword(t, content, 0o640)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.password != "s3cret" {
			t.Fatalf("password from %q not trimmed to the line", content)
		}
	}
}

func TestDefaults(t *testing.T) {
	old := hostname
	hostname = func() (string, error) { return "board7", nil }
	t.Cleanup(func() { hostname = old })
	cfg, err := newConfig(Options{Broker: "TCP://localhost:1883"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Prefix != "devicecode/board7" || cfg.ClientID != "boardlogin-board7" {
		t.Fatalf("prefix %q client id %q", cfg.Prefix, cfg.ClientID)
	}
	if cfg.PublishTimeout != DefaultOptions.PublishTimeout || cfg.MaxReconnectInterval != 30*time.Second || cfg.Encoding != JSON {
		t.Fatalf("defaults not applied: %+v", cfg.Options)
	}
}

// TestPlaintextWarning: a warning when the broker is neither loopback nor
// TLS, none otherwise.
func TestPlaintextWarning(t *testing.T) {
	tests := []struct {
		broker string
		warn   bool
	}{
		{"tcp://localhost:1883", false},
		{"tcp://127.0.0.1:1883", false},
		{"tcp://[::1]:1883", false},
		{"ws://127.0.0.2:9001", false},
		{"ssl://broker.example:8883", false},
		{"wss://broker.example/mqtt", false},
		{"tcp://10.0.0.5:1883", true},
		{"mqtt://broker.example:1883", true},
		{"ws://broker.example:9001", true},
	}
	for _, tt := range tests {
		t.Run(tt.broker, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := newConfig(Options{Broker: tt.broker, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "level=WARN"); got != tt.warn {
				t.Fatalf("warned = %v, want %v (log %q)", got, tt.warn, buf.String())
			}
		})
	}
}

func TestParseEncoding(t *testing.T) {
	tests := []struct {
		in   string
		want Encoding
		err  bool
	}{{"", JSON, false}, {"json", JSON, false}, {"CBOR", CBOR, false}, {"xml", 0, true}}
	for _, tt := range tests {
		got, err := ParseEncoding(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseEncoding(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestReconnectDelay(t *testing.T) {
	min, max := 500*time.Millisecond, 30*time.Second
	tests := []struct {
		n      int
		lo, hi time.Duration // rnd = 0 and rnd -> 1
	}{
		{0, 250 * time.Millisecond, 500 * time.Millisecond},
		{1, 500 * time.Millisecond, time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{6, 15 * time.Second, 30 * time.Second},
		{7, 15 * time.Second, 30 * time.Second},
		{10000, 15 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := reconnectDelay(tt.n, min, max, func() float64 { return 0 }); got != tt.lo {
			t.Errorf("attempt %d, rnd 0: %v, want %v", tt.n, got, tt.lo)
		}
		if got := reconnectDelay(tt.n, min, max, func() float64 { return 0.999999 }); got > tt.hi || got < tt.hi-tt.hi/1000 {
			t.Errorf("attempt %d, rnd ~1: %v, want about %v", tt.n, got, tt.hi)
		}
	}
}

// TestPublishValidation: bad input is an error before any network use.
func TestPublishValidation(t *testing.T) {
	c := &Client{cfg: &config{Options: Options{Now: time.Now}}, sem: make(chan struct{}, 1), tokens: map[string]*entry{}}
	ctx := t.Context()
	now := time.Now()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"bad state", func() error { return c.PublishState(ctx, State{State: "dancing"}) }, "unknown state"},
		{"profile with slash", func() error { return c.PublishToken(ctx, "a/b", sampleToken(now, "x")) }, "contains '/'"},
		{"profile wildcard", func() error { return c.PublishToken(ctx, "#", sampleToken(now, "x")) }, "wildcard"},
		{"empty profile", func() error { return c.ClearToken(ctx, "") }, "empty profile"},
		{"no access token", func() error { return c.PublishToken(ctx, "graph", sampleToken(now, "")) }, "no access token"},
		{"no expiry", func() error { return c.PublishToken(ctx, "graph", Token{AccessToken: "x"}) }, "no expiry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// A broker named by IP address in ServerName (mqtt-server-name accepts an
// IP) is verified as crypto/tls verifies it, with crypto/x509's pool:
// crypto/tls reports no name for an IP, so the per-handshake verifier of
// internal/sysroots cannot check it and would refuse every such broker.
func TestServerNameIPUsesTheSystemPool(t *testing.T) {
	ipBrokerOnce.Do(func() { ipBroker = newIPBrokerPKI(t) })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ipBroker.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", caFile) // the system roots, for this test
	t.Setenv("SSL_CERT_DIR", t.TempDir())
	addr := testenv.ServeTLS(t, &tls.Config{Certificates: []tls.Certificate{ipBroker.cert}})
	for _, name := range []string{"", "127.0.0.1"} {
		cfg, err := tlsConfig(Options{ServerName: name}, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
		if err != nil {
			t.Errorf("ServerName %q: %v", name, err)
			continue
		}
		c.Close()
	}
}

// crypto/x509 reads the system roots once per process: the CA behind
// SSL_CERT_FILE must be the same for every run of the test (-count).
var (
	ipBrokerOnce sync.Once
	ipBroker     ipBrokerPKI
)

type ipBrokerPKI struct {
	caPEM []byte
	cert  tls.Certificate // for 127.0.0.1, issued by the CA
}

func newIPBrokerPKI(t *testing.T) (pki ipBrokerPKI) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IP broker test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pki.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	pki.cert = tls.Certificate{Certificate: [][]byte{leaf}, PrivateKey: key}
	return pki
}
