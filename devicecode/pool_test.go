package devicecode

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// A reply far larger than a poll's (an HTML error page of 900 KiB) grows
// the buffer it is read into; release must not hand that buffer back to
// the pool, or every later poll would reuse (and keep resident) it.
func TestReleaseDropsAGrownBuffer(t *testing.T) {
	big := strings.Repeat("x", 900<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(big))
	}))
	defer srv.Close()
	c, err := New(Config{ClientID: "11111111-2222-3333-4444-555555555555",
		Authority: Authority{DeviceAuthorizationURL: srv.URL + "/devicecode", TokenURL: srv.URL + "/token"}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	// sync.Pool hands back what this P put in last: stay on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := c.post(context.Background(), "token", u, []byte("grant_type=x"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.body) != len(big) {
		t.Fatalf("read %d bytes, want %d", len(r.body), len(big))
	}
	r.release()
	b := bufPool.Get().(*[]byte)
	defer bufPool.Put(b)
	if cap(*b) > 64<<10 {
		t.Errorf("the pool handed out a %d-byte buffer after a huge reply; want at most 64 KiB", cap(*b))
	}
}
