package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/boardlogin/boardlogin/board"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/display"
	"github.com/boardlogin/boardlogin/mqtt"
)

// getenv is os.Getenv; tests replace it.
var getenv = os.Getenv

// setup loads the configuration and builds the logger every subcommand uses.
func setup(args []string, stderr io.Writer) (*Config, []string, *slog.Logger, *redactor, error) {
	cfg, rest, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	red := &redactor{}
	log := newLogger(stderr, cfg.LogLevel, getenv("JOURNAL_STREAM") != "", red)
	return cfg, rest, log, red, nil
}

// cmdRun is the agent: the supervisor loop until ctx ends.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, log, red, err := setup(args, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("run takes no arguments, got %q", rest)}
	}
	applyMemLimit(cfg.MemLimit, log)
	applyGCPercent(log)
	return runAgent(ctx, cfg, agentEnv{stdout: stdout, log: log, red: red})
}

// agentEnv is what runAgent needs besides the configuration; demo adds to it.
type agentEnv struct {
	stdout  io.Writer
	log     *slog.Logger
	red     *redactor
	screens []display.Screen // in addition to the configured display
	opts    supervisorOpts   // zero fields: from the configuration and the defaults
	ready   func(pub publisher)
}

// runAgent wires the concrete packages and runs the supervisor.
func runAgent(ctx context.Context, cfg *Config, env agentEnv) error {
	log := env.log
	// One agent per cache: a second one (a manual run beside the service)
	// would rotate the refresh token behind the first one's back. Taken
	// first, released last, after the final Save.
	cache := tokencache.New(cfg.Cache)
	releaseCache, err := cache.Lock()
	if errors.Is(err, tokencache.ErrInUse) {
		return fmt.Errorf("agent: %w (if that is the service: sudo systemctl stop boardlogin)", err)
	}
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer releaseCache()
	var roots *x509.CertPool
	if cfg.CAFile != "" {
		if roots, err = loadRoots(cfg.CAFile); err != nil {
			return &configError{[]string{err.Error()}}
		}
	}
	eng, _, err := newEngine(cfg, engineOpts{cache: cache, roots: roots,
		logf: func(f string, a ...any) { log.Debug(fmt.Sprintf(f, a...)) }})
	if err != nil {
		return &configError{[]string{strings.TrimPrefix(err.Error(), "agent: ")}}
	}

	var pub publisher = nopPublisher{}
	if cfg.MQTTBroker != "none" {
		mo, err := mqttOptions(cfg, log.With("component", "mqtt"))
		if err != nil {
			return mqttError("agent", err)
		}
		c, err := mqtt.Dial(ctx, mo)
		if err != nil {
			return mqttError("agent", err)
		}
		pub = &mqttPublisher{c: c, log: log, timeout: 5 * time.Second}
	} else {
		log.Info("mqtt-broker = none: tokens are not published")
	}

	scr := openScreens(cfg, env.stdout, log)
	for _, sc := range env.screens {
		scr.add(fmt.Sprintf("%T", sc), sc, nil)
	}
	actx, stopAnimate := context.WithCancel(context.Background())
	scr.animate(actx)
	defer func() {
		stopAnimate()
		if err := scr.Close(); err != nil {
			log.Warn("closing the display", "err", err)
		}
	}()

	// A long button press signs out like the MQTT command; a short one asks
	// for a fresh code or shows the status.
	signout := make(chan struct{}, 1)
	forward := func(c <-chan struct{}) {
		for range c {
			select {
			case signout <- struct{}{}:
			default:
			}
		}
	}
	if c := pub.SignOutRequests(); c != nil {
		go forward(c)
	}
	var button chan struct{}
	if cfg.ButtonPin != "" {
		presses, err := board.OpenButton(ctx, board.ButtonConfig{Pin: cfg.ButtonPin})
		if err != nil {
			log.Error("cannot watch the button; going on without it", "pin", cfg.ButtonPin, "err", err)
		} else {
			button = make(chan struct{}, 1)
			go func() {
				for p := range presses {
					ch := button
					if p.Long {
						ch = signout
					}
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			}()
		}
	}
	merged := &signoutPublisher{publisher: pub, c: signout}
	if env.ready != nil {
		env.ready(merged)
	}

	opts := env.opts
	if opts.MaxUnusedCodes == 0 {
		opts.MaxUnusedCodes = cfg.MaxUnusedCodes
	}
	if opts.IdleWait == 0 {
		opts.IdleWait = cfg.IdleWait
	}
	red := env.red
	s := &supervisor{eng: eng, pub: merged, scr: scr, clk: realClock{}, log: log, button: button, opts: opts,
		jitter: func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		},
		secret: red.add}
	trimmer := newMemTrimmer(log)
	s.trim = func() { trimmer.maybeTrim() }
	log.Info("starting", "version", version, "profiles", profileNames(cfg), "broker", cfg.MQTTBroker,
		"display", describeScreens(scr), "cache", cfg.Cache)
	// Start-up is over: most of the code that ran for it will not run again.
	trimmer.releaseCode()
	return s.Run(ctx)
}

// signoutPublisher replaces the publisher's sign-out channel with one that
// also carries long button presses.
type signoutPublisher struct {
	publisher
	c chan struct{}
}

func (p *signoutPublisher) SignOutRequests() <-chan struct{} { return p.c }

func profileNames(cfg *Config) string {
	var n []string
	for _, p := range cfg.Profiles {
		n = append(n, p.Name)
	}
	return strings.Join(n, ",")
}

// cmdConfigCheck validates the configuration without side effects: no
// network, no cache write, no hardware. It prints the effective settings
// that differ from the defaults, with where each came from.
func cmdConfigCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{"want: boardlogin config check [flags]"}
	}
	cfg, rest, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("config check takes no arguments, got %q", rest)}
	}
	var problems []string
	if _, _, err := newEngine(cfg, engineOpts{}); err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), "agent: "))
	}
	if cfg.CAFile != "" {
		if _, err := loadRoots(cfg.CAFile); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if cfg.MQTTBroker != "none" {
		// What Dial would refuse (files that do not load, TLS files for a
		// plain broker, ...), without connecting. Its warnings (a broker
		// neither on loopback nor TLS) go to stderr.
		warn := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		mo, err := mqttOptions(cfg, warn)
		if err == nil {
			err = mqtt.CheckOptions(mo)
		}
		if err != nil {
			problems = append(problems, mqttProblem(err))
		}
	}
	if len(problems) > 0 {
		return &configError{problems}
	}
	keys := make([]string, 0, len(cfg.vals))
	for k := range cfg.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(stdout, "config ok: %s\n", cfg.vals["config"].text)
	for _, k := range keys {
		v := cfg.vals[k]
		if v.src == "default" || k == "config" {
			continue
		}
		fmt.Fprintf(stdout, "  %s = %s  (%s)\n", k, v.text, v.src)
	}
	return nil
}

// cmdToken prints the access token a consumer would read from the broker:
// for shell scripts (curl -H "Authorization: Bearer $(boardlogin token graph)").
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var profile string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		profile, args = args[0], args[1:]
	}
	cfg, rest, log, _, err := setup(args, stderr)
	if err != nil {
		return err
	}
	if len(rest) == 1 && profile == "" {
		profile, rest = rest[0], nil
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("token takes one profile name, got %q", rest)}
	}
	if profile == "" {
		profile = cfg.Profiles[0].Name
	}
	if cfg.MQTTBroker == "none" {
		return errors.New("agent: token: mqtt-broker is none; the agent publishes tokens only over MQTT")
	}
	mo, err := mqttOptions(cfg, log.With("component", "mqtt"))
	if err != nil {
		return mqttError("agent: token", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tok, err := mqtt.ReadToken(ctx, mo, profile)
	switch {
	case errors.Is(err, mqtt.ErrNoToken):
		return fmt.Errorf("agent: no token for profile %q at %s: is the agent running and signed in? (boardlogin status)", profile, cfg.MQTTBroker)
	case errors.Is(err, mqtt.ErrTokenExpired):
		return fmt.Errorf("agent: the token for profile %q has expired: is the agent running? (boardlogin status)", profile)
	case err != nil:
		return mqttError("agent: token", err)
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	return nil
}

// cmdStatus prints the cached account and token expiry, no secret. It only
// reads: it may run beside the agent, and a cache file that does not decode
// stays where it is for the agent to move aside.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, _, _, err := setup(args, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("status takes no arguments, got %q", rest)}
	}
	snap, err := tokencache.New(cfg.Cache).Peek()
	if errors.Is(err, tokencache.ErrCorrupt) || errors.Is(err, tokencache.ErrUnknownVersion) {
		return fmt.Errorf("agent: status: %w; left in place: the agent moves it aside when it next loads it, then asks for a new sign-in", err)
	}
	if err != nil {
		return fmt.Errorf("agent: status: %w", err)
	}
	if snap == nil {
		fmt.Fprintf(stdout, "not signed in (no cache at %s)\n", cfg.Cache)
		return nil
	}
	fmt.Fprintf(stdout, "account: %s\n", orNone(snap.Account.Username))
	if snap.Account.TenantID != "" {
		fmt.Fprintf(stdout, "tenant: %s\n", snap.Account.TenantID)
	}
	fmt.Fprintf(stdout, "refresh token: %s\n", map[bool]string{true: "present", false: "none (sign in again)"}[snap.RefreshToken != ""])
	names := make([]string, 0, len(snap.AccessTokens))
	for n := range snap.AccessTokens {
		names = append(names, n)
	}
	sort.Strings(names)
	now := time.Now()
	for _, n := range names {
		t := snap.AccessTokens[n]
		left := "expired"
		if t.ExpiresAt.After(now) {
			left = "in " + t.ExpiresAt.Sub(now).Round(time.Second).String()
		}
		fmt.Fprintf(stdout, "token %s: expires %s (%s)\n", n, t.ExpiresAt.UTC().Format(time.RFC3339), left)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// cmdLogout removes the cache, asks a running agent to sign out (it keeps
// its tokens in memory and would write the cache again at its next
// refresh) and clears the retained tokens. It says which of the steps
// happened; an unreachable broker is an error after the cache is gone.
func cmdLogout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, rest, log, _, err := setup(args, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("logout takes no arguments, got %q", rest)}
	}
	switch err := tokencache.New(cfg.Cache).Remove(); {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stdout, "no cache at %s\n", cfg.Cache)
	case err != nil:
		return fmt.Errorf("agent: logout: %w", err)
	default:
		fmt.Fprintf(stdout, "removed %s\n", cfg.Cache)
	}
	if cfg.MQTTBroker == "none" {
		fmt.Fprintln(stdout, "mqtt-broker = none: no running agent to sign out over MQTT (stop it, or restart it, to drop its tokens)")
		return nil
	}
	mo, err := mqttOptions(cfg, log.With("component", "mqtt"))
	if err != nil {
		return mqttError("agent: logout", err)
	}
	profiles := make([]string, len(cfg.Profiles))
	for i, p := range cfg.Profiles {
		profiles[i] = p.Name
	}
	// Sign-out first: the agent then clears its own tokens and cache, and
	// the clearing that follows covers an agent that is not running. mqtt
	// connects as itself, not as the agent, so the agent's retained status
	// stays "online".
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	res, err := mqtt.SignOut(ctx, mo, profiles)
	if res.Sent {
		fmt.Fprintf(stdout, "sent sign-out to a running agent (%s)\n", res.Topic)
	}
	for _, p := range res.Cleared {
		fmt.Fprintf(stdout, "cleared token %s\n", p)
	}
	var oe *mqtt.OptionsError
	if errors.As(err, &oe) {
		return mqttError("agent: logout", err)
	}
	if err != nil {
		hint := "stop the agent or retry"
		if res.Connected {
			hint = "check the broker's ACL for this user, or retry"
		}
		return fmt.Errorf("agent: logout: %w; %s", err, hint)
	}
	return nil
}
