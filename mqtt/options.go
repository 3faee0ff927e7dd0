package mqtt

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boardlogin/boardlogin/internal/sysroots"
)

// config is Options after defaults and validation.
type config struct {
	Options
	url      *url.URL
	tls      *tls.Config // nil for tcp:// and ws://
	password string
}

var tlsSchemes = map[string]bool{"ssl": true, "tls": true, "mqtts": true, "wss": true}
var plainSchemes = map[string]bool{"tcp": true, "mqtt": true, "ws": true}

// hostname is os.Hostname, replaceable in tests.
var hostname = os.Hostname

// newConfig applies defaults and checks everything that can be checked
// before connecting, reading the password file and TLS files.
// OptionsError is an Options field that cannot work. Dial, ReadToken,
// SignOut and CheckOptions return it before any traffic with the broker;
// retrying does not help.
type OptionsError struct {
	Field string // the Options field: "Broker", "PasswordFile", "CAFile", ...
	Err   error  // what is wrong, in one line starting "mqtt: "
}

func (e *OptionsError) Error() string { return e.Err.Error() }
func (e *OptionsError) Unwrap() error { return e.Err }

func optionsErr(field string, err error) error { return &OptionsError{Field: field, Err: err} }

// CheckOptions validates opts as Dial would, reading the password, CA and
// client certificate files, without connecting. It returns nil or an
// *OptionsError.
func CheckOptions(opts Options) error {
	_, err := newConfig(opts)
	return err
}

func newConfig(o Options) (*config, error) {
	d := DefaultOptions
	if o.Broker == "" {
		return nil, optionsErr("Broker", errors.New("mqtt: no broker URL: set one such as tcp://localhost:1883"))
	}
	u, err := url.Parse(o.Broker)
	if err != nil {
		return nil, optionsErr("Broker", fmt.Errorf("mqtt: broker URL %q: %v", o.Broker, err))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if !tlsSchemes[u.Scheme] && !plainSchemes[u.Scheme] {
		return nil, optionsErr("Broker", fmt.Errorf("mqtt: broker URL %q: scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss", o.Broker))
	}
	if u.Hostname() == "" {
		return nil, optionsErr("Broker", fmt.Errorf("mqtt: broker URL %q has no host", o.Broker))
	}
	if u.User != nil {
		return nil, optionsErr("Broker", errors.New("mqtt: broker URL must not carry credentials: use Username and PasswordFile"))
	}
	o.Broker = u.String()
	if o.Prefix == "" || o.ClientID == "" {
		h, err := hostname()
		if err != nil || h == "" {
			h = "board"
		}
		if o.Prefix == "" {
			o.Prefix = "devicecode/" + h
		}
		if o.ClientID == "" {
			o.ClientID = "boardlogin-" + h
		}
	}
	o.Prefix = strings.TrimSuffix(o.Prefix, "/")
	if err := checkTopicPart("prefix", o.Prefix, true); err != nil {
		return nil, optionsErr("Prefix", err)
	}
	if o.Encoding != JSON && o.Encoding != CBOR {
		return nil, optionsErr("Encoding", fmt.Errorf("mqtt: unknown encoding %d: use JSON or CBOR", int(o.Encoding)))
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ConnectTimeout", &o.ConnectTimeout, d.ConnectTimeout},
		{"KeepAlive", &o.KeepAlive, d.KeepAlive},
		{"PublishTimeout", &o.PublishTimeout, d.PublishTimeout},
		{"MinReconnectInterval", &o.MinReconnectInterval, d.MinReconnectInterval},
		{"MaxReconnectInterval", &o.MaxReconnectInterval, d.MaxReconnectInterval},
	}
	for _, f := range durations {
		if *f.v < 0 {
			return nil, optionsErr(f.name, fmt.Errorf("mqtt: %s is negative (%v)", f.name, *f.v))
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.KeepAlive < time.Second {
		return nil, optionsErr("KeepAlive", fmt.Errorf("mqtt: KeepAlive %v is under the protocol's 1s resolution", o.KeepAlive))
	}
	if o.MaxReconnectInterval < o.MinReconnectInterval {
		o.MaxReconnectInterval = o.MinReconnectInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &config{Options: o, url: u}
	if o.PasswordFile != "" {
		if o.Username == "" {
			return nil, optionsErr("Username", errors.New("mqtt: a password file without a username: set Username too"))
		}
		if c.password, err = readPasswordFile(o.PasswordFile); err != nil {
			return nil, optionsErr("PasswordFile", err)
		}
	}
	isTLS := tlsSchemes[u.Scheme]
	if !isTLS && (o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" || o.ServerName != "") {
		return nil, optionsErr("Broker", fmt.Errorf("mqtt: TLS files or server name given for %s://: use ssl:// or wss://", u.Scheme))
	}
	if isTLS {
		if c.tls, err = tlsConfig(o, u.Hostname()); err != nil {
			return nil, err
		}
	}
	if !isTLS && !isLoopback(u.Hostname()) {
		// Tokens would cross the network in clear text.
		o.Logger.Warn("mqtt: broker is neither on loopback nor TLS; tokens travel unencrypted",
			"broker", u.Redacted())
	}
	return c, nil
}

// checkTopicPart rejects names that would change the topic's meaning.
func checkTopicPart(what, s string, slashes bool) error {
	switch {
	case s == "":
		return fmt.Errorf("mqtt: empty %s", what)
	case strings.ContainsAny(s, "+#\x00"):
		return fmt.Errorf("mqtt: %s %q contains a wildcard (+ or #) or NUL", what, s)
	case !slashes && strings.Contains(s, "/"):
		return fmt.Errorf("mqtt: %s %q contains '/'", what, s)
	case strings.HasPrefix(s, "/") || strings.Contains(s, "//"):
		return fmt.Errorf("mqtt: %s %q has an empty topic level", what, s)
	case len(s) > 1024:
		return fmt.Errorf("mqtt: %s is longer than 1024 bytes", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("mqtt: %s %q is not valid UTF-8", what, s)
	case strings.IndexFunc(s, badTopicRune) >= 0:
		// MQTT 3.1.1 §1.5.3: a broker may (Mosquitto does) drop the
		// client for a topic with control characters, and the reconnect
		// would republish it: a loop that never connects.
		return fmt.Errorf("mqtt: %s %q contains a control character", what, s)
	}
	return nil
}

// badTopicRune reports the characters MQTT 3.1.1 §1.5.3 says a topic
// should not hold: control characters and noncharacters.
func badTopicRune(r rune) bool {
	return r <= 0x1f || (r >= 0x7f && r <= 0x9f) || (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readPasswordFile reads the broker password: the first line, with its
// newline removed. A file others may read or write is refused, as ssh
// refuses a private key with loose permissions.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("mqtt: password file: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("mqtt: password file: %v", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("mqtt: password file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o007 != 0 {
		return "", fmt.Errorf("mqtt: password file %s has mode %04o, open to other users: chmod o-rwx it (0600 or 0640)", path, perm)
	}
	buf := make([]byte, 4097)
	n, _ := f.Read(buf)
	if n > 4096 {
		return "", fmt.Errorf("mqtt: password file %s is longer than 4 KiB; it should hold one line", path)
	}
	pw := string(buf[:n])
	if i := strings.IndexByte(pw, '\n'); i >= 0 {
		if strings.TrimSpace(pw[i:]) != "" {
			return "", fmt.Errorf("mqtt: password file %s has more than one line", path)
		}
		pw = pw[:i]
	}
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("mqtt: password file %s is empty", path)
	}
	return pw, nil
}

// tlsConfig builds the TLS configuration for a broker on host (from the
// already checked broker URL).
func tlsConfig(o Options, host string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, optionsErr("CAFile", fmt.Errorf("mqtt: CA file: %v", err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, optionsErr("CAFile", fmt.Errorf("mqtt: CA file %s holds no PEM certificate", o.CAFile))
		}
		cfg.RootCAs = pool
	} else if net.ParseIP(cmp.Or(o.ServerName, host)) == nil {
		// The system roots, read per handshake rather than parsed into
		// memory for good (see internal/sysroots). A broker verified by IP
		// (dialled by IP without a ServerName, or with an IP as the
		// ServerName) keeps crypto/x509's pool: the verifier needs the
		// name crypto/tls does not report for an IP.
		cfg = (&sysroots.Verifier{}).ClientConfig(cfg)
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, optionsErr("CertFile", errors.New("mqtt: client certificate needs both CertFile and KeyFile"))
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, optionsErr("CertFile", fmt.Errorf("mqtt: client certificate %s / key %s: %v", o.CertFile, o.KeyFile, err))
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
