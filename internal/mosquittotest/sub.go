package mosquittotest

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

// Message is one message a Subscription received.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool // delivered from the broker's retained store
}

// Subscription is a mosquitto_sub process watching topics on the broker's
// plain TCP listener. It lets tests outside package mqtt observe what the
// agent publishes without importing paho.
type Subscription struct {
	t    testing.TB
	msgs chan Message
	mu   sync.Mutex
	errs []string
}

// SubOptions are the credentials of a Subscription (empty for anonymous).
type SubOptions struct {
	Username, Password string
}

// msgPrefix marks message lines among mosquitto_sub's debug lines.
const msgPrefix = "MSG\t"

// Subscribe starts mosquitto_sub on topics (QoS 1) and returns once the
// broker has acknowledged the subscription, so every later publish and every
// retained message is seen. The process ends with the test.
func (b *Broker) Subscribe(t testing.TB, so SubOptions, topics ...string) *Subscription {
	t.Helper()
	bin := testenv.RequireCommand(t, "mosquitto_sub", "mosquitto-clients")
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "-q", "1", "-d",
		"-F", msgPrefix + "%r\t%t\t%x"}
	for _, tp := range topics {
		args = append(args, "-t", tp)
	}
	if so.Username != "" {
		args = append(args, "-u", so.Username)
	}
	// mosquitto_sub buffers stdout fully when it is a pipe, which would hold
	// back the SUBACK line and messages; stdbuf (coreutils) unbuffers it.
	stdbuf := testenv.RequireCommand(t, "stdbuf", "coreutils")
	var out io.ReadCloser
	cmd := testenv.Start(t, func() *exec.Cmd {
		c := exec.Command(stdbuf, append([]string{"-oL", "-eL", bin}, args...)...)
		if so.Password != "" {
			// -P would show the password in ps; mosquitto_sub has no password
			// file option, and this is a test broker's throwaway password.
			c.Args = append(c.Args, "-P", so.Password)
		}
		var err error
		if out, err = c.StdoutPipe(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		c.Stderr = c.Stdout
		return c
	})
	s := &Subscription{t: t, msgs: make(chan Message, 1024)}
	subacked := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		var once sync.Once
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "received SUBACK") {
				once.Do(func() { close(subacked) })
				continue
			}
			if !strings.HasPrefix(line, msgPrefix) {
				if strings.Contains(line, "rror") || strings.Contains(line, "refused") {
					s.mu.Lock()
					s.errs = append(s.errs, line)
					s.mu.Unlock()
				}
				continue
			}
			parts := strings.SplitN(strings.TrimPrefix(line, msgPrefix), "\t", 3)
			if len(parts) != 3 {
				continue
			}
			payload, err := hex.DecodeString(parts[2])
			if err != nil {
				continue
			}
			s.msgs <- Message{Topic: parts[1], Payload: payload, Retained: parts[0] == "1"}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	select {
	case <-subacked:
	case <-exited:
		t.Fatalf("mosquittotest: mosquitto_sub ended before subscribing: %s", s.errors())
	case <-time.After(10 * time.Second):
		t.Fatalf("mosquittotest: mosquitto_sub got no SUBACK within 10s: %s", s.errors())
	}
	return s
}

func (s *Subscription) errors() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.errs, "; ")
}

// Next returns the next message, or an error when none arrives in time.
func (s *Subscription) Next(timeout time.Duration) (Message, error) {
	select {
	case m := <-s.msgs:
		return m, nil
	case <-time.After(timeout):
		return Message{}, fmt.Errorf("mosquittotest: no message within %v", timeout)
	}
}

// WaitFor returns the first message for which match is true, skipping
// others, or fails the test after timeout. describe says what was awaited.
func (s *Subscription) WaitFor(timeout time.Duration, describe string, match func(Message) bool) Message {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-s.msgs:
			if match(m) {
				return m
			}
		case <-deadline.C:
			s.t.Fatalf("mosquittotest: no message %s within %v", describe, timeout)
			return Message{}
		}
	}
}

// Publish sends one message with mosquitto_pub (QoS 1) on the broker's plain
// TCP listener and returns its error output when it fails. Note that under
// MQTT 3.1.1 a broker silently drops a publish its ACL denies: a nil error
// does not mean the message was delivered.
func (b *Broker) Publish(t testing.TB, so SubOptions, topic string, payload []byte, retain bool) error {
	t.Helper()
	bin := testenv.RequireCommand(t, "mosquitto_pub", "mosquitto-clients")
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "-q", "1", "-t", topic}
	if len(payload) == 0 {
		args = append(args, "-n") // a zero-length payload
	} else {
		args = append(args, "-s") // the payload from stdin, binary-safe
	}
	if retain {
		args = append(args, "-r")
	}
	if so.Username != "" {
		args = append(args, "-u", so.Username)
	}
	if so.Password != "" {
		args = append(args, "-P", so.Password)
	}
	out, err := testenv.CombinedOutput(func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(string(payload))
		return cmd
	})
	if err != nil {
		return fmt.Errorf("mosquittotest: mosquitto_pub: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
