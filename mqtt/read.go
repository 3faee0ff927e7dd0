package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// retainedGrace is how long ReadToken waits for the retained message after
// its fence (see ReadToken) before concluding there is none. The broker has
// sent it before the fence's SUBACK; this only covers paho handing it from
// its reader goroutine to the handler.
const retainedGrace = 100 * time.Millisecond

// ReadToken connects with opts, takes the retained token of profile from
// <prefix>/token/<profile>, disconnects and returns it. It is the consumer
// side, for `boardlogin token [profile]`. It returns an error wrapping
// ErrNoToken when the broker holds no token for the profile, and one
// wrapping ErrTokenExpired when the retained token has expired. ctx bounds
// the whole call; without a deadline, ConnectTimeout plus PublishTimeout do.
func ReadToken(ctx context.Context, opts Options, profile string) (Token, error) {
	if err := checkTopicPart("profile", profile, false); err != nil {
		return Token{}, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return Token{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout+cfg.PublishTimeout)
		defer cancel()
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	pc := paho.NewClient(cfg.pahoBase("boardlogin-token-" + hex.EncodeToString(rnd[:])))
	if err := connect(ctx, pc, cfg); err != nil {
		return Token{}, err
	}
	defer pc.Disconnect(0)

	topic := cfg.Prefix + "/token/" + profile
	got := make(chan []byte, 1)
	tok := pc.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Payload():
		default:
		}
	})
	if err := cfg.wait(ctx, tok, "subscribe to", topic, nil); err != nil {
		return Token{}, err
	}
	if tok.(*paho.SubscribeToken).Result()[topic] == subackFailure {
		return Token{}, fmt.Errorf("mqtt: the broker refused the subscription to %s: check its ACL for user %q", topic, cfg.Username)
	}
	// A broker sends a subscription's retained messages right after its
	// SUBACK, in order on the one connection. So once a second
	// subscription's SUBACK is back, a retained token has either arrived or
	// does not exist: no guessing with a long timeout.
	fence := pc.Subscribe(cfg.Prefix+"/status", 0, func(paho.Client, paho.Message) {})
	if err := cfg.wait(ctx, fence, "subscribe to", cfg.Prefix+"/status", nil); err != nil {
		return Token{}, err
	}
	var payload []byte
	select {
	case payload = <-got:
	case <-time.After(retainedGrace):
		return Token{}, fmt.Errorf("%w for profile %q on %s (topic %s): is the agent running and signed in?",
			ErrNoToken, profile, cfg.url.Redacted(), topic)
	case <-ctx.Done():
		return Token{}, fmt.Errorf("mqtt: reading %s: %w", topic, ctx.Err())
	}
	t, err := DecodeToken(payload)
	if errors.Is(err, ErrNoToken) {
		return Token{}, fmt.Errorf("%w for profile %q on %s (topic %s is cleared): the agent is signed out or signing in",
			ErrNoToken, profile, cfg.url.Redacted(), topic)
	}
	if err != nil {
		return Token{}, err
	}
	if now := cfg.Now(); !t.ExpiresAt.After(now) {
		return Token{}, fmt.Errorf("%w: profile %q expired at %s: is the agent running?",
			ErrTokenExpired, profile, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return t, nil
}
