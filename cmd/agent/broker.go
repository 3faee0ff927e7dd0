//go:build !nodemo

package main

import (
	"io"

	"github.com/boardlogin/boardlogin/mqtt/embedbroker"
)

// startEmbeddedBroker starts the demo's MQTT broker on a free loopback port.
func startEmbeddedBroker() (io.Closer, string, error) {
	b, err := embedbroker.Start(embedbroker.Options{})
	if err != nil {
		return nil, "", err
	}
	return b, b.URL(), nil
}
