package faults

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// blackhole is a loopback TCP proxy that forwards to target until Cut,
// then swallows everything in both directions (new and existing
// connections: bytes go nowhere and nothing answers, as when a link dies
// without a reset) until Restore.
type blackhole struct {
	ln     net.Listener
	target string
	cut    atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newBlackhole(t testing.TB, target string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, target: target}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *blackhole) Addr() string { return p.ln.Addr().String() }
func (p *blackhole) Cut()         { p.cut.Store(true) }
func (p *blackhole) Restore()     { p.cut.Store(false) }

func (p *blackhole) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *blackhole) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *blackhole) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		go func() {
			if p.cut.Load() {
				io.Copy(io.Discard, c) // accepted, never answered
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil || !p.track(up) {
				c.Close()
				return
			}
			go p.pipe(up, c)
			p.pipe(c, up)
		}()
	}
}

// pipe copies src to dst, dropping every chunk read while the link is cut.
func (p *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.cut.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// The network to the identity provider goes away for longer than the access
// token lives: every refresh attempt fails within the per-request timeout
// with a transient error; the MQTT client clears the retained token when it
// expires (no consumer reads a dead token); the cache keeps the live refresh
// token; when the network comes back the next refresh succeeds and is
// published.
func TestNetworkGone(t *testing.T) {
	e := newEnv(t, envOpts{server: entratest.Options{TokenLifetime: time.Second, RevokeRotated: true}, mqtt: true})
	proxy := newBlackhole(t, e.srv.URL()[len("https://"):])
	// Route the engine through the proxy.
	e.cfg.Authority.Host = "https://" + proxy.Addr()
	var err error
	if e.dc, err = devicecode.New(e.cfg); err != nil {
		t.Fatal(err)
	}
	e.signIn()
	before := e.tok

	proxy.Cut()
	start := time.Now()
	attempts := 0
	for time.Since(start) < 1300*time.Millisecond {
		attempts++
		err := e.refresh(ctxT(t, 5*time.Second))
		if err == nil {
			t.Fatal("refresh succeeded through a dead network")
		}
		if !devicecode.IsTransient(err) || devicecode.NeedsSignIn(err) {
			t.Fatalf("a dead network is not a transient error: %v", err)
		}
		assertNoSecret(t, err, before.RefreshToken)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d refresh attempts failed while the network was gone", attempts)
	if time.Now().Before(before.ExpiresAt) {
		t.Fatal("the token did not expire during the outage; lengthen it")
	}
	eventually(t, 3*time.Second, "the expired token to be cleared from MQTT", func() bool { return e.retainedToken() == "" })
	e.assertNoStaleToken()
	if got := cachedRefreshToken(t, e.cache.Path()); got != before.RefreshToken {
		t.Fatal("the cache lost the refresh token during the outage")
	}

	proxy.Restore()
	// The token lives one second and the MQTT client clears it when it
	// expires, so on a slow machine (qemu) a reader may come too late for
	// one token: refresh again until a reader sees the one just published.
	eventually(t, 10*time.Second, "a refresh after the network returned, its token read from MQTT", func() bool {
		return e.refresh(ctxT(t, 5*time.Second)) == nil && e.retainedToken() == e.tok.AccessToken
	})
	e.assertNoStaleToken()
	e.restart() // through the proxy: the cache belongs to that authority

}
