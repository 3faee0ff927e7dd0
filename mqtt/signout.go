package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// signOutPayload is the body of the sign-out command. The agent acts on any
// payload; this one says who sent it in a broker's log or a subscriber.
var signOutPayload = []byte("signout")

// SignOutResult says how far SignOut got, so a caller can report each step
// even when a later one failed.
type SignOutResult struct {
	// Topic is the command topic, <prefix>/cmd/signout.
	Topic string
	// Connected is true once the broker accepted the connection.
	Connected bool
	// Sent is true once the broker acknowledged the sign-out command
	// (PUBACK), so a running agent subscribed to it receives it.
	Sent bool
	// Cleared lists, in order, the profiles whose retained token the broker
	// acknowledged clearing.
	Cleared []string
}

// SignOut is the consumer side of a sign-out, for `boardlogin logout`: it
// connects with opts, publishes a non-retained command on
// <prefix>/cmd/signout (QoS 1, PUBACK awaited) that a running agent's
// Client delivers on SignOutRequests, then clears the retained token of
// each profile (an empty retained message, QoS 1, PUBACK awaited), which
// covers an agent that is not running, and disconnects.
//
// It is not the agent: it connects with a random client id of its own
// (opts.ClientID is ignored, as the agent's would take over its session),
// sets no will and never publishes on <prefix>/status, so a running
// agent's retained "online" stays. It stops at the first step that fails;
// the error says which one, and whether the running agent was told. ctx
// bounds the whole call; each step is also bounded by ConnectTimeout or
// PublishTimeout.
func SignOut(ctx context.Context, opts Options, profiles []string) (SignOutResult, error) {
	for _, p := range profiles {
		if err := checkTopicPart("profile", p, false); err != nil {
			return SignOutResult{}, err
		}
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return SignOutResult{}, err
	}
	res := SignOutResult{Topic: cfg.Prefix + "/cmd/signout"}
	var rnd [6]byte
	rand.Read(rnd[:])
	// pahoBase sets no will: only a Client, the agent, has one.
	pc := paho.NewClient(cfg.pahoBase("boardlogin-signout-" + hex.EncodeToString(rnd[:])))
	if err := connect(ctx, pc, cfg); err != nil {
		what, fix := "broker not reachable", ""
		if permanent(err) {
			what, fix = "broker refused the connection", "check Username, PasswordFile and the broker's ACL; "
		}
		return res, signOutError(what, err,
			fix+"a running agent was not signed out and keeps its tokens, no retained token was cleared")
	}
	res.Connected = true
	// The quiesce lets the DISCONNECT go out; every publish is acknowledged
	// by then, so nothing else waits.
	defer pc.Disconnect(250)

	if err := cfg.wait(ctx, pc.Publish(res.Topic, 1, false, signOutPayload), "publish to", res.Topic, nil); err != nil {
		return res, signOutError("sign-out command not acknowledged", err,
			"a running agent was not signed out and keeps its tokens, no retained token was cleared")
	}
	res.Sent = true
	for i, p := range profiles {
		topic := cfg.Prefix + "/token/" + p
		if err := cfg.wait(ctx, pc.Publish(topic, 1, true, []byte{}), "clear", topic, nil); err != nil {
			return res, signOutError("token not cleared", err,
				"a running agent was told to sign out (it clears its own tokens); not cleared here: "+strings.Join(profiles[i:], ", "))
		}
		res.Cleared = append(res.Cleared, p)
	}
	return res, nil
}

// signOutError is one line: the failed step, the cause and what did or did
// not happen. It unwraps to the cause, so errors.Is still finds
// context.DeadlineExceeded or a CONNACK refusal.
func signOutError(step string, cause error, outcome string) error {
	msg := strings.TrimPrefix(cause.Error(), "mqtt: ")
	if errors.Is(cause, ErrNotConnected) {
		// ErrNotConnected's text speaks of a reconnect SignOut never makes.
		_, topic, _ := strings.Cut(msg, " (")
		msg = "connection lost (" + topic
	}
	return &stepError{msg: fmt.Sprintf("mqtt: sign-out: %s (%s): %s", step, msg, outcome), err: cause}
}

type stepError struct {
	msg string
	err error
}

func (e *stepError) Error() string { return e.msg }
func (e *stepError) Unwrap() error { return e.err }
