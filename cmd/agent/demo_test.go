//go:build !nodemo

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

var (
	pageURLRe  = regexp.MustCompile(`verification page: (http://127\.0\.0\.1:\d+/devicelogin)`)
	userCodeRe = regexp.MustCompile(`(?m)^\s+([A-Z]{4}-[A-Z]{4})\s*$`)
)

// TestDemoApprovedInChromium runs `boardlogin demo` and plays the person:
// headless Chromium opens the verification page, types the code shown on
// the terminal into the form and clicks Approve, through the DevTools
// protocol. The demo's subscriber must then receive a token.
func TestDemoApprovedInChromium(t *testing.T) {
	chromium := testenv.RequireCommand(t, "chromium", "chromium")
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-png", "", "-interval", "1s", "-log-level", "debug"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("demo did not stop within 20s of cancel")
		}
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s", stdout.String(), stderr.String())
		}
	}()

	var pageURL, code string
	waitFor(t, 30*time.Second, "the demo to show a code", func() bool {
		out := stdout.String()
		if m := pageURLRe.FindStringSubmatch(out); m != nil {
			pageURL = m[1]
		}
		if m := userCodeRe.FindStringSubmatch(out); m != nil {
			code = m[1]
		}
		return pageURL != "" && code != ""
	})

	b := startChromium(t, chromium)
	b.call(t, "Page.enable", nil)
	b.navigate(t, pageURL)
	b.eval(t, `document.getElementById("code").focus()`)
	b.call(t, "Input.insertText", map[string]any{"text": code})
	if got := b.eval(t, `document.getElementById("code").value`); got != code {
		t.Fatalf("the code field holds %q after typing, want %q", got, code)
	}
	b.click(t, "approve")
	if got := b.eval(t, `(document.getElementById("result")||{}).textContent||""`); !strings.HasPrefix(got, "Approved") {
		t.Fatalf("after clicking Approve the page says %q", got)
	}
	waitFor(t, 30*time.Second, "the subscriber to receive the token", func() bool {
		return strings.Contains(stdout.String(), "subscriber: devicecode/demo/token/graph: token ")
	})
	if !strings.Contains(stdout.String(), "ada@contoso.onmicrosoft.com") {
		t.Error("the terminal does not show the signed-in account")
	}
}

// TestVerifyPageRejectsBadCode checks the page's answers without a browser.
func TestVerifyPageRejectsBadCode(t *testing.T) {
	a := &fakeApprover{}
	srv := http.Handler(&verifyPage{idp: a})
	for _, tt := range []struct {
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{url.Values{"code": {"wdjb-mjht"}, "action": {"approve"}}, 200, "Approved"},
		{url.Values{"code": {"WDJB-MJHT"}, "action": {"decline"}}, 200, "Declined"},
		{url.Values{"code": {"NOPE-NOPE"}, "action": {"approve"}}, 400, "not valid"},
		{url.Values{"code": {"WDJB-MJHT"}}, 400, "Press Approve or Decline"},
	} {
		rec := newRecorder()
		req, _ := http.NewRequest("POST", "/devicelogin", strings.NewReader(tt.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		srv.ServeHTTP(rec, req)
		if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantText) {
			t.Errorf("%v: %d %q, want %d and %q", tt.form, rec.Code, rec.Body.String(), tt.wantStatus, tt.wantText)
		}
	}
	if strings.Join(a.calls, ",") != "approve WDJB-MJHT,decline WDJB-MJHT,approve NOPE-NOPE" {
		t.Errorf("calls = %q", a.calls)
	}
}

type fakeApprover struct{ calls []string }

func (a *fakeApprover) Approve(c string) error { return a.do("approve", c) }
func (a *fakeApprover) Decline(c string) error { return a.do("decline", c) }
func (a *fakeApprover) do(op, c string) error {
	a.calls = append(a.calls, op+" "+c)
	if c != "WDJB-MJHT" {
		return fmt.Errorf("unknown code")
	}
	return nil
}

// browser is a minimal Chrome DevTools Protocol client over one page.
type browser struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	id      int
	events  chan map[string]any
	replies map[int]chan map[string]any
}

func startChromium(t *testing.T, bin string) *browser {
	t.Helper()
	var errPipe io.ReadCloser
	cmd := testenv.Start(t, func() *exec.Cmd {
		c := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir="+t.TempDir(), "about:blank")
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var err error
		if errPipe, err = c.StderrPipe(); err != nil {
			t.Fatal(err)
		}
		return c
	})
	// Chromium forks renderer and utility processes that go on writing to
	// the profile after the browser process dies; kill the whole group and
	// wait until it is gone, or removing the profile directory races them.
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if syscall.Kill(-cmd.Process.Pid, 0) == syscall.ESRCH {
				return
			}
		}
		t.Error("chromium's processes were still alive 10s after SIGKILL")
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
				found <- strings.TrimSpace(after)
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not print its DevTools address within 60s")
	}
	u, _ := url.Parse(browserWS)
	// The page target's own websocket.
	var pageWS string
	waitFor(t, 20*time.Second, "a page target", func() bool {
		resp, err := http.Get("http://" + u.Host + "/json/list")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var targets []struct{ Type, WebSocketDebuggerURL string }
		body, _ := io.ReadAll(resp.Body)
		json.Unmarshal(body, &targets)
		for _, tg := range targets {
			if tg.Type == "page" && tg.WebSocketDebuggerURL != "" {
				pageWS = tg.WebSocketDebuggerURL
				return true
			}
		}
		return false
	})
	ws, _, err := websocket.DefaultDialer.Dial(pageWS, nil)
	if err != nil {
		t.Fatalf("devtools websocket: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	b := &browser{ws: ws, events: make(chan map[string]any, 256), replies: map[int]chan map[string]any{}}
	go b.read()
	return b
}

func (b *browser) read() {
	for {
		var m map[string]any
		if err := b.ws.ReadJSON(&m); err != nil {
			close(b.events)
			return
		}
		if id, ok := m["id"].(float64); ok {
			b.mu.Lock()
			ch := b.replies[int(id)]
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case b.events <- m:
		default:
		}
	}
}

func (b *browser) call(t *testing.T, method string, params map[string]any) map[string]any {
	t.Helper()
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan map[string]any, 1)
	b.replies[id] = ch
	err := b.ws.WriteJSON(map[string]any{"id": id, "method": method, "params": params})
	b.mu.Unlock()
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	select {
	case m := <-ch:
		if e, ok := m["error"]; ok {
			t.Fatalf("%s: %v", method, e)
		}
		r, _ := m["result"].(map[string]any)
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no reply within 30s", method)
	}
	return nil
}

// waitLoad waits for the next Page.loadEventFired.
func (b *browser) waitLoad(t *testing.T) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-b.events:
			if !ok {
				t.Fatal("devtools connection closed")
			}
			if m["method"] == "Page.loadEventFired" {
				return
			}
		case <-timeout:
			t.Fatal("page did not load within 30s")
		}
	}
}

func (b *browser) drain() {
	for {
		select {
		case <-b.events:
		default:
			return
		}
	}
}

func (b *browser) navigate(t *testing.T, u string) {
	t.Helper()
	b.drain()
	b.call(t, "Page.navigate", map[string]any{"url": u})
	b.waitLoad(t)
}

// eval evaluates a JavaScript expression and returns its string value.
func (b *browser) eval(t *testing.T, expr string) string {
	t.Helper()
	r := b.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	res, _ := r["result"].(map[string]any)
	v, _ := res["value"].(string)
	return v
}

// click presses and releases the mouse in the middle of the element with
// id, as a person would, and waits for the page it leads to.
func (b *browser) click(t *testing.T, id string) {
	t.Helper()
	rect := b.eval(t, `JSON.stringify(document.getElementById("`+id+`").getBoundingClientRect())`)
	var r struct{ X, Y, Width, Height float64 }
	if err := json.Unmarshal([]byte(rect), &r); err != nil || r.Width == 0 {
		t.Fatalf("element %s has no box: %q", id, rect)
	}
	x, y := r.X+r.Width/2, r.Y+r.Height/2
	b.drain()
	b.call(t, "Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": x, "y": y})
	b.call(t, "Input.dispatchMouseEvent", map[string]any{"type": "mousePressed", "x": x, "y": y, "button": "left", "clickCount": 1})
	b.call(t, "Input.dispatchMouseEvent", map[string]any{"type": "mouseReleased", "x": x, "y": y, "button": "left", "clickCount": 1})
	b.waitLoad(t)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
