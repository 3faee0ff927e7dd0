package mqtt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

// TestSignOut: with an agent's Client online and two retained tokens,
// SignOut delivers one live (not retained) command that the Client hands to
// SignOutRequests, clears both retained tokens, and leaves the status topic
// alone: the agent's retained "online" stays, and nothing is published on
// it meanwhile.
func TestSignOut(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	agentSub := mosquittotest.SubOptions{Username: "agent", Password: "agent-secret"}
	acl := mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"agent": "agent-secret", "logout": "logout-secret"},
		ACL: "user agent\ntopic readwrite devicecode/#\n\n" +
			"user logout\ntopic write " + prefix + "/cmd/signout\ntopic write " + prefix + "/token/+\n",
	})
	tests := []struct {
		name              string
		broker            *mosquittotest.Broker
		sub               mosquittotest.SubOptions // the observer's credentials
		agentUser, signer string                   // users; empty: anonymous
		agentPW, signerPW string
	}{
		{name: "anonymous", broker: b},
		{name: "acl allows only cmd and token topics", broker: acl, sub: agentSub,
			agentUser: "agent", agentPW: "agent-secret\n", signer: "logout", signerPW: "logout-secret\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			ao := testOptions(tt.broker.URL)
			if tt.agentUser != "" {
				ao.Username, ao.PasswordFile = tt.agentUser, writePassword(t, tt.agentPW, 0o600)
			}
			agent := dial(t, ao)
			now := time.Now()
			for _, p := range []string{"graph", "mail"} {
				if err := agent.PublishToken(ctx, p, sampleToken(now, "at-"+p)); err != nil {
					t.Fatal(err)
				}
			}
			sub := tt.broker.Subscribe(t, tt.sub, prefix+"/#")
			for seen := 0; seen < 3; seen++ { // status and two tokens, retained
				if m, err := sub.Next(wait); err != nil || !m.Retained {
					t.Fatalf("retained message %d: retained=%v %v", seen, m.Retained, err)
				}
			}

			so := testOptions(tt.broker.URL)
			so.ClientID = "agent" // must be ignored, or the agent's session would be taken over
			if tt.signer != "" {
				so.Username, so.PasswordFile = tt.signer, writePassword(t, tt.signerPW, 0o600)
			}
			res, err := SignOut(ctx, so, []string{"graph", "mail"})
			if err != nil {
				t.Fatalf("SignOut: %v\nbroker log:\n%s", err, tt.broker.Log())
			}
			want := SignOutResult{Topic: prefix + "/cmd/signout", Connected: true, Sent: true, Cleared: []string{"graph", "mail"}}
			if res.Topic != want.Topic || !res.Connected || !res.Sent || strings.Join(res.Cleared, ",") != "graph,mail" {
				t.Fatalf("result %+v, want %+v", res, want)
			}
			select {
			case <-agent.SignOutRequests():
			case <-time.After(wait):
				t.Fatal("the agent's Client got no sign-out request")
			}
			// Live messages, in order: the command, then the two clears.
			wantLive := []struct{ topic, payload string }{
				{prefix + "/cmd/signout", "signout"},
				{prefix + "/token/graph", ""},
				{prefix + "/token/mail", ""},
			}
			for _, w := range wantLive {
				m, err := sub.Next(wait)
				if err != nil {
					t.Fatalf("waiting for %s: %v", w.topic, err)
				}
				if m.Topic != w.topic || string(m.Payload) != w.payload || m.Retained {
					t.Fatalf("got %s %q retained=%v, want %s %q live", m.Topic, m.Payload, m.Retained, w.topic, w.payload)
				}
			}
			if !agent.Connected() {
				t.Error("the agent's Client lost its connection: its client id was taken")
			}
			// No will, no status: the retained status is still the agent's.
			status := tt.broker.Subscribe(t, tt.sub, prefix+"/status", prefix+"/cmd/signout")
			m, err := status.Next(wait)
			if err != nil || m.Topic != prefix+"/status" || string(m.Payload) != "online" || !m.Retained {
				t.Fatalf("after SignOut: %s %q retained=%v (%v), want retained status online", m.Topic, m.Payload, m.Retained, err)
			}
			if m, err := status.Next(200 * time.Millisecond); err == nil {
				t.Fatalf("unexpected %s %q retained=%v: the command must not be retained", m.Topic, m.Payload, m.Retained)
			}
			for _, p := range []string{"graph", "mail"} {
				if _, err := ReadToken(ctx, ao, p); !errors.Is(err, ErrNoToken) {
					t.Errorf("ReadToken(%s) after SignOut: %v, want ErrNoToken", p, err)
				}
			}
		})
	}
}

// TestSignOutErrors: each failure is one line, within the context's
// deadline, says what happened to the running agent, and never shows the
// password.
func TestSignOutErrors(t *testing.T) {
	down := mosquittotest.Start(t, mosquittotest.Options{})
	downURL := down.URL
	down.Stop()
	pw := mosquittotest.Start(t, mosquittotest.Options{Users: map[string]string{"agent": "agent-secret"}})
	hole := mosquittotest.Start(t, mosquittotest.Options{})
	p := startProxy(t, hole.Addr())
	p.swallow.Store(true) // TCP connects, CONNACK never comes

	tests := []struct {
		name     string
		opts     func(t *testing.T) Options
		profiles []string
		deadline time.Duration
		want     []string
		is       error
	}{
		{"broker down", func(*testing.T) Options { return testOptions(downURL) }, []string{"graph"}, 3 * time.Second,
			[]string{"broker not reachable", "was not signed out", "no retained token was cleared"}, nil},
		{"no answer", func(*testing.T) Options { return testOptions(p.URL()) }, []string{"graph"}, 300 * time.Millisecond,
			[]string{"broker not reachable", "was not signed out"}, context.DeadlineExceeded},
		{"wrong password", func(t *testing.T) Options {
			o := testOptions(pw.URL)
			o.Username, o.PasswordFile = "agent", writePassword(t, "hunter2-wrong", 0o600)
			return o
		}, []string{"graph"}, 3 * time.Second, []string{"refused", "check Username", "was not signed out"}, nil},
		{"password file open to others", func(t *testing.T) Options {
			o := testOptions(pw.URL)
			o.Username, o.PasswordFile = "agent", writePassword(t, "hunter2-wrong", 0o644)
			return o
		}, []string{"graph"}, 3 * time.Second, []string{"chmod o-rwx"}, nil},
		{"wildcard profile", func(*testing.T) Options { return testOptions(pw.URL) }, []string{"graph", "#"}, 3 * time.Second,
			[]string{`profile "#" contains a wildcard`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			res, err := SignOut(ctx, tt.opts(t), tt.profiles)
			took := time.Since(start)
			if err == nil {
				t.Fatal("SignOut succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if strings.ContainsAny(err.Error(), "\n") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error spans lines or shows the password: %q", err)
			}
			if res.Connected || res.Sent || len(res.Cleared) > 0 {
				t.Errorf("result %+v after a failure to connect", res)
			}
			// Generous slack for an emulated run; what matters is that the
			// deadline, not ConnectTimeout (2s) or a hang, ends the call.
			if took > tt.deadline+time.Second {
				t.Errorf("SignOut took %v with a %v deadline", took, tt.deadline)
			}
		})
	}
}

// TestSignOutErrorLostConnection: the wording when a step's connection
// drops mid-way, driven directly (a broker cannot be made to drop between
// two steps on cue).
func TestSignOutErrorLostConnection(t *testing.T) {
	cause := fmt.Errorf("%w (%s %s)", ErrNotConnected, "publish to", prefix+"/token/graph") // as config.wait wraps it
	err := signOutError("token not cleared", cause, "a running agent was told to sign out")
	want := "mqtt: sign-out: token not cleared (connection lost (publish to " + prefix + "/token/graph)): a running agent was told to sign out"
	if err.Error() != want {
		t.Fatalf("error\n%q, want\n%q", err, want)
	}
	if !errors.Is(err, ErrNotConnected) {
		t.Fatal("the error does not wrap ErrNotConnected")
	}
}
