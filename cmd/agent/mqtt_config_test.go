package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// mqtt-server-name reaches mqtt.Options.ServerName; anything that is not a
// host name or IP address is refused with the key named.
func TestMQTTServerName(t *testing.T) {
	tests := []struct {
		value string
		want  string // ServerName, or a substring of the error
		ok    bool
	}{
		{"broker.example.com", "broker.example.com", true},
		{"broker", "broker", true},
		{"broker.example.com.", "broker.example.com.", true},
		{"10.0.0.7", "10.0.0.7", true},
		{"fd00::7", "fd00::7", true},
		{"my_broker.lan", "my_broker.lan", true},
		{"ssl://broker:8883", "mqtt-server-name: want a host name or IP address", false},
		{"broker:8883", "mqtt-server-name: want a host name or IP address", false},
		{"[fd00::7]", "mqtt-server-name: want a host name or IP address", false},
		{"fd00::zz", "mqtt-server-name: want a host name or IP address", false},
		{"bro ker", "mqtt-server-name: want a host name or IP address", false},
		{"-broker", "mqtt-server-name: want a host name or IP address", false},
		{"a..b", "mqtt-server-name: want a host name or IP address", false},
		{"broker/x", "mqtt-server-name: want a host name or IP address", false},
		{strings.Repeat("a", 64) + ".lan", "mqtt-server-name: want a host name or IP address", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			cfg, _, err := loadConfig([]string{"-config", "none", "-tenant", "t.example", "-client-id", "c", "-profile.g=s",
				"-mqtt-broker", "ssl://10.0.0.7:8883", "-mqtt-server-name", tt.value}, envMap(), io.Discard)
			if !tt.ok {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mo, err := mqttOptions(cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if mo.ServerName != tt.want {
				t.Errorf("ServerName = %q, want %q", mo.ServerName, tt.want)
			}
		})
	}
}
