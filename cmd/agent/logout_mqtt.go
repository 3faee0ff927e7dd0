package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// logoutConn is one short MQTT connection for boardlogin logout: it clears
// the retained tokens and asks a running agent to sign out.
//
// It does not use mqtt.Client on purpose: a Client announces itself on
// <prefix>/status ("online", will and close "offline", retained), which
// would mark the running agent offline, and it has no way to publish a
// command. This is the one place outside package mqtt that talks to paho;
// it would move into package mqtt as a SignOut(ctx, Options, profiles)
// function if that package grows one.
type logoutConn struct {
	pc      paho.Client
	prefix  string
	timeout time.Duration
}

// dialLogout connects with the agent's broker settings (and a client id of
// its own), or fails within timeout.
func dialLogout(cfg *Config, timeout time.Duration) (*logoutConn, error) {
	o := paho.NewClientOptions()
	o.AddBroker(cfg.MQTTBroker)
	o.SetClientID(fmt.Sprintf("boardlogin-logout-%d", os.Getpid()))
	o.SetProtocolVersion(4)
	o.SetCleanSession(true)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetConnectTimeout(timeout)
	o.SetWriteTimeout(timeout)
	if cfg.MQTTUsername != "" {
		o.SetUsername(cfg.MQTTUsername)
		if cfg.MQTTPasswordFile != "" {
			pw, err := readSecretLine(cfg.MQTTPasswordFile)
			if err != nil {
				return nil, err
			}
			o.SetPassword(pw)
		}
	}
	u, err := url.Parse(cfg.MQTTBroker)
	if err != nil {
		return nil, fmt.Errorf("agent: mqtt-broker: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ssl", "tls", "mqtts", "wss":
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.MQTTServerName}
		if cfg.MQTTCAFile != "" {
			if tc.RootCAs, err = loadRoots(cfg.MQTTCAFile); err != nil {
				return nil, fmt.Errorf("agent: mqtt-%v", err)
			}
		}
		if cfg.MQTTCertFile != "" {
			cert, err := tls.LoadX509KeyPair(cfg.MQTTCertFile, cfg.MQTTKeyFile)
			if err != nil {
				return nil, fmt.Errorf("agent: mqtt-cert-file %s / mqtt-key-file %s: %v", cfg.MQTTCertFile, cfg.MQTTKeyFile, err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		o.SetTLSConfig(tc)
	}
	pc := paho.NewClient(o)
	tok := pc.Connect()
	if !tok.WaitTimeout(timeout) {
		go func() { tok.Wait(); pc.Disconnect(0) }()
		return nil, errors.New("agent: no answer from the broker")
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("agent: %v", err)
	}
	return &logoutConn{pc: pc, prefix: logoutPrefix(cfg), timeout: timeout}, nil
}

// logoutPrefix is the topic prefix the agent uses: mqtt's default is
// devicecode/<agent-id or host name>.
func logoutPrefix(cfg *Config) string {
	if cfg.MQTTPrefix != "" {
		return strings.TrimSuffix(cfg.MQTTPrefix, "/")
	}
	id := cfg.AgentID
	if id == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "board"
		}
		id = h
	}
	return "devicecode/" + id
}

// publish sends one QoS 1 message and waits for its PUBACK.
func (c *logoutConn) publish(topic string, payload []byte, retained bool) error {
	tok := c.pc.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(c.timeout) {
		return fmt.Errorf("agent: no PUBACK for %s within %v", topic, c.timeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("agent: publish %s: %v", topic, err)
	}
	return nil
}

// clearToken removes the retained token of profile.
func (c *logoutConn) clearToken(profile string) error {
	return c.publish(c.prefix+"/token/"+profile, nil, true)
}

// signOut asks a running agent to sign out. Not retained: a retained
// command would sign the next agent out at every reconnect (and the agent
// ignores retained ones).
func (c *logoutConn) signOut() error {
	return c.publish(c.prefix+"/cmd/signout", []byte("logout"), false)
}

func (c *logoutConn) close() { c.pc.Disconnect(250) }

// readSecretLine reads a one-line password file (mode o-rwx; config
// validation already checked that).
func readSecretLine(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("agent: mqtt-password-file: %v", unwrapPath(err))
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("agent: mqtt-password-file %s is empty", path)
	}
	return pw, nil
}
