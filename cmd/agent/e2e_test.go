package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/internal/mosquittotest"
	"github.com/boardlogin/boardlogin/internal/testenv"
)

// These tests run the BUILT binary (for the architecture under test, through
// the emulator under qemu) against the Entra-like test server and a real
// Mosquitto.

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBuilds()
	os.Exit(code)
}

// agentBinary builds the release agent (build/arm/release-tags) once per test run,
// for the architecture under test.
func agentBinary(t *testing.T) string {
	t.Helper()
	return testenv.BuildProgram(t, "github.com/boardlogin/boardlogin/cmd/agent", testenv.ReleaseTags(t)...)
}

// syncBuffer collects a process's output while a test reads it.
type syncBuffer = testenv.Buffer

// secretTap records every secret the identity provider hands out or
// receives, by reading its JSON replies: the values the agent must never
// print.
type secretTap struct {
	mu      sync.Mutex
	secrets map[string]string // value -> kind
}

func (s *secretTap) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var body map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			s.mu.Lock()
			for _, k := range []string{"access_token", "refresh_token", "id_token", "device_code"} {
				if v, ok := body[k].(string); ok && v != "" {
					s.secrets[v] = k
				}
			}
			s.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func (s *secretTap) count() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, k := range s.secrets {
		n[k]++
	}
	return n
}

// leaks returns the kinds of secrets found in out (never the values).
func (s *secretTap) leaks(out string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []string
	for v, k := range s.secrets {
		if strings.Contains(out, v) {
			found = append(found, k)
		}
	}
	return found
}

type e2eEnv struct {
	idp    *entratest.Server
	url    string
	caFile string // the provider's CA, the only "system root" the agent gets
	tap    *secretTap
	broker *mosquittotest.Broker
	cache  string
	prefix string
}

// startE2E serves the identity provider over TLS as https://localhost,
// with a CA the agent finds among its system roots (SSL_CERT_FILE, see
// command): the release binary takes the trust path a board takes.
func startE2E(t *testing.T, tokenLifetime time.Duration) *e2eEnv {
	t.Helper()
	e := &e2eEnv{tap: &secretTap{secrets: map[string]string{}}, prefix: "devicecode/e2e"}
	e.idp = entratest.New(entratest.Options{TokenLifetime: tokenLifetime, Interval: time.Second, ExpiresIn: 5 * time.Minute})
	srv := httptest.NewUnstartedServer(e.tap.wrap(e.idp))
	var err error
	if srv.TLS, e.caFile, err = testenv.LocalhostTLS(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.url = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	e.broker = mosquittotest.Start(t, mosquittotest.Options{})
	e.cache = filepath.Join(t.TempDir(), "state", "tokens.cbor")
	return e
}

// command runs the agent binary with args, its system roots being the
// provider's CA alone and GOMEMLIMIT unset (the agent applies its default).
func (e *e2eEnv) command(bin string, args ...string) *exec.Cmd {
	cmd := testenv.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "SSL_CERT_FILE="+e.caFile, "SSL_CERT_DIR="+filepath.Dir(e.caFile))
	return cmd
}

// flags are the agent's settings for this environment, as flags.
func (e *e2eEnv) flags(extra ...string) []string {
	return append([]string{"-config", "none", "-tenant", entratest.TenantDomain, "-client-id", entratest.DefaultClientID,
		"-authority-host", e.url, "-profile.graph=https://graph.microsoft.com/.default", "-cache", e.cache,
		"-mqtt-broker", "tcp://" + e.broker.Addr(), "-mqtt-prefix", e.prefix, "-display", "terminal"}, extra...)
}

// runningAgent is the agent binary running "run" in a test.
type runningAgent struct {
	cmd            *exec.Cmd
	exited         chan error
	stdout, stderr syncBuffer
}

// startAgent runs the agent with args in e. When the test ends the agent is
// killed if it still runs, and its output is logged if the test failed.
func startAgent(t *testing.T, e *e2eEnv, bin string, args ...string) *runningAgent {
	t.Helper()
	a := &runningAgent{exited: make(chan error, 1)}
	a.cmd = testenv.Start(t, func() *exec.Cmd {
		c := e.command(bin, append([]string{"run"}, args...)...)
		c.Stdout, c.Stderr = &a.stdout, &a.stderr
		return c
	})
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			<-a.exited
		}
		if t.Failed() {
			t.Logf("agent stdout:\n%s\nagent stderr:\n%s", a.stdout.String(), a.stderr.String())
		}
	})
	return a
}

// stop sends SIGTERM and fails the test unless the agent exits cleanly
// within 20 s.
func (a *runningAgent) stop(t *testing.T) {
	t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.exited:
		if err != nil {
			t.Errorf("agent exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not exit within 20s of SIGTERM")
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tokenPayload is what a consumer reads from <prefix>/token/<profile>.
type tokenPayload struct {
	AccessToken string `json:"access_token"`
	ExpiresAt   int64  `json:"expires_at"`
}

func TestE2EBinaryFullFlow(t *testing.T) {
	bin := agentBinary(t)
	e := startE2E(t, 6*time.Second)
	sub := e.broker.Subscribe(t, mosquittotest.SubOptions{}, e.prefix+"/#")

	a := startAgent(t, e, bin, e.flags("-log-level", "debug")...)
	stdout, stderr := &a.stdout, &a.stderr

	// 1. The code is shown.
	var code string
	waitFor(t, 30*time.Second, "a device code", func() bool {
		if cs := e.idp.UserCodes(); len(cs) > 0 {
			code = cs[0]
		}
		return code != "" && strings.Contains(stdout.String(), code)
	})
	sub.WaitFor(10*time.Second, "state awaiting_user", func(m mosquittotest.Message) bool {
		return m.Topic == e.prefix+"/state" && bytes.Contains(m.Payload, []byte(`"awaiting_user"`))
	})

	// 2. Approved: the token reaches the subscriber.
	if err := e.idp.Approve(code); err != nil {
		t.Fatal(err)
	}
	first := readToken(t, sub, e.prefix, "")

	// 3. boardlogin token graph prints the token read from the broker.
	out, err := testenv.Output(t, func() *exec.Cmd { return e.command(bin, append([]string{"token", "graph"}, e.flags()...)...) })
	if err != nil {
		t.Fatalf("boardlogin token graph: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got == "" || !e.isAccessToken(got) {
		t.Errorf("boardlogin token graph printed something that is not an issued access token (%d chars)", len(got))
	}

	// 4. Refreshed and republished before it expires.
	second := readToken(t, sub, e.prefix, first.AccessToken)
	if second.ExpiresAt < first.ExpiresAt {
		t.Errorf("refreshed token expires at %d, before the first (%d)", second.ExpiresAt, first.ExpiresAt)
	}

	// 5. Sign-out by MQTT command: token cleared, a new code shown.
	if err := e.broker.Publish(t, mosquittotest.SubOptions{}, e.prefix+"/cmd/signout", []byte("1"), false); err != nil {
		t.Fatal(err)
	}
	sub.WaitFor(20*time.Second, "the token cleared", func(m mosquittotest.Message) bool {
		return m.Topic == e.prefix+"/token/graph" && len(m.Payload) == 0
	})
	waitFor(t, 30*time.Second, "a new device code after sign-out", func() bool {
		cs := e.idp.UserCodes()
		return len(cs) > 0 && cs[len(cs)-1] != code && strings.Contains(stdout.String(), cs[len(cs)-1])
	})
	if _, err := os.Stat(e.cache); !os.IsNotExist(err) {
		t.Errorf("cache file still there after sign-out: %v", err)
	}

	// 6. SIGTERM: a clean exit and offline retained.
	a.stop(t)
	late := e.broker.Subscribe(t, mosquittotest.SubOptions{}, e.prefix+"/status")
	m := late.WaitFor(10*time.Second, "retained status", func(m mosquittotest.Message) bool { return m.Retained })
	if string(m.Payload) != "offline" {
		t.Errorf("retained status = %q, want offline", m.Payload)
	}

	// 7. Nothing secret in the output, at debug level.
	n := e.tap.count()
	if n["access_token"] < 2 || n["refresh_token"] < 2 || n["id_token"] < 1 || n["device_code"] < 2 {
		t.Errorf("the tap saw too few secrets to prove anything: %v", n)
	}
	if leaks := e.tap.leaks(stdout.String() + stderr.String()); len(leaks) > 0 {
		t.Errorf("the agent printed secrets of kinds %v", leaks)
	}
	if !strings.Contains(stderr.String(), "level=DEBUG") {
		t.Error("no debug line in the log: the redaction check ran on too little")
	}

	// 8. The code pages were released when start-up was over, when a code
	// was shown and after each publish (three at least). Under qemu-user,
	// whose /proc/self/smaps cannot be trusted, the agent keeps them.
	want := `msg="released code pages" kB=`
	if len(testenv.Emulator()) > 0 {
		want = `msg="code pages stay resident" err="codepages: smaps shows this program's code as not executable`
	}
	if n := strings.Count(stderr.String(), want); n < 3 {
		t.Errorf("%d lines %s, want 3 or more; log:\n%s", n, want, stderr.String())
	}
}

func (e *e2eEnv) isAccessToken(s string) bool {
	e.tap.mu.Lock()
	defer e.tap.mu.Unlock()
	return e.tap.secrets[s] == "access_token"
}

// readToken waits for a token on <prefix>/token/graph other than not.
func readToken(t *testing.T, sub *mosquittotest.Subscription, prefix, not string) tokenPayload {
	t.Helper()
	var tp tokenPayload
	sub.WaitFor(30*time.Second, "a new token at the subscriber", func(m mosquittotest.Message) bool {
		if m.Topic != prefix+"/token/graph" || len(m.Payload) == 0 {
			return false
		}
		var p tokenPayload
		if json.Unmarshal(m.Payload, &p) != nil || p.AccessToken == "" || p.AccessToken == not {
			return false
		}
		tp = p
		return true
	})
	return tp
}

func TestE2ETokenWithoutTokenFails(t *testing.T) {
	bin := agentBinary(t)
	e := startE2E(t, time.Hour)
	var stderr bytes.Buffer
	out, err := testenv.Output(t, func() *exec.Cmd {
		c := e.command(bin, append([]string{"token", "graph"}, e.flags()...)...)
		stderr.Reset()
		c.Stderr = &stderr
		return c
	})
	if err == nil {
		t.Fatalf("boardlogin token graph with no token succeeded, printed %d bytes", len(out))
	}
	if !strings.Contains(stderr.String(), `no token for profile "graph"`) {
		t.Errorf("stderr = %q, want it to say there is no token for graph", stderr.String())
	}
}

func TestE2EConfigCheckBinary(t *testing.T) {
	bin := agentBinary(t)
	if out, err := testenv.CombinedOutput(func() *exec.Cmd {
		return testenv.Command(bin, "config", "check", "-config", "../../build/arm/boardlogin.conf")
	}); err != nil {
		t.Fatalf("config check of the example: %v\n%s", err, out)
	}
	out, err := testenv.CombinedOutput(func() *exec.Cmd {
		return testenv.Command(bin, "config", "check", "-config", "../../build/arm/boardlogin.conf", "-display", "crt")
	})
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("config check with a bad display: %v (want exit 2)\n%s", err, out)
	}
	if !strings.Contains(string(out), "display") {
		t.Errorf("error does not name the key: %s", out)
	}
	// Scopes of two resources named outright: refused before any sign-in.
	out, err = testenv.CombinedOutput(func() *exec.Cmd {
		return testenv.Command(bin, "config", "check", "-config", "../../build/arm/boardlogin.conf",
			"-profile.graph=https://graph.microsoft.com/User.Read https://storage.azure.com/user_impersonation")
	})
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("config check with two resources in a profile: %v (want exit 2)\n%s", err, out)
	}
	if want := `profile.graph: scopes of two resources, https://graph.microsoft.com and https://storage.azure.com`; !strings.Contains(string(out), want) {
		t.Errorf("config check says %s, want %q", out, want)
	}
}

// A profile whose scopes the provider refuses is a configuration error:
// the agent says which scope and what to fix, stops, and does not loop on
// new codes (before, it showed "no network" and asked for a code every few
// seconds, for ever).
func TestE2EScopeErrorsStopWithTheirReason(t *testing.T) {
	bin := agentBinary(t)
	tests := []struct {
		name    string
		scopes  string
		approve bool     // the provider only refuses the scopes at the token endpoint
		want    []string // in the log and on the display
	}{
		{"a scope that does not exist", "https://graph.microsoft.com/User.Raed", false,
			[]string{"profile.graph: invalid_scope", "AADSTS70011", "The scope 'https://graph.microsoft.com/User.Raed' does not exist.", "check the profile's scopes"}},
		// A bare scope is Graph's only to Entra (config check leaves it be),
		// so the provider refuses the pair after approval.
		{"scopes of two resources", "User.Read https://storage.azure.com/user_impersonation", true,
			[]string{"profile.graph: invalid_scope", "AADSTS28000", "more than one resource", "give each resource a profile of its own"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startE2E(t, time.Hour)
			sub := e.broker.Subscribe(t, mosquittotest.SubOptions{}, e.prefix+"/state")
			var args []string
			for _, f := range e.flags() {
				if strings.HasPrefix(f, "-profile.graph=") {
					f = "-profile.graph=" + tt.scopes
				}
				args = append(args, f)
			}
			a := startAgent(t, e, bin, args...)
			stdout, stderr := &a.stdout, &a.stderr

			if tt.approve {
				var code string
				waitFor(t, 30*time.Second, "a device code", func() bool {
					if cs := e.idp.UserCodes(); len(cs) > 0 {
						code = cs[0]
					}
					return code != ""
				})
				if err := e.idp.Approve(code); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 30*time.Second, "the configuration error in the log", func() bool {
				return strings.Contains(stderr.String(), `msg="configuration error"`)
			})
			sub.WaitFor(10*time.Second, "state error", func(m mosquittotest.Message) bool {
				return bytes.Contains(m.Payload, []byte(`"error"`)) && bytes.Contains(m.Payload, []byte("invalid_scope"))
			})
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("the log does not say %q", w)
				}
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("the display does not say %q", w)
				}
			}
			// Nothing more: wait longer than the first back-off after a
			// transient error (1 to 2 s), then count.
			after := len(e.idp.Requests())
			time.Sleep(3 * time.Second)
			codes := 0
			for i, r := range e.idp.Requests() {
				if r.Endpoint == entratest.EndpointDeviceCode {
					codes++
				}
				if i >= after {
					t.Errorf("a request to the %s endpoint after the configuration error", r.Endpoint)
				}
			}
			if codes != 1 {
				t.Errorf("%d device code requests, want 1", codes)
			}
			if strings.Contains(stderr.String(), "retrying") {
				t.Error("the agent retried a configuration error")
			}
			a.stop(t)
		})
	}
}
