package mqtt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Client publishes state and tokens. Its methods are safe for concurrent use.
type Client struct {
	cfg     *config
	status  string // topics
	state   string
	signout string

	// sem is a one-slot semaphore that serialises every publish: the
	// caller's, the expiry timers' and the republish after a connect. Holding
	// it guards conn, connLost and ackTimer. It is a channel rather than a
	// mutex so that waiting for it honours a context.
	sem      chan struct{}
	conn     paho.Client  // nil while not connected
	connLost chan<- error // conn's loss signal, to force a reconnect
	ackTimer *time.Timer  // reused by every wait for an acknowledgement

	// vmu guards the latest values, which are recorded before a publish
	// waits for sem: a caller whose context ends while another publish
	// (a slow republish after a reconnect) holds sem still leaves its
	// value, and the holder of sem sends it before letting go (unlock).
	vmu        sync.Mutex
	lastState  *State
	stateDirty bool // lastState not yet sent on the live connection
	tokens     map[string]*entry
	closed     bool

	dialGone atomic.Bool // Dial stopped waiting for the first attempt

	mu        sync.Mutex    // guards up and connected
	up        chan struct{} // closed while connected
	connected bool

	signoutCh chan struct{}
	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	done      chan struct{} // closed when the connection loop has ended
}

// entry is the latest token of one profile. A cleared entry (live false)
// stays, so every reconnect also clears the topic on a broker that kept an
// old retained token (a broker with persistence).
type entry struct {
	topic string
	tok   Token
	live  bool
	dirty bool // recorded, not yet sent on the live connection
	// timer clears the token at expiry. It is made once per profile and
	// Reset for each new token (no allocation per refresh); when it fires
	// it checks the current token's expiry, so a firing left over from an
	// older token does nothing.
	timer *time.Timer
}

// entryFor returns the profile's entry, creating it. Call with vmu held.
func (c *Client) entryFor(profile string) *entry {
	e := c.tokens[profile]
	if e == nil {
		e = &entry{topic: c.cfg.Prefix + "/token/" + profile}
		c.tokens[profile] = e
	}
	return e
}

// Dial validates opts, starts connecting in the background and returns after
// the first connection attempt (at most ConnectTimeout) or when ctx ends. A
// broker that is down or unreachable is no error: the Client keeps trying
// with backoff and publishes everything once connected. A broker that
// refuses the client's credentials or identity is an error.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:       cfg,
		status:    cfg.Prefix + "/status",
		state:     cfg.Prefix + "/state",
		signout:   cfg.Prefix + "/cmd/signout",
		sem:       make(chan struct{}, 1),
		ackTimer:  stoppedTimer(),
		tokens:    map[string]*entry{},
		up:        make(chan struct{}),
		signoutCh: make(chan struct{}, 1),
		ctx:       lctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	first := make(chan error, 1)
	go c.run(first)
	var ferr error
	select {
	case ferr = <-first:
	case <-ctx.Done():
		// Keep connecting in the background; the caller may still use c.
		// From here on the loop reports a refusal itself and goes on. An
		// attempt that ended meanwhile is still Dial's to report.
		c.dialGone.Store(true)
		select {
		case ferr = <-first:
		default:
			return c, nil
		}
	}
	if ferr != nil && permanent(ferr) {
		cancel()
		<-c.done
		return nil, refusedError(ferr, cfg)
	}
	return c, nil // on error, the loop has logged it and keeps trying
}

// refusedError says which identity the broker refused and what to check.
func refusedError(err error, cfg *config) error {
	who := "anonymous clients"
	if cfg.Username != "" {
		who = fmt.Sprintf("user %q", cfg.Username)
	}
	return fmt.Errorf("%v: the broker refused %s with client id %q; check Username, PasswordFile and the broker's ACL", err, who, cfg.ClientID)
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// permanent reports a refusal that retrying will not fix.
func permanent(err error) bool {
	return errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) ||
		errors.Is(err, packets.ErrorRefusedNotAuthorised) ||
		errors.Is(err, packets.ErrorRefusedIDRejected) ||
		errors.Is(err, packets.ErrorRefusedBadProtocolVersion)
}

// stableConnection is how long a connection must last for the reconnect
// backoff to start again from MinReconnectInterval.
const stableConnection = 10 * time.Second

// run is the connection loop: connect, republish, wait for the loss,
// back off, again, until Close.
func (c *Client) run(first chan<- error) {
	defer close(c.done)
	log := c.cfg.Logger
	failures := 0
	for {
		lost := make(chan error, 1)
		pc := paho.NewClient(c.pahoOptions(lost))
		err := connect(c.ctx, pc, c.cfg)
		if err == nil {
			err = c.online(pc, lost)
			if err != nil {
				pc.Disconnect(0)
			}
		}
		if first != nil {
			first <- err
			first = nil
			if err != nil && permanent(err) && !c.dialGone.Load() {
				return // Dial reports it and gives up
			}
		}
		if c.ctx.Err() != nil {
			return
		}
		if err == nil {
			if failures > 0 {
				log.Info("mqtt: connected", "broker", c.cfg.url.Redacted(), "after_failures", failures)
			} else {
				log.Info("mqtt: connected", "broker", c.cfg.url.Redacted())
			}
			c.setConnected(true)
			since := time.Now()
			select {
			case err = <-lost:
				log.Warn("mqtt: connection lost; reconnecting", "broker", c.cfg.url.Redacted(), "err", err)
			case <-c.ctx.Done():
			}
			c.setConnected(false)
			c.dropConn(pc)
			if c.ctx.Err() != nil {
				return
			}
			// Only a connection that held resets the backoff: a broker that
			// drops us at once (two boards with one client id take each
			// other's session) must not see a reconnect every half second.
			if time.Since(since) >= stableConnection {
				failures = 0
			}
		} else if permanent(err) {
			// Credentials or identity refused after Dial returned (a
			// broker restarted with another password file): loud, since
			// nothing is published until someone fixes it.
			log.Error("mqtt: "+refusedError(err, c.cfg).Error(), "failures", failures+1)
		} else if failures == 0 {
			log.Warn("mqtt: connect failed; retrying with backoff", "broker", c.cfg.url.Redacted(), "err", err)
		} else {
			log.Debug("mqtt: connect failed", "broker", c.cfg.url.Redacted(), "err", err, "failures", failures+1)
		}
		d := reconnectDelay(failures, c.cfg.MinReconnectInterval, c.cfg.MaxReconnectInterval, rand.Float64)
		failures++
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
	}
}

// pahoOptions builds the options of one connection. Each connection is a new
// paho client: clean session, no paho reconnect or connect retry, so the
// only thing sent after a connect is what online decides to send.
func (c *Client) pahoOptions(lost chan<- error) *paho.ClientOptions {
	o := c.cfg.pahoBase(c.cfg.ClientID)
	o.SetWill(c.status, "offline", 1, true)
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case lost <- err:
		default:
		}
	})
	return o
}

// pahoBase holds what a Client and ReadToken share.
func (cfg *config) pahoBase(clientID string) *paho.ClientOptions {
	o := paho.NewClientOptions()
	o.AddBroker(cfg.Broker)
	o.SetClientID(clientID)
	o.SetProtocolVersion(4) // 3.1.1; no silent second attempt with 3.1
	o.SetCleanSession(true)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetConnectTimeout(cfg.ConnectTimeout)
	o.SetDialer(&net.Dialer{Timeout: cfg.ConnectTimeout})
	o.SetKeepAlive(cfg.KeepAlive)
	o.SetPingTimeout(min(cfg.PublishTimeout, cfg.KeepAlive))
	o.SetWriteTimeout(cfg.PublishTimeout)
	if cfg.Username != "" {
		o.SetUsername(cfg.Username)
		o.SetPassword(cfg.password)
	}
	if cfg.tls != nil {
		o.SetTLSConfig(cfg.tls)
	}
	return o
}

// connect makes one connection attempt.
func connect(ctx context.Context, pc paho.Client, cfg *config) error {
	tok := pc.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		go func() { // the attempt ends within ConnectTimeout; tidy up after it
			<-tok.Done()
			pc.Disconnect(0)
		}()
		return ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: connect to %s: %w", cfg.url.Redacted(), refusal{err})
	}
	return nil
}

// refusal gives paho's CONNACK errors ("not Authorized") our lower-case
// wording while errors.Is still finds them.
type refusal struct{ err error }

func (r refusal) Unwrap() error { return r.err }

func (r refusal) Error() string {
	switch {
	case errors.Is(r.err, packets.ErrorRefusedNotAuthorised):
		return "not authorized"
	case errors.Is(r.err, packets.ErrorRefusedBadUsernameOrPassword):
		return "bad user name or password"
	case errors.Is(r.err, packets.ErrorRefusedServerUnavailable):
		return "server unavailable"
	}
	return r.err.Error()
}

// online runs on every (re)connect: it installs the connection, publishes
// "online", the latest state and every profile's latest token (or clears it
// when it expired meanwhile), then subscribes to sign-out requests.
func (c *Client) online(pc paho.Client, lost chan<- error) error {
	if err := c.lock(c.ctx); err != nil {
		return err
	}
	defer c.unlock()
	// The latest values, as they are now; any recorded while they go out
	// are sent by unlock, once conn is set.
	c.vmu.Lock()
	if c.closed {
		c.vmu.Unlock()
		return errors.New("mqtt: client closed")
	}
	var state *State
	if c.lastState != nil {
		st := *c.lastState
		state = &st
	}
	c.stateDirty = false
	now := c.cfg.Now()
	type value struct {
		profile, topic string
		tok            Token
		live           bool
	}
	values := make([]value, 0, len(c.tokens))
	for profile, e := range c.tokens {
		if e.live && !e.tok.ExpiresAt.After(now) {
			c.cfg.Logger.Info("mqtt: token expired while disconnected; clearing it", "profile", profile)
			e.tok, e.live = Token{}, false
			stopTimer(e)
		}
		e.dirty = false
		values = append(values, value{profile, e.topic, e.tok, e.live})
	}
	c.vmu.Unlock()

	ctx := c.ctx
	if err := c.publish(ctx, pc, c.status, []byte("online")); err != nil {
		return err
	}
	if state != nil {
		if err := c.publishState(ctx, pc, *state); err != nil {
			return err
		}
	}
	for _, v := range values {
		if err := c.publishValue(ctx, pc, v.profile, v.topic, v.tok, v.live, now); err != nil {
			return err
		}
	}
	stok := pc.Subscribe(c.signout, 1, c.onSignout)
	if err := c.cfg.wait(ctx, stok, "subscribe to", c.signout, c.ackTimer); err != nil {
		return err
	}
	if r := stok.(*paho.SubscribeToken).Result()[c.signout]; r == subackFailure {
		// Not fatal: tokens still flow; only remote sign-out is unavailable.
		c.cfg.Logger.Warn("mqtt: broker refused the sign-out subscription; check its ACL", "topic", c.signout)
	}
	c.conn, c.connLost = pc, lost
	return nil
}

// subackFailure is the SUBACK return code of a refused subscription
// (MQTT 3.1.1 §3.9.3).
const subackFailure = 0x80

func (c *Client) onSignout(_ paho.Client, m paho.Message) {
	if m.Retained() {
		return // a retained command would sign out on every reconnect
	}
	select {
	case c.signoutCh <- struct{}{}:
	default: // one pending request is enough
	}
}

func (c *Client) dropConn(pc paho.Client) {
	c.sem <- struct{}{}
	if c.conn == pc {
		c.conn, c.connLost = nil, nil
	}
	<-c.sem
	pc.Disconnect(0)
}

func (c *Client) setConnected(v bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == c.connected {
		return
	}
	c.connected = v
	if v {
		close(c.up)
	} else {
		c.up = make(chan struct{})
	}
}

// Connected reports whether the Client has a live connection on which it has
// republished its latest values.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}

// WaitConnected blocks until Connected or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	c.mu.Lock()
	up := c.up
	c.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: not connected to %s: %w", c.cfg.url.Redacted(), ctx.Err())
	}
}

func (c *Client) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: %w", ctx.Err())
	}
}

// unlock sends what callers recorded and could not send themselves (their
// context ended while this holder had sem), then lets go of sem.
func (c *Client) unlock() {
	c.flushLocked(c.ctx)
	<-c.sem
}

// flushLocked sends every recorded value not yet sent on the live
// connection, the state first. A failed send stops it: the connection is
// in trouble, and a reconnect republishes everything. Call with sem held.
func (c *Client) flushLocked(ctx context.Context) {
	for c.conn != nil {
		key, ok := c.nextDirty()
		if !ok {
			return
		}
		if err := c.sendLocked(ctx, key); err != nil {
			c.cfg.Logger.Debug("mqtt: sending a recorded value failed; it goes out on reconnect", "err", err)
			return
		}
	}
}

// stateKey names the state among the recorded values; token keys are
// profile names, which checkTopicPart keeps free of '/'.
const stateKey = "/state"

// nextDirty returns the key of a recorded value not yet sent.
func (c *Client) nextDirty() (string, bool) {
	c.vmu.Lock()
	defer c.vmu.Unlock()
	if c.stateDirty {
		return stateKey, true
	}
	for profile, e := range c.tokens {
		if e.dirty {
			return profile, true
		}
	}
	return "", false
}

// sendLocked sends the latest value of key (stateKey or a profile) if it
// has not gone out on the live connection yet. Call with sem held.
func (c *Client) sendLocked(ctx context.Context, key string) error {
	if c.conn == nil {
		return ErrNotConnected // the next connect republishes every value
	}
	c.vmu.Lock()
	if key == stateKey {
		if !c.stateDirty || c.lastState == nil {
			c.vmu.Unlock()
			return nil // sent already, by whoever held sem before
		}
		s := *c.lastState
		c.stateDirty = false
		c.vmu.Unlock()
		return c.publishState(ctx, c.conn, s)
	}
	e := c.tokens[key]
	if e == nil || !e.dirty {
		c.vmu.Unlock()
		return nil
	}
	topic, tok, live := e.topic, e.tok, e.live
	e.dirty = false
	c.vmu.Unlock()
	return c.publishValue(ctx, c.conn, key, topic, tok, live, c.cfg.Now())
}

// recorded is the error of a caller whose context ended while it waited
// for another publish: its value is kept and goes out after that one.
func recorded(err error) error {
	return fmt.Errorf("%w; the value is kept and goes out after the publish in progress", err)
}

// wait waits for a paho token. paho tokens that time out report no error by
// themselves, so the timeout is ours, and so is the error.
// verb and topic are joined only on error, to keep the hot path free of
// allocations.
//
// t, when not nil, is a timer to reuse (stopped); the Client's one is used
// only with sem held. Since Go 1.23 a stopped or reset timer never delivers
// a stale tick.
func (cfg *config) wait(ctx context.Context, tok paho.Token, verb, topic string, t *time.Timer) error {
	if t == nil {
		t = time.NewTimer(cfg.PublishTimeout)
	} else {
		t.Reset(cfg.PublishTimeout)
	}
	defer t.Stop()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			// paho says "not Connected", or "connection lost before
			// Publish completed" for a publish in flight when the link
			// died: either way the value goes out on reconnect.
			if errors.Is(err, paho.ErrNotConnected) || strings.HasPrefix(err.Error(), "connection lost") {
				return fmt.Errorf("%w (%s %s)", ErrNotConnected, verb, topic)
			}
			return fmt.Errorf("mqtt: %s %s: %v", verb, topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: %s %s: %w", verb, topic, ctx.Err())
	case <-t.C:
		return fmt.Errorf("mqtt: %s %s: %w within %v", verb, topic, errNoAck, cfg.PublishTimeout)
	}
}

// errNoAck marks a publish or subscribe whose acknowledgement did not come.
var errNoAck = errors.New("no acknowledgement")

// publish sends a retained QoS 1 message and waits for its PUBACK. A missing
// PUBACK on the live connection means a half-dead link that keep-alive may
// take a long time to notice: the connection is dropped at once, and the
// reconnect republishes the latest values.
func (c *Client) publish(ctx context.Context, pc paho.Client, topic string, payload []byte) error {
	err := c.cfg.wait(ctx, pc.Publish(topic, 1, true, payload), "publish to", topic, c.ackTimer)
	if errors.Is(err, errNoAck) && pc == c.conn && c.connLost != nil {
		select {
		case c.connLost <- err:
		default:
		}
	}
	return err
}

func (c *Client) publishState(ctx context.Context, pc paho.Client, s State) error {
	p, err := encodeState(s, c.cfg.Now())
	if err != nil {
		return fmt.Errorf("mqtt: encoding state: %v", err)
	}
	return c.publish(ctx, pc, c.state, p)
}

// publishValue publishes a profile's token, or the empty retained message
// that clears the topic when live is false.
func (c *Client) publishValue(ctx context.Context, pc paho.Client, profile, topic string, tok Token, live bool, now time.Time) error {
	if !live {
		return c.publish(ctx, pc, topic, nil)
	}
	p, err := encodeToken(c.cfg.Encoding, tok, now)
	if err != nil {
		return fmt.Errorf("mqtt: encoding the token of profile %q: %v", profile, err)
	}
	return c.publish(ctx, pc, topic, p)
}

// PublishState publishes s retained on <prefix>/state and remembers it for
// every reconnect. While the broker is away it returns an error wrapping
// ErrNotConnected.
func (c *Client) PublishState(ctx context.Context, s State) error {
	if err := checkState(s.State); err != nil {
		return err
	}
	c.vmu.Lock()
	if c.closed {
		c.vmu.Unlock()
		return errClosed
	}
	c.lastState, c.stateDirty = &s, true
	c.vmu.Unlock()
	if err := c.lock(ctx); err != nil {
		return recorded(err)
	}
	defer c.unlock()
	return c.sendLocked(ctx, stateKey)
}

var errClosed = errors.New("mqtt: client closed")

// PublishToken publishes t retained at QoS 1 on <prefix>/token/<profile>,
// remembers it as the profile's latest to republish on every reconnect, and
// clears the topic when t expires. Only the latest token of a profile is
// kept: nothing queues while the broker is away, when it returns an error
// wrapping ErrNotConnected. A token that has already expired is cleared
// instead, with an error wrapping ErrTokenExpired.
//
// The token is recorded before the publish waits for the link: when ctx
// ends while another publish holds it (a slow republish after a
// reconnect), the error says so, and the token goes out right after that
// publish. The same holds for ClearToken and PublishState.
func (c *Client) PublishToken(ctx context.Context, profile string, t Token) error {
	if err := checkTopicPart("profile", profile, false); err != nil {
		return err
	}
	if t.AccessToken == "" {
		return fmt.Errorf("mqtt: token for profile %q has no access token", profile)
	}
	if t.ExpiresAt.IsZero() {
		return fmt.Errorf("mqtt: token for profile %q has no expiry", profile)
	}
	t.Scopes = append([]string(nil), t.Scopes...) // ours, whatever the caller does with its slice
	c.vmu.Lock()
	if c.closed {
		c.vmu.Unlock()
		return errClosed
	}
	var expired error
	now := c.cfg.Now()
	e := c.entryFor(profile)
	if !t.ExpiresAt.After(now) {
		expired = fmt.Errorf("%w: profile %q expired at %s; cleared instead of published",
			ErrTokenExpired, profile, t.ExpiresAt.UTC().Format(time.RFC3339))
		stopTimer(e)
		e.tok, e.live = Token{}, false
	} else {
		e.tok, e.live = t, true
		if e.timer == nil {
			e.timer = time.AfterFunc(t.ExpiresAt.Sub(now), func() { c.expire(profile) })
		} else {
			e.timer.Reset(t.ExpiresAt.Sub(now))
		}
	}
	e.dirty = true
	c.vmu.Unlock()
	if err := c.lock(ctx); err != nil {
		return errors.Join(expired, recorded(err))
	}
	defer c.unlock()
	if err := c.sendLocked(ctx, profile); err != nil {
		return errors.Join(expired, err)
	}
	return expired
}

func stopTimer(e *entry) {
	if e.timer != nil {
		e.timer.Stop()
	}
}

// expire clears a profile's token when its timer fires, unless the token
// now there is a newer one that has not expired (or it was cleared already).
func (c *Client) expire(profile string) {
	c.vmu.Lock()
	e := c.tokens[profile]
	if e == nil || !e.live || c.closed {
		c.vmu.Unlock()
		return
	}
	if now := c.cfg.Now(); e.tok.ExpiresAt.After(now) {
		// Early by this clock (the wall clock stepped back): wait the rest.
		e.timer.Reset(e.tok.ExpiresAt.Sub(now))
		c.vmu.Unlock()
		return
	}
	c.cfg.Logger.Info("mqtt: token expired; clearing it", "profile", profile)
	e.tok, e.live, e.dirty = Token{}, false, true
	c.vmu.Unlock()
	if c.lock(c.ctx) != nil {
		return // closed
	}
	defer c.unlock()
	if err := c.sendLocked(c.ctx, profile); err != nil && !errors.Is(err, ErrNotConnected) {
		c.cfg.Logger.Warn("mqtt: clearing an expired token failed; retried on reconnect", "profile", profile, "err", err)
	}
}

// ClearToken forgets the profile's token and publishes an empty retained
// message on its topic, so no consumer reads it any more. The clear is
// repeated on every reconnect. While the broker is away it returns an error
// wrapping ErrNotConnected.
func (c *Client) ClearToken(ctx context.Context, profile string) error {
	if err := checkTopicPart("profile", profile, false); err != nil {
		return err
	}
	c.vmu.Lock()
	if c.closed {
		c.vmu.Unlock()
		return errClosed
	}
	e := c.entryFor(profile)
	stopTimer(e)
	e.tok, e.live, e.dirty = Token{}, false, true
	c.vmu.Unlock()
	if err := c.lock(ctx); err != nil {
		return recorded(err)
	}
	defer c.unlock()
	return c.sendLocked(ctx, profile)
}

// SignOutRequests delivers one value per message on <prefix>/cmd/signout;
// requests that arrive while one is pending are merged. Retained messages on
// that topic are ignored, so a stray retained command cannot sign the board
// out on every reconnect.
func (c *Client) SignOutRequests() <-chan struct{} { return c.signoutCh }

// Close publishes "offline" (retained), disconnects cleanly and stops
// reconnecting. Retained tokens stay: they remain valid until their expiry,
// which consumers check. Close returns the error of the offline publish, if
// any; the Client is closed either way.
func (c *Client) Close(ctx context.Context) error {
	// Closed at once, whether or not sem comes in time: no new value is
	// taken, no timer fires a publish.
	c.vmu.Lock()
	if c.closed {
		c.vmu.Unlock()
		return nil
	}
	c.closed = true
	for _, e := range c.tokens {
		stopTimer(e)
	}
	c.vmu.Unlock()
	lockErr := c.lock(ctx)
	var err error
	if lockErr == nil {
		if pc := c.conn; pc != nil {
			c.flushLocked(ctx) // a clear recorded just before, say
			err = c.publish(ctx, pc, c.status, []byte("offline"))
			pc.Disconnect(250)
			c.conn, c.connLost = nil, nil
		}
		<-c.sem
	}
	c.cancel()
	select {
	case <-c.done:
	case <-ctx.Done():
		return fmt.Errorf("mqtt: close: %w", ctx.Err())
	}
	c.setConnected(false)
	if lockErr != nil {
		return lockErr
	}
	return err
}
