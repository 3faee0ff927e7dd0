// Package oidcprovider starts a third-party RFC 8628 identity provider,
// panva/oidc-provider on Node.js, on loopback for end-to-end tests, and plays
// its user over HTTP: enter the user code, sign in, consent or abort.
//
// It is a test helper in the manner of net/http/httptest. The Node packages
// are pinned by package-lock.json in this folder and installed by
// ./scripts/test (npm ci); Start fails the test, never skips it, when Node or
// the packages are missing.
package oidcprovider

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

// ClientID is the public client registered in server.js.
const ClientID = "boardlogin-e2e"

// Provider is a running oidc-provider.
type Provider struct {
	// Issuer is the provider's issuer URL (http://127.0.0.1:port); its
	// discovery document is at Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID is the public client the tests use.
	ClientID string
}

// Options tune the provider.
type Options struct {
	// AccessTokenTTL is the access token lifetime; 0 means 60 s.
	AccessTokenTTL time.Duration
}

// Start runs server.js with Node and waits until it prints its issuer. The
// process ends when the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	node := testenv.RequireCommand(t, "node", "nodejs")
	dir := sourceDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		t.Fatalf("oidcprovider: node packages missing in %s: run ./scripts/test, or npm ci there", dir)
	}
	ttl := opts.AccessTokenTTL
	if ttl == 0 {
		ttl = time.Minute
	}
	var stdin io.WriteCloser
	var stdout io.ReadCloser
	var stderr strings.Builder
	cmd := testenv.Start(t, func() *exec.Cmd {
		c := exec.Command(node, "server.js")
		c.Dir = dir
		c.Env = append(os.Environ(), "CLIENT_ID="+ClientID, fmt.Sprintf("ACCESS_TOKEN_TTL=%d", int(ttl.Seconds())))
		var err error
		if stdin, err = c.StdinPipe(); err != nil {
			t.Fatalf("oidcprovider: %v", err)
		}
		if stdout, err = c.StdoutPipe(); err != nil {
			t.Fatalf("oidcprovider: %v", err)
		}
		stderr.Reset()
		c.Stderr = &stderr
		return c
	})
	t.Cleanup(func() {
		stdin.Close() // server.js exits when its stdin closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})

	type hello struct {
		Issuer string `json:"issuer"`
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line, ok := <-lines:
		var h hello
		if !ok || json.Unmarshal([]byte(line), &h) != nil || h.Issuer == "" {
			t.Fatalf("oidcprovider: server.js did not start (stdout %q): %s", line, stderr.String())
		}
		return &Provider{Issuer: h.Issuer, ClientID: ClientID}
	case <-time.After(60 * time.Second):
		t.Fatalf("oidcprovider: server.js printed no issuer within 60 s: %s", stderr.String())
	}
	return nil
}

// sourceDir is the folder holding server.js, found from this file's path so
// that it works whatever the test's working directory is.
func sourceDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("oidcprovider: cannot locate server.js")
	}
	return filepath.Dir(file)
}

// User is a person at a browser: a cookie jar and the forms of the pages.
type User struct {
	http  *http.Client
	login string
}

// NewUser returns a user who signs in as login (the development login page
// accepts any name and password).
func NewUser(login string) *User {
	jar, _ := cookiejar.New(nil)
	return &User{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, login: login}
}

// Approve enters the user code on verificationURI, confirms, signs in and
// consents. It returns when the provider shows its success page.
func (u *User) Approve(ctx context.Context, verificationURI, userCode string) error {
	page, err := u.enterCode(ctx, verificationURI, userCode)
	if err != nil {
		return err
	}
	login, err := page.form("prompt", "login")
	if err != nil {
		return err
	}
	login.values.Set("login", u.login)
	login.values.Set("password", "any")
	if page, err = u.submit(ctx, login); err != nil {
		return err
	}
	consent, err := page.form("prompt", "consent")
	if err != nil {
		return err
	}
	if page, err = u.submit(ctx, consent); err != nil {
		return err
	}
	if !strings.Contains(page.body, "Sign-in Success") {
		return fmt.Errorf("oidcprovider: no success page after consent: %.300s", page.body)
	}
	return nil
}

// Decline enters the user code, then aborts at the sign-in page, as a person
// who does not recognise the request would.
func (u *User) Decline(ctx context.Context, verificationURI, userCode string) error {
	page, err := u.enterCode(ctx, verificationURI, userCode)
	if err != nil {
		return err
	}
	login, err := page.form("prompt", "login")
	if err != nil {
		return err
	}
	abort, err := url.JoinPath(login.action, "abort")
	if err != nil {
		return err
	}
	page, err = u.get(ctx, abort)
	if err != nil {
		return err
	}
	// oidc-provider shows its code entry page again with this notice.
	if !strings.Contains(page.body, "The Sign-in request was interrupted") {
		return fmt.Errorf("oidcprovider: abort did not deny: %.300s", page.body)
	}
	return nil
}

// enterCode opens the verification page, types the code and confirms it,
// and returns the sign-in page.
func (u *User) enterCode(ctx context.Context, verificationURI, userCode string) (*page, error) {
	p, err := u.get(ctx, verificationURI)
	if err != nil {
		return nil, err
	}
	input, err := p.form("user_code", "")
	if err != nil {
		return nil, err
	}
	input.values.Set("user_code", userCode)
	if p, err = u.submit(ctx, input); err != nil {
		return nil, err
	}
	confirm, err := p.form("confirm", "yes")
	if err != nil {
		return nil, err
	}
	return u.submit(ctx, confirm)
}

type page struct {
	url   *url.URL
	body  string
	forms []form
}

type form struct {
	action string
	values url.Values
}

// form returns the first form with an input of that name (and value, when
// value is not empty).
func (p *page) form(name, value string) (form, error) {
	for _, f := range p.forms {
		if vs, ok := f.values[name]; ok && (value == "" || (len(vs) > 0 && vs[0] == value)) {
			return form{action: f.action, values: cloneValues(f.values)}, nil
		}
	}
	return form{}, fmt.Errorf("oidcprovider: page %s has no form with %s=%q: %.300s", p.url, name, value, p.body)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (u *User) get(ctx context.Context, target string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	return u.do(req)
}

func (u *User) submit(ctx context.Context, f form) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.action, strings.NewReader(f.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

func (u *User) do(req *http.Request) (*page, error) {
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: %s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: read %s: %w", req.URL, err)
	}
	p := &page{url: resp.Request.URL, body: string(body)}
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("oidcprovider: %s %s: HTTP %d: %.300s", req.Method, req.URL, resp.StatusCode, p.body)
	}
	p.forms = parseForms(p.url, p.body)
	return p, nil
}

// parseForms collects every form's absolute action and its inputs' names and
// values.
func parseForms(base *url.URL, body string) []form {
	var forms []form
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return forms
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "form":
				action := base.String()
				if a := attr(tok, "action"); a != "" {
					if ref, err := base.Parse(a); err == nil {
						action = ref.String()
					}
				}
				forms = append(forms, form{action: action, values: url.Values{}})
			case "input":
				if len(forms) > 0 && attr(tok, "name") != "" {
					forms[len(forms)-1].values.Set(attr(tok, "name"), attr(tok, "value"))
				}
			}
		}
	}
}

func attr(tok html.Token, name string) string {
	for _, a := range tok.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}
