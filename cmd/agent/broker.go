//go:build !nodemo

package main

import (
	"io"
	"log/slog"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// startEmbeddedBroker starts a mochi-mqtt broker on a free loopback port,
// open to anyone on loopback, for the demo.
func startEmbeddedBroker() (io.Closer, string, error) {
	s := mochi.New(&mochi.Options{InlineClient: false, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, "", err
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "demo", Address: "127.0.0.1:0"})
	if err := s.AddListener(tcp); err != nil {
		return nil, "", err
	}
	if err := s.Serve(); err != nil {
		return nil, "", err
	}
	return s, "tcp://" + tcp.Address(), nil
}
