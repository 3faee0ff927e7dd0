package main

import (
	"context"
	"errors"
	"log/slog"
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
