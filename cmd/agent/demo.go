//go:build !nodemo

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/display"
	"github.com/boardlogin/boardlogin/mqtt"
)

// demoOpts are the demo's own flags.
type demoOpts struct {
	listen        string
	png           string
	broker        string
	tokenLifetime time.Duration
	codeLifetime  time.Duration
	interval      time.Duration
	logLevel      string
}

// cmdDemo runs the whole flow on this machine: the Entra-like identity
// provider with a real verification page, an embedded MQTT broker (unless
// -mqtt-broker is given), the terminal and a PNG of a 128x64 OLED, and a
// subscriber that prints each token it receives (redacted).
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := demoOpts{}
	fs := flag.NewFlagSet("boardlogin demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address of the identity provider and its verification page (loopback)")
	fs.StringVar(&o.png, "png", "boardlogin-oled.png", "PNG `file` showing what a 128x64 OLED would show; empty: none")
	fs.StringVar(&o.broker, "mqtt-broker", "", "use this MQTT broker instead of the embedded one")
	fs.DurationVar(&o.tokenLifetime, "token-lifetime", 2*time.Minute, "access token lifetime (short, to watch refreshes)")
	fs.DurationVar(&o.codeLifetime, "code-lifetime", 5*time.Minute, "device code lifetime")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "device code polling interval")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level (debug shows every request; never a secret)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments, got %q", fs.Args())}
	}
	if getenv(envPrefix+"DEBUG") != "" {
		o.logLevel = "debug"
	}
	red := &redactor{}
	log := newLogger(stderr, o.logLevel, getenv("JOURNAL_STREAM") != "", red)

	d, err := startDemo(o, stdout)
	if err != nil {
		return err
	}
	defer d.close()
	fmt.Fprintf(stdout, "boardlogin demo\n  identity provider: %s (Entra-like, tenant %s)\n  verification page: %s\n  mqtt broker:       %s (prefix %s)\n",
		d.idpURL, entratest.TenantDomain, d.pageURL, d.cfg.MQTTBroker, d.cfg.MQTTPrefix)
	if o.png != "" {
		fmt.Fprintf(stdout, "  OLED picture:      %s (128x64, redrawn on every change)\n", d.pngPath)
	}
	fmt.Fprintf(stdout, "Open the verification page, type the code shown below and press Approve. Ctrl-C stops.\n\n")

	sctx, stopSub := context.WithCancel(ctx)
	var wg sync.WaitGroup
	env := agentEnv{stdout: stdout, log: log, red: red, screens: d.screens,
		opts: supervisorOpts{DeclinedPause: 5 * time.Second, RefreshMargin: 5 * time.Minute}}
	env.ready = func(publisher) {
		wg.Add(1)
		go func() { defer wg.Done(); d.subscribe(sctx, stdout, log) }()
	}
	err = runAgent(ctx, d.cfg, env)
	stopSub()
	wg.Wait()
	return err
}

// demo holds what the demo started.
type demo struct {
	cfg     *Config
	idp     *entratest.Server
	srv     *http.Server
	broker  io.Closer
	idpURL  string
	pageURL string
	pngPath string
	screens []display.Screen
	dir     string
}

// startDemo starts the identity provider, its page, the broker and the PNG
// screen, and builds the agent's configuration for them.
func startDemo(o demoOpts, stdout io.Writer) (*demo, error) {
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil || !isLoopbackHost(host) {
		return nil, usageError{fmt.Sprintf("demo: -listen %q: want a loopback address such as 127.0.0.1:8400", o.listen)}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, fmt.Errorf("agent: demo: %w", err)
	}
	d := &demo{}
	d.idpURL = "http://" + ln.Addr().String()
	d.pageURL = d.idpURL + "/devicelogin"
	d.idp = entratest.New(entratest.Options{VerificationURI: d.pageURL, VerificationURIComplete: true,
		TokenLifetime: o.tokenLifetime, ExpiresIn: o.codeLifetime, Interval: o.interval})
	mux := http.NewServeMux()
	mux.Handle("/devicelogin", &verifyPage{idp: d.idp})
	mux.Handle("/", d.idp)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go d.srv.Serve(ln)

	d.dir, err = os.MkdirTemp("", "boardlogin-demo-")
	if err != nil {
		d.close()
		return nil, fmt.Errorf("agent: demo: %w", err)
	}
	broker := o.broker
	if broker == "" {
		b, url, err := startEmbeddedBroker()
		if err != nil {
			d.close()
			return nil, fmt.Errorf("agent: demo: embedded broker: %w", err)
		}
		d.broker, broker = b, url
	}
	if o.png != "" {
		d.pngPath, _ = filepath.Abs(o.png)
		sink, err := display.NewPNGSink(d.pngPath, 128, 64)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("agent: demo: %w", err)
		}
		ps, err := display.NewPixelScreen(sink, display.DefaultPixelOptions)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("agent: demo: %w", err)
		}
		d.screens = append(d.screens, ps)
	}
	vals := map[string]value{}
	for _, s := range settings {
		if s.def != "" {
			vals[s.key] = value{text: s.def, src: "default"}
		}
	}
	for k, v := range map[string]string{
		"tenant": entratest.TenantDomain, "client-id": entratest.DefaultClientID, "authority-host": d.idpURL,
		"profile.graph": "https://graph.microsoft.com/.default", "cache": filepath.Join(d.dir, "tokens.cbor"),
		"mqtt-broker": broker, "mqtt-prefix": "devicecode/demo", "display": "terminal", "max-unused-codes": "3", "idle-wait": "2m",
	} {
		vals[k] = value{text: v, src: "demo"}
	}
	cfg, problems := validate(vals)
	if len(problems) > 0 {
		d.close()
		return nil, &configError{problems}
	}
	d.cfg = cfg
	return d, nil
}

func (d *demo) close() {
	if d.srv != nil {
		d.srv.Close()
	}
	if d.broker != nil {
		d.broker.Close()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}

// subscribe plays a consumer program: it reads the retained token like any
// subscriber and prints a redacted form of each new one. The full token is
// never printed: a demo's output ends up in issue reports and screenshots.
func (d *demo) subscribe(ctx context.Context, stdout io.Writer, log interface{ Debug(string, ...any) }) {
	mo, err := mqttOptions(d.cfg, nil)
	if err != nil {
		return
	}
	var last string
	for {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		tok, err := mqtt.ReadToken(rctx, mo, "graph")
		cancel()
		if err == nil && tok.AccessToken != last {
			last = tok.AccessToken
			fmt.Fprintf(stdout, "subscriber: %s/token/graph: %s scopes=%q account=%s\n", d.cfg.MQTTPrefix,
				describeToken(tok.AccessToken, tok.ExpiresAt), tok.Scopes, tok.Account.Username)
		} else if err != nil && last != "" && (errors.Is(err, mqtt.ErrNoToken) || errors.Is(err, mqtt.ErrTokenExpired)) {
			last = ""
			fmt.Fprintf(stdout, "subscriber: %s/token/graph: cleared\n", d.cfg.MQTTPrefix)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// describeToken prints what a consumer would check in an access token: its
// first 6 characters and length (to tell tokens apart, not to use them),
// and the claims of interest from the JWT payload.
func describeToken(tok string, exp time.Time) string {
	head := tok
	if len(head) > 6 {
		head = head[:6]
	}
	s := fmt.Sprintf("token %s... (%d chars), expires %s", head, len(tok), exp.Local().Format("15:04:05"))
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return s
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return s
	}
	var c map[string]any
	if json.Unmarshal(b, &c) != nil {
		return s
	}
	for _, k := range []string{"aud", "scp", "upn", "preferred_username", "name", "tid"} {
		if v, ok := c[k]; ok {
			s += fmt.Sprintf(" %s=%v", k, v)
		}
	}
	return s
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
