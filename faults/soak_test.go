package faults

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/testenv"
)

var soakCycles = flag.Int("soak.cycles", 0, "refresh cycles of TestSoak (default 1000, 300 with -race, 100 under emulation; docs/benchmarks.md uses 10000)")

// raceEnabled is set by race_test.go under -race, which slows each cycle.
var raceEnabled bool

const helperEnv = "BOARDLOGIN_FAULTS_HELPER"

// TestHelperEntra is not a test: run by TestSoak as a separate process, it
// serves the Entra-like server so that the soak measures only the agent's
// side (the test server remembers every refresh token it issued).
func TestHelperEntra(t *testing.T) {
	if os.Getenv(helperEnv) != "entratest" {
		return
	}
	s := entratest.Start(entratest.Options{TLS: true, ApproveAfterPolls: 1, RevokeRotated: true,
		// Within devicecode.ExpiryMargin: every AcquireSilent refreshes.
		TokenLifetime: devicecode.ExpiryMargin})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(s.URL(), "https://"), &tls.Config{RootCAs: s.RootCAs()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	chain := conn.ConnectionState().PeerCertificates
	conn.Close()
	fmt.Printf("url %s\n%s", s.URL(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[len(chain)-1].Raw}))
	go func() {
		for range time.Tick(time.Second) {
			s.ResetRequests()
		}
	}()
	bufio.NewReader(os.Stdin).ReadByte() // until the parent closes stdin or dies
	s.Close()
	os.Exit(0)
}

// startHelperEntra starts TestHelperEntra and returns its URL and root.
func startHelperEntra(t *testing.T) (string, *x509.CertPool) {
	var stdin io.WriteCloser
	var stdout io.ReadCloser
	cmd := testenv.Start(t, func() *exec.Cmd {
		c := testenv.SelfCommand(t, "-test.run=^TestHelperEntra$")
		c.Env = append(os.Environ(), helperEnv+"=entratest")
		var err error
		if stdin, err = c.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if stdout, err = c.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
		c.Stderr = os.Stderr
		return c
	})
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	r := bufio.NewReader(stdout)
	var url string
	var pemText strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("helper server: %v", err)
		}
		if u, ok := strings.CutPrefix(line, "url "); ok {
			url = strings.TrimSpace(u)
			continue
		}
		if url != "" {
			pemText.WriteString(line)
			if strings.HasPrefix(line, "-----END") {
				break
			}
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemText.String())) {
		t.Fatal("helper server sent no certificate")
	}
	return url, pool
}

type soakFigures struct {
	goroutines, fds, threads int
	heapInuse                uint64
	rssKB                    int
}

func measure(t *testing.T) soakFigures {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return soakFigures{goroutines: runtime.NumGoroutine(), fds: procCount(t, "fd"), threads: procCount(t, "task"),
		heapInuse: ms.HeapInuse, rssKB: procStatus(t, "VmRSS")}
}

// TestSoak runs refresh cycles as the agent does (AcquireSilent with a token
// lifetime inside the expiry margin, so each call refreshes and rotates the
// refresh token, then a QoS 1 publish to a real Mosquitto) and checks that
// nothing accumulates: goroutines, open files and heap back to the baseline
// (generous bounds), one cache write per refresh. The figures are logged;
// timing is not asserted. The identity provider runs in a separate process.
func TestSoak(t *testing.T) {
	n := *soakCycles
	if n == 0 {
		switch {
		case emulated:
			n = 100
		case raceEnabled:
			n = 300
		default:
			n = 1000
		}
	}
	url, roots := startHelperEntra(t)
	e := &env{t: t, clock: &offsetClock{}}
	e.cache = &countingCache{File: tokencache.New(filepath.Join(t.TempDir(), "tokens.cbor"))}
	e.cfg = devicecode.Config{
		ClientID:       entratest.DefaultClientID,
		Authority:      devicecode.Authority{Tenant: entratest.TenantID, Host: url},
		Profiles:       []devicecode.Profile{{Name: profile, Scopes: graphScopes}},
		RootCAs:        roots,
		Clock:          e.clock,
		RequestTimeout: 5 * time.Second,
		Cache:          e.cache,
	}
	var err error
	if e.dc, err = devicecode.New(e.cfg); err != nil {
		t.Fatal(err)
	}
	e.startMQTT(false)
	e.signIn()
	ctx := ctxT(t, 30*time.Minute)
	cycle := func() {
		tok, err := e.dc.AcquireSilent(ctx, profile)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok.AccessToken == e.tok.AccessToken {
			t.Fatal("AcquireSilent served a token inside the expiry margin")
		}
		e.tok = tok
		if err := e.publish(ctx, tok); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	for i := 0; i < 50; i++ { // warm up: connections, pools, TLS session
		cycle()
	}
	base := measure(t)
	writes := e.cache.writes.Load()
	start := time.Now()
	for i := 0; i < n; i++ {
		cycle()
	}
	elapsed := time.Since(start)
	end := measure(t)
	hwm := procStatus(t, "VmHWM")
	w := e.cache.writes.Load() - writes
	t.Logf("soak: %d refresh+publish cycles in %v (%.2f ms each)", n, elapsed.Round(time.Millisecond), float64(elapsed.Microseconds())/float64(n)/1000)
	t.Logf("soak: goroutines %d -> %d, open files %d -> %d, threads %d -> %d", base.goroutines, end.goroutines, base.fds, end.fds, base.threads, end.threads)
	t.Logf("soak: heap in use after GC %.0f KiB -> %.0f KiB, RSS %d KiB -> %d KiB (peak %d KiB), cache writes %d",
		float64(base.heapInuse)/1024, float64(end.heapInuse)/1024, base.rssKB, end.rssKB, hwm, w)
	if end.goroutines > base.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d", base.goroutines, end.goroutines)
	}
	if end.fds > base.fds+2 {
		t.Errorf("open files grew from %d to %d", base.fds, end.fds)
	}
	if end.heapInuse > base.heapInuse+2<<20 {
		t.Errorf("heap in use grew from %d to %d bytes", base.heapInuse, end.heapInuse)
	}
	if end.rssKB > base.rssKB+16<<10 {
		t.Errorf("RSS grew from %d to %d KiB", base.rssKB, end.rssKB)
	}
	if w != int64(n) {
		t.Errorf("%d cache writes for %d refreshes (each rotates the refresh token: want one each)", w, n)
	}
	e.assertNoStaleToken()
	if got := cachedRefreshToken(t, e.cache.Path()); got != e.tok.RefreshToken {
		t.Error("the cache does not hold the latest refresh token")
	}
}
