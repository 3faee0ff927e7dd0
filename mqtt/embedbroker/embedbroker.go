// Package embedbroker starts a small in-process MQTT broker
// (github.com/mochi-mqtt/server/v2) on a loopback port, for the agent's
// demo subcommand: a board, or a laptop, can show the whole flow, tokens
// reaching subscribers included, without installing Mosquitto.
//
// It is anonymous and listens only on 127.0.0.1, so nothing off the machine
// can read the tokens it carries. It is not meant for production: use
// Mosquitto with a password file and an ACL there.
package embedbroker

import (
	"fmt"
	"log/slog"
	"net"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Options configure Start. The zero value is ready to use.
type Options struct {
	// Addr is the loopback address to listen on. Default "127.0.0.1:0" (a
	// free port). Addresses that are not loopback are refused.
	Addr string
	// Logger receives the broker's log. Default: discarded, because the
	// demo's own output matters more than broker chatter.
	Logger *slog.Logger
}

// Broker is a running embedded broker.
type Broker struct {
	srv      *mochi.Server
	url      string
	once     sync.Once
	closeErr error
}

// Start starts the broker and returns once it accepts connections.
func Start(opts Options) (*Broker, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedbroker: address %q: %v", opts.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("embedbroker: address %q is not loopback; the demo broker is anonymous and must stay on this machine", opts.Addr)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedbroker: listen: %v", err)
	}
	srv := mochi.New(&mochi.Options{Logger: opts.Logger, InlineClient: false})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedbroker: %v", err)
	}
	if err := srv.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedbroker: %v", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("embedbroker: %v", err)
	}
	return &Broker{srv: srv, url: "tcp://" + ln.Addr().String()}, nil
}

// URL is the broker's address for clients, tcp://127.0.0.1:PORT.
func (b *Broker) URL() string { return b.url }

// Close stops the broker and drops its clients. Calling it again is a no-op
// (mochi's own Close panics on a second call).
func (b *Broker) Close() error {
	b.once.Do(func() {
		if err := b.srv.Close(); err != nil {
			b.closeErr = fmt.Errorf("embedbroker: close: %v", err)
		}
	})
	return b.closeErr
}
