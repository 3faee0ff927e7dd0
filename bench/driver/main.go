// Command driver runs the bench contenders (bench/cmd/*) against one local
// Entra-like server (devicecode/entratest over TLS on loopback) and prints
// the comparison as a markdown table. bench/run builds everything and calls
// it; see docs/benchmarks.md.
//
// Every contender is a separate process started with GOMAXPROCS=1, so its
// peak RSS (VmHWM) and allocation counts are its own; the server runs here
// and counts the polls it receives, with their times.
package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/internal/testenv"
)

// deviceGrant is how entratest records a device code poll, whichever of
// the two spellings the client sent (MSAL sends grant_type=device_code).
const deviceGrant = entratest.GrantDeviceCode

// interval is the poll interval the server asks for: short, so a flow of
// 5 pending polls takes seconds, and whole (x/oauth2 reads whole seconds).
const interval = time.Second

// pending is how many polls are answered authorization_pending before the
// user approves.
const pending = 5

// tolerance absorbs the difference between when a client sends a poll and
// when the server reads it (both sides share two busy cores): a gap counts
// as early only when it is shorter than the interval by more than this.
const tolerance = 50 * time.Millisecond

type contender struct {
	name, label string
	bin         string // native binary
	armSize     int64  // stripped linux/arm GOARM=6 binary, bytes
}

func main() {
	binDir := flag.String("bin", "", "folder with the native contender binaries")
	armDir := flag.String("arm", "", "folder with the stripped linux/arm GOARM=6 binaries")
	names := flag.String("contenders", "boardlogin,oauth2,msal,bare", "contenders, in table order")
	flag.Parse()
	if *binDir == "" || *armDir == "" {
		fmt.Fprintln(os.Stderr, "driver: -bin and -arm are required")
		os.Exit(2)
	}
	labels := map[string]string{
		"boardlogin": "boardlogin devicecode",
		"oauth2":     "x/oauth2 v0.37.0",
		"msal":       "MSAL Go v1.10.1",
		"bare":       "bare net/http + encoding/json",
		"agent":      "whole boardlogin agent (engine, MQTT, terminal display)",
	}
	var cs []*contender
	for _, n := range strings.Split(*names, ",") {
		c := &contender{name: n, label: labels[n], bin: filepath.Join(*binDir, n)}
		if fi, err := os.Stat(filepath.Join(*armDir, n)); err == nil {
			c.armSize = fi.Size()
		}
		cs = append(cs, c)
	}
	tmp, err := os.MkdirTemp("", "boardlogin-bench")
	check(err)
	defer os.RemoveAll(tmp)

	rows := map[string][]string{}
	add := func(row, cell string) { rows[row] = append(rows[row], cell) }
	order := []string{"size", "rss-system", "rss-pinned", "heap", "polls", "slow_down", "503", "drop"}
	for _, c := range cs {
		fmt.Fprintf(os.Stderr, "driver: %s\n", c.name)
		add("size", mib(c.armSize))
		if c.name == "agent" {
			for _, roots := range []string{"system", "pinned"} {
				flow := runAgent(c, tmp, roots)
				add("rss-"+roots, kib(flow.vmhwm))
				if roots == "pinned" {
					add("polls", flow.pollSummary())
				}
			}
			for _, r := range []string{"heap", "slow_down", "503", "drop"} {
				add(r, "as devicecode")
			}
			continue
		}
		for _, roots := range []string{"system", "pinned"} {
			flow := runFlow(c, tmp, roots)
			add("rss-"+roots, fmt.Sprintf("%s", kib(flow.vmhwm)))
			if roots == "pinned" {
				add("polls", flow.pollSummary())
			}
		}
		add("heap", heapPerPoll(c, tmp))
		add("slow_down", fault(c, tmp, entratest.SlowDown, "slow_down"))
		add("503", fault(c, tmp, entratest.ServerError(503), "503"))
		add("drop", fault(c, tmp, entratest.CloseConn, "drop"))
	}
	heads := map[string]string{
		"size":       "stripped linux/arm GOARM=6 binary",
		"rss-system": "peak RSS (VmHWM), system CA pool",
		"rss-pinned": "peak RSS (VmHWM), one pinned root",
		"heap":       "heap per pending poll (bytes, allocs)",
		"polls":      fmt.Sprintf("polls sent / allowed by the %v interval (early)", interval),
		"slow_down":  "on slow_down",
		"503":        "on a 503 mid-polling",
		"drop":       "on a dropped connection mid-polling",
	}
	fmt.Print("| |")
	for _, c := range cs {
		fmt.Printf(" %s |", c.label)
	}
	fmt.Print("\n| --- |")
	for range cs {
		fmt.Print(" --- |")
	}
	fmt.Println()
	for _, r := range order {
		fmt.Printf("| %s |", heads[r])
		for _, cell := range rows[r] {
			fmt.Printf(" %s |", cell)
		}
		fmt.Println()
	}
}

// testServer is an entratest server behind this driver's own TLS listener.
type testServer struct {
	*entratest.Server
	ts *httptest.Server
}

func (s *testServer) URL() string { return s.ts.URL }
func (s *testServer) Close()      { s.ts.Close() }

// server starts a TLS server with the bench's interval and writes its root
// certificate to dir/ca.pem.
func server(dir string, opts entratest.Options) (*testServer, string) {
	opts.Interval = interval
	s := entratest.New(opts)
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	ca := filepath.Join(dir, "ca.pem")
	check(os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))
	return &testServer{Server: s, ts: ts}, ca
}

// namedServer is server under the name localhost, with a certificate from
// a CA of its own (written to dir/named-ca/ca.pem): the agent checks the
// system roots against the name it dialled, as on a board, so it must not
// reach the provider by IP.
func namedServer(dir string, opts entratest.Options) (*testServer, string) {
	opts.Interval = interval
	s := entratest.New(opts)
	caDir := filepath.Join(dir, "named-ca")
	check(os.MkdirAll(caDir, 0o755))
	cfg, ca, err := testenv.LocalhostTLS(caDir)
	check(err)
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = cfg
	ts.StartTLS()
	ts.URL = strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	return &testServer{Server: s, ts: ts}, ca
}

var urlRE = regexp.MustCompile(`https://127\.0\.0\.1:[0-9]+/[^ )"]*`)

type runResult struct {
	alloc, mallocs []uint64
	results        []string
	vmhwm          int // KiB
	records        []entratest.Record
}

// child runs a contender against the given servers, in order.
func child(c *contender, ca, roots string, urls ...string) runResult {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, "-auth", strings.Join(urls, ","), "-ca", ca, "-roots", roots)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "driver: %s: %v\n", c.name, err)
	}
	var r runResult
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "vmhwm_kb="); ok {
			r.vmhwm, _ = strconv.Atoi(v)
			continue
		}
		if !strings.HasPrefix(line, "run=") {
			continue
		}
		var i int
		var a, m, ms uint64
		var res string
		if _, err := fmt.Sscanf(line, "run=%d alloc=%d mallocs=%d ms=%d result=%q", &i, &a, &m, &ms, &res); err != nil {
			fmt.Fprintf(os.Stderr, "driver: %s: cannot parse %q: %v\n", c.name, line, err)
			continue
		}
		r.alloc, r.mallocs, r.results = append(r.alloc, a), append(r.mallocs, m), append(r.results, res)
	}
	return r
}

// runFlow is the reference flow: 5 pending polls, approval at the 6th.
func runFlow(c *contender, dir, roots string) runResult {
	s, ca := server(dir, entratest.Options{ApproveAfterPolls: pending + 1})
	defer s.Close()
	r := child(c, ca, roots, s.URL())
	r.records = s.Requests()
	if len(r.results) != 1 || r.results[0] != "ok" {
		fmt.Fprintf(os.Stderr, "driver: %s: flow failed: %v\n", c.name, r.results)
	}
	return r
}

// polls returns the poll times of the first device code and when it was
// issued.
func polls(recs []entratest.Record) (issued time.Time, ps []time.Time) {
	for _, r := range recs {
		switch {
		case r.Endpoint == entratest.EndpointDeviceCode && issued.IsZero():
			issued = r.Time
		case r.Endpoint == entratest.EndpointToken && r.GrantType == deviceGrant:
			ps = append(ps, r.Time)
		}
	}
	return issued, ps
}

// pollSummary: polls sent, polls the interval allows in the time they
// took, and how many came sooner than the interval after the previous one
// (or after the code was issued), with the shortest gap.
func (r runResult) pollSummary() string {
	issued, ps := polls(r.records)
	if len(ps) == 0 {
		return "no poll"
	}
	span := ps[len(ps)-1].Sub(issued)
	allowed := int(span / interval)
	early, prev := 0, issued
	minGap := time.Duration(math.MaxInt64)
	for _, p := range ps {
		gap := p.Sub(prev)
		if gap < interval-tolerance {
			early++
		}
		minGap = min(minGap, gap)
		prev = p
	}
	s := fmt.Sprintf("%d / %d in %.1f s (%d early", len(ps), allowed, span.Seconds(), early)
	if early > 0 {
		s += fmt.Sprintf(", shortest gap %d ms", minGap.Milliseconds())
	}
	return s + ")"
}

// heapPerPoll runs one flow without pending polls and one with 5, each
// after a warm-up flow on the same server (connection and discovery
// cached), and divides the difference by 5.
func heapPerPoll(c *contender, dir string) string {
	s0, _ := server(dir, entratest.Options{ApproveAfterPolls: 1})
	defer s0.Close()
	sP, ca := server(dir, entratest.Options{ApproveAfterPolls: pending + 1})
	defer sP.Close()
	r := child(c, ca, "pinned", s0.URL(), sP.URL(), s0.URL(), sP.URL())
	if len(r.results) != 4 {
		return "failed"
	}
	for _, res := range r.results {
		if res != "ok" {
			return "failed: " + res
		}
	}
	b := (float64(r.alloc[3]) - float64(r.alloc[2])) / pending
	n := (float64(r.mallocs[3]) - float64(r.mallocs[2])) / pending
	return fmt.Sprintf("%.1f KB, %.0f allocs", b/1000, n)
}

// fault answers the 2nd poll with rp (approval comes at the 4th poll) and
// describes what the contender did.
func fault(c *contender, dir string, rp entratest.Reply, what string) string {
	const at = 2
	s, ca := server(dir, entratest.Options{ApproveAfterPolls: at + 2, Script: func(req entratest.Request) *entratest.Reply {
		if req.Endpoint == entratest.EndpointToken && req.GrantType == deviceGrant && req.Polls == at {
			return &rp
		}
		return nil
	}})
	defer s.Close()
	r := child(c, ca, "pinned", s.URL())
	_, ps := polls(s.Requests())
	res := "no result"
	if len(r.results) == 1 {
		res = r.results[0]
	}
	if len(ps) <= at {
		return "aborts: " + shortErr(res)
	}
	gap := ps[at].Sub(ps[at-1])
	var s2 string
	switch {
	case what == "slow_down" && gap >= interval+5*time.Second-tolerance:
		s2 = fmt.Sprintf("honours +5 s (next poll after %.1f s)", gap.Seconds())
	case what == "slow_down":
		s2 = fmt.Sprintf("treats as pending (next poll after %.2f s)", gap.Seconds())
	default:
		s2 = fmt.Sprintf("retries (next poll after %.2f s)", gap.Seconds())
	}
	if res != "ok" {
		s2 += ", then fails: " + shortErr(res)
	}
	return s2
}

// shortErr trims an error for a table cell.
func shortErr(s string) string {
	s = urlRE.ReplaceAllString(s, "<url>")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 90 {
		s = s[:90] + "..."
	}
	return "`" + s + "`"
}

func mib(n int64) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
}

func kib(k int) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

// runAgent runs the whole agent (`boardlogin run`) through the reference
// flow with a real Mosquitto, reads its peak RSS once the token is issued
// and published, and stops it with SIGTERM. With -roots system the agent
// uses the system roots, to which SSL_CERT_DIR adds the test CA.
func runAgent(c *contender, dir, roots string) runResult {
	s, ca := namedServer(dir, entratest.Options{ApproveAfterPolls: pending + 1})
	defer s.Close()
	port := freePort()
	mq := exec.Command("mosquitto", "-p", strconv.Itoa(port))
	check(mq.Start())
	defer func() { mq.Process.Kill(); mq.Wait() }()
	cacheDir, err := os.MkdirTemp(dir, "agent")
	check(err)
	args := []string{"run", "-config", "none", "-tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"-client-id", entratest.DefaultClientID, "-authority-host", s.URL(),
		"-profile.graph=https://graph.microsoft.com/User.Read", "-cache", filepath.Join(cacheDir, "tokens.cbor"),
		"-mqtt-broker", fmt.Sprintf("tcp://127.0.0.1:%d", port), "-display", "terminal"}
	env := append(os.Environ(), "GOMAXPROCS=1")
	if roots == "pinned" {
		args = append(args, "-ca-file", ca)
	} else {
		env = append(env, "SSL_CERT_DIR=/etc/ssl/certs:"+filepath.Dir(ca))
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = env
	check(cmd.Start())
	var r runResult
	deadline := time.Now().Add(time.Minute)
	for s.Issued() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the token goes to MQTT
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				r.vmhwm, _ = strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			}
		}
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if s.Issued() == 0 {
		fmt.Fprintf(os.Stderr, "driver: agent: no token issued\n")
	}
	r.records = s.Requests()
	return r
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
