package devicecode_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// A token endpoint that answers 307 (a captive portal, a compromised
// proxy) must not get the form re-sent where Location points: with a
// caller's http.Client, net/http would re-POST it, device code included,
// even from https to http. The redirect is an unexpected reply instead,
// and nothing reaches the other host.
func TestRedirectIsNotFollowed(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		leaked = append(leaked, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer other.Close()
	var sawRedirect bool
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/devicecode":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"device_code":"DEVICE-CODE-SECRET","user_code":"ABCD-EFGH","verification_uri":"https://example.test/device","expires_in":30,"interval":5}`)
		case "/token":
			mu.Lock()
			sawRedirect = true
			mu.Unlock()
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/portal", http.StatusTemporaryRedirect)
		}
	}))
	defer idp.Close()
	var logs strings.Builder
	c, err := devicecode.New(devicecode.Config{ClientID: "11111111-2222-3333-4444-555555555555", HTTPClient: &http.Client{},
		Authority: devicecode.Authority{DeviceAuthorizationURL: idp.URL + "/devicecode", TokenURL: idp.URL + "/token"},
		Clock:     entratest.NewFakeClock(epoch),
		Logf:      func(f string, a ...any) { logs.WriteString(sprintf(f, a...) + "\n") }})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := c.RequestCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PollToken(context.Background(), dc)
	if !errors.Is(err, devicecode.ErrExpired) {
		t.Errorf("PollToken = %v; want ErrExpired after the redirects", err)
	}
	var ue *devicecode.UnexpectedReplyError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("last poll error %v; want an *UnexpectedReplyError for the 307", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !sawRedirect {
		t.Fatal("the token endpoint was never asked")
	}
	if len(leaked) > 0 {
		t.Errorf("the redirect target received %d forms", len(leaked))
	}
	if strings.Contains(logs.String(), "DEVICE-CODE-SECRET") || strings.Contains(err.Error(), "DEVICE-CODE-SECRET") {
		t.Error("the device code reached a log line or the error")
	}
}
