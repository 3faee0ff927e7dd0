// Package harness is the common shell of the contender programs in
// bench/cmd: flags, the root pool (system or pinned), the HTTP client a Go
// developer would use with a library, and the figures each run reports.
//
// Every contender links exactly this code, so the difference between their
// stripped binary sizes and peak RSS is the library, not the harness. It uses
// only flag, fmt, os, runtime, crypto/x509 and net/http, which every
// contender links anyway, and no encoding/json (the product does not link it).
package harness

import (
	"bufio"
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// Defaults of the local Entra-like server (devicecode/entratest), repeated
// here so the contenders do not link the test server.
const (
	DefaultTenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	DefaultClientID = "11111111-2222-3333-4444-555555555555"
	DefaultScope    = "https://graph.microsoft.com/User.Read"
)

// Env is what a contender needs to build its client for one authority.
type Env struct {
	Tenant, ClientID string
	Scopes           []string
	// Roots are the trusted roots: the system pool plus the test CA
	// (-roots system), or the test CA alone (-roots pinned).
	Roots *x509.CertPool
	// HTTPClient is http.DefaultTransport's clone with Roots, what a Go
	// developer hands a library that takes an *http.Client.
	HTTPClient *http.Client
}

// Flow runs one whole device code flow (device authorization, polling until
// the token) and returns nil once a token arrived.
type Flow func(ctx context.Context) error

// Setup builds a contender's client for the authority base URL
// ("https://127.0.0.1:port"); the tenant is in Env.
type Setup func(env *Env, base string) (Flow, error)

// Main parses the flags, builds one Flow per -auth URL, runs them in order
// and prints one line per run (allocation deltas from runtime.MemStats) and a
// last line with the process's peak resident set size (VmHWM).
func Main(setup Setup) {
	auth := flag.String("auth", "", "comma-separated authority base URLs, one flow each, in order")
	caFile := flag.String("ca", "", "PEM file of the test server's root")
	roots := flag.String("roots", "pinned", "system (system pool + test root) or pinned (test root only)")
	tenant := flag.String("tenant", DefaultTenant, "tenant")
	client := flag.String("client", DefaultClientID, "client id")
	scope := flag.String("scope", DefaultScope, "space-separated scopes")
	timeout := flag.Duration("timeout", 2*time.Minute, "bound of each flow")
	flag.Parse()
	if *auth == "" || *caFile == "" {
		fail("harness: -auth and -ca are required")
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		fail("harness: %v", err)
	}
	var pool *x509.CertPool
	switch *roots {
	case "system":
		if pool, err = x509.SystemCertPool(); err != nil {
			fail("harness: system roots: %v", err)
		}
	case "pinned":
		pool = x509.NewCertPool()
	default:
		fail("harness: -roots must be system or pinned")
	}
	if !pool.AppendCertsFromPEM(pem) {
		fail("harness: %s holds no certificate", *caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	env := &Env{Tenant: *tenant, ClientID: *client, Scopes: strings.Fields(*scope), Roots: pool,
		HTTPClient: &http.Client{Transport: tr}}

	var flows []Flow
	for _, base := range strings.Split(*auth, ",") {
		f, err := setup(env, base)
		if err != nil {
			fail("harness: setup %s: %v", base, err)
		}
		flows = append(flows, f)
	}
	out := bufio.NewWriter(os.Stdout)
	var before, after runtime.MemStats
	for i, f := range flows {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := f(ctx)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		cancel()
		msg := "ok"
		if err != nil {
			msg = oneLine(strings.ReplaceAll(err.Error(), "\n", " "))
		}
		fmt.Fprintf(out, "run=%d alloc=%d mallocs=%d ms=%d result=%q\n", i,
			after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs, elapsed.Milliseconds(), msg)
	}
	fmt.Fprintf(out, "vmhwm_kb=%d\n", vmHWM())
	out.Flush()
}

// oneLine keeps the first line of an error, at most 160 bytes: MSAL puts
// whole HTTP bodies in its errors.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// vmHWM reads the peak resident set size of this process, in KiB.
func vmHWM() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int
		if n, _ := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); n == 1 {
			return kb
		}
	}
	return -1
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}
