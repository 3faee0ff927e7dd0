package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/boardlogin/boardlogin/mqtt"
)

// mqttOptions maps the configuration to mqtt.Options.
func mqttOptions(cfg *Config, log *slog.Logger) (mqtt.Options, error) {
	enc, err := mqtt.ParseEncoding(cfg.MQTTEncoding)
	if err != nil {
		return mqtt.Options{}, err
	}
	prefix := cfg.MQTTPrefix
	if prefix == "" && cfg.AgentID != "" {
		prefix = "devicecode/" + cfg.AgentID
	}
	return mqtt.Options{Broker: cfg.MQTTBroker, Prefix: prefix, Username: cfg.MQTTUsername,
		PasswordFile: cfg.MQTTPasswordFile, CAFile: cfg.MQTTCAFile, CertFile: cfg.MQTTCertFile, KeyFile: cfg.MQTTKeyFile,
		ServerName: cfg.MQTTServerName,
		Encoding:   enc, Logger: log}, nil
}

// mqttKeys maps mqtt.Options fields to the config keys they come from.
var mqttKeys = map[string]string{
	"Broker":       "mqtt-broker",
	"Prefix":       "mqtt-prefix",
	"Encoding":     "mqtt-encoding",
	"Username":     "mqtt-username",
	"PasswordFile": "mqtt-password-file",
	"CAFile":       "mqtt-ca-file",
	"CertFile":     "mqtt-cert-file",
	"KeyFile":      "mqtt-key-file",
	"ServerName":   "mqtt-server-name",
}

// mqttProblem words an mqtt options error for the configuration: the key
// a person edits, then what is wrong.
func mqttProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "mqtt: ")
	var oe *mqtt.OptionsError
	if errors.As(err, &oe) {
		if k, ok := mqttKeys[oe.Field]; ok {
			return k + ": " + msg
		}
	}
	return "mqtt: " + msg
}

// mqttError is a configuration error (exit status 2: a restart cannot fix
// it) when mqtt refused the options, else err under prefix.
func mqttError(prefix string, err error) error {
	var oe *mqtt.OptionsError
	if errors.As(err, &oe) {
		return &configError{[]string{mqttProblem(err)}}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// mqttPublisher adapts *mqtt.Client to the supervisor. Every call is
// bounded: a broker that is away must not stall the loop (mqtt keeps the
// latest value and publishes it on reconnect).
type mqttPublisher struct {
	c       *mqtt.Client
	log     *slog.Logger
	timeout time.Duration
}

var _ publisher = (*mqttPublisher)(nil)

func (p *mqttPublisher) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), p.timeout)
}

// soft turns "not connected" into success: the value is queued for the
// reconnect, which the log already says.
func soft(err error) error {
	if errors.Is(err, mqtt.ErrNotConnected) {
		return nil
	}
	return err
}

func (p *mqttPublisher) PublishState(s agentState) error {
	ctx, cancel := p.ctx()
	defer cancel()
	return soft(p.c.PublishState(ctx, mqtt.State{State: s.State, UserCode: s.UserCode, VerificationURI: s.VerificationURI,
		VerificationURIComplete: s.VerificationURIC, ExpiresAt: s.ExpiresAt, Account: s.Account, Error: s.Error}))
}

func (p *mqttPublisher) PublishToken(t tokenInfo, a account) error {
	ctx, cancel := p.ctx()
	defer cancel()
	return soft(p.c.PublishToken(ctx, t.Profile, mqtt.Token{AccessToken: t.AccessToken, TokenType: t.TokenType,
		ExpiresAt: t.ExpiresAt, Scopes: t.Scopes, Account: mqtt.Account{Username: a.Username, TenantID: a.TenantID, ObjectID: a.ObjectID}}))
}

func (p *mqttPublisher) ClearToken(profile string) error {
	ctx, cancel := p.ctx()
	defer cancel()
	return soft(p.c.ClearToken(ctx, profile))
}

func (p *mqttPublisher) SignOutRequests() <-chan struct{} { return p.c.SignOutRequests() }

func (p *mqttPublisher) Close() error {
	ctx, cancel := p.ctx()
	defer cancel()
	return p.c.Close(ctx)
}

// nopPublisher is used with mqtt-broker = none.
type nopPublisher struct{}

func (nopPublisher) PublishState(agentState) error         { return nil }
func (nopPublisher) PublishToken(tokenInfo, account) error { return nil }
func (nopPublisher) ClearToken(string) error               { return nil }
func (nopPublisher) SignOutRequests() <-chan struct{}      { return nil }
func (nopPublisher) Close() error                          { return nil }
