package entratest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultClientID        = "11111111-2222-3333-4444-555555555555"
	TenantID               = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	TenantDomain           = "contoso.onmicrosoft.com"
	DefaultVerificationURI = "https://microsoft.com/devicelogin"
	DefaultExpiresIn       = 900 * time.Second
	DefaultInterval        = 5 * time.Second
	DefaultTokenLifetime   = time.Hour
)

// DefaultUser is who approves when Approve is called.
var DefaultUser = User{
	Username: "ada@contoso.onmicrosoft.com",
	Name:     "Ada Lovelace",
	ObjectID: "00000000-0000-0000-66f3-3332eca7ea81",
	TenantID: TenantID,
}

// User is a signed-in person as the id token and client_info describe them.
type User struct {
	Username string // preferred_username
	Name     string
	ObjectID string // oid, and uid of client_info
	TenantID string // tid, and utid of client_info
}

// Endpoint names the three endpoints, for Enqueue and Record.
type Endpoint string

// The endpoints.
const (
	EndpointDeviceCode Endpoint = "devicecode"
	EndpointToken      Endpoint = "token"
	EndpointDiscovery  Endpoint = "discovery"
)

// Options configures a Server; zero values take the documented defaults.
type Options struct {
	// Clock stamps codes, tokens and records. Default: the real clock.
	Clock Clock
	// TLS makes Start serve https (a self-signed certificate that
	// Server.Client trusts). HTTP2 also offers h2 over TLS.
	TLS, HTTP2 bool
	// ClientID is the registered public client. Other ids get AADSTS700016.
	// Default DefaultClientID.
	ClientID string
	// PublicClientDisabled answers token requests with AADSTS7000218, as a
	// registration without "Allow public client flows" does.
	PublicClientDisabled bool
	// V1 answers like the legacy v1 endpoint: verification_url and
	// numbers as strings.
	V1 bool
	// VerificationURI is returned as verification_uri. Default
	// DefaultVerificationURI.
	VerificationURI string
	// VerificationURIComplete adds verification_uri_complete (Entra never
	// sends it; other providers do).
	VerificationURIComplete bool
	// ExpiresIn and Interval of each device code. Defaults 900 s and 5 s.
	// OmitInterval leaves interval out of the reply.
	ExpiresIn, Interval time.Duration
	OmitInterval        bool
	// TokenLifetime of access tokens. Default 1 h. RefreshIn, when set, is
	// sent as refresh_in.
	TokenLifetime, RefreshIn time.Duration
	// RevokeRotated makes a used refresh token invalid (invalid_grant
	// AADSTS70000), so a client that keeps the old one fails. Stricter
	// than Entra, which leaves a used refresh token valid until it
	// expires; providers with strict rotation behave so.
	RevokeRotated bool
	// ApproveAfterPolls approves a code as DefaultUser at its n-th poll
	// (0: never on its own).
	ApproveAfterPolls int
	// EnforceInterval answers slow_down to a poll that comes sooner than
	// the interval after the previous one (or the code's issue).
	EnforceInterval bool
	// Script, when set, is asked first for every request; a nil reply
	// means the default behaviour.
	Script func(Request) *Reply
	// OnRequest is called for every request after it is recorded, before
	// it is answered, outside the server's lock (it may call Approve).
	OnRequest func(Record)
}

// Request is what Script sees.
type Request struct {
	Endpoint      Endpoint
	GrantType     string // normalised as in Record.GrantType
	GrantTypeSent string // grant_type as sent, as in Record.GrantTypeSent
	Form          url.Values
	Polls         int // for a device code poll: how many polls of this code so far, this one included
}

// Record is one request as the server saw it.
type Record struct {
	Time          time.Time // from Options.Clock
	Endpoint      Endpoint
	Tenant        string
	GrantType     string // for the token endpoint; both device code spellings read GrantDeviceCode
	GrantTypeSent string // grant_type as sent: a poll's is GrantDeviceCode (RFC 8628) or GrantDeviceCodeShort (MSAL)
	ClientID      string
	Scope         string
	HasSecret     bool   // client_secret or client_assertion was sent
	HasClientInfo bool   // client_info=1 was sent
	Status        int    // HTTP status answered, 0 when the connection was dropped
	Error         string // the OAuth error answered, "" for a success
}

// Reply is a scripted answer.
type Reply struct {
	Status      int         // default 400 with Error, else 200
	Header      http.Header // extra headers (Retry-After)
	ContentType string      // default application/json; charset=utf-8
	Body        string      // raw body; when empty and Error is set, Entra's error JSON
	Error       string      // OAuth error string
	AADSTS      int         // code for the description and error_codes
	Description string      // text after "AADSTSnnnnn: "
	Hang        bool        // never answer: block until the client gives up
	Close       bool        // drop the connection without an answer
}

// Scripted replies.
var (
	Pending      = Reply{Error: "authorization_pending", AADSTS: 70016, Description: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
	SlowDown     = Reply{Error: "slow_down", Description: "OAuth 2.0 device flow error. Polling too fast."}
	Declined     = Reply{Error: "authorization_declined", AADSTS: 70000, Description: "The user declined the authorization request."}
	BadCode      = Reply{Error: "bad_verification_code", AADSTS: 70018, Description: "Invalid verification code entered."}
	ExpiredToken = Reply{Error: "expired_token", AADSTS: 70019, Description: "Verification code expired."}
	Hang         = Reply{Hang: true}
	CloseConn    = Reply{Close: true}
)

// ServerError is an HTTP 5xx with Entra's error JSON (temporarily_unavailable).
func ServerError(status int) Reply {
	return Reply{Status: status, Error: "temporarily_unavailable", AADSTS: 50196, Description: "The server is temporarily unavailable."}
}

// TooManyRequests is a 429 with Retry-After in seconds.
func TooManyRequests(retryAfter time.Duration) Reply {
	return Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(int(retryAfter / time.Second))}},
		Error: "temporarily_unavailable", AADSTS: 50196, Description: "The server encountered a client request loop."}
}

// PortalPath is where CaptiveRedirect sends the client: the server answers
// a GET there with the captive portal's login page (HTTP 200, text/html),
// as a hotel network does for any URL until the guest logs in.
const PortalPath = "/captive-portal/login"

// portalPage is the captive portal's login page. Its session token
// stands for whatever a portal might put in a page: a client must never
// quote the page in an error.
const portalPage = `<!DOCTYPE html><html><head><title>Hotel WiFi</title></head><body>` +
	`<form method="post" action="/captive-portal/login"><input type="hidden" name="session" value="portal-session-SECRET-4f2a">` +
	`<p>Accept the terms to connect.</p><button>Connect</button></form></body></html>`

// Replies of something between the client and the provider.
var (
	// CaptivePortal answers 200 with the portal's HTML login page instead
	// of the provider's reply.
	CaptivePortal = Reply{Status: http.StatusOK, ContentType: "text/html; charset=utf-8", Body: portalPage}
	// CaptiveRedirect answers 302 to PortalPath (a client that follows
	// redirects then gets the login page with 200).
	CaptiveRedirect = Reply{Status: http.StatusFound, ContentType: "text/html; charset=utf-8",
		Header: http.Header{"Location": {PortalPath}}, Body: `<html><body>Moved: <a href="/captive-portal/login">log in</a></body></html>`}
)

// ProxyPage is an HTML error page of a proxy or load balancer (502 Bad
// Gateway, 504 Gateway Timeout) without any OAuth error.
func ProxyPage(status int) Reply {
	return Reply{Status: status, ContentType: "text/html", Body: "<html><head><title>" + strconv.Itoa(status) + " " + http.StatusText(status) +
		"</title></head><body><center><h1>" + strconv.Itoa(status) + " " + http.StatusText(status) + "</h1></center><hr><center>nginx</center></body></html>"}
}

// Malformed is a reply with a broken body.
func Malformed(status int, body string) Reply {
	return Reply{Status: status, Body: body}
}

// Repeat returns n copies of r, for Enqueue.
func Repeat(r Reply, n int) []Reply {
	out := make([]Reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

type codeState int

const (
	statePending codeState = iota
	stateApproved
	stateDeclined
	stateExpired
	stateRedeemed
)

type deviceCode struct {
	device, user string
	clientID     string
	scope        string
	issued       time.Time
	expires      time.Time
	state        codeState
	who          User
	polls        int
	lastPoll     time.Time
	interval     time.Duration
}

type grant struct {
	who      User
	clientID string
	dead     int // AADSTS code when revoked, 0 while alive
}

// Server is the fake Entra ID. It is an http.Handler; Start makes it listen.
type Server struct {
	opts  Options
	clock Clock
	ts    *httptest.Server

	mu      sync.Mutex
	codes   map[string]*deviceCode // by device code
	byUser  map[string]*deviceCode // by normalised user code
	refresh map[string]*grant
	queues  map[Endpoint][]Reply
	records [][]Record // chunks of recordChunk: appending never copies old records
	issued  int        // access tokens issued
	bufs    sync.Pool
}

var _ http.Handler = (*Server)(nil)

// New returns a server that is not listening: mount it (it is an
// http.Handler) or call Start.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.VerificationURI == "" {
		opts.VerificationURI = DefaultVerificationURI
	}
	if opts.ExpiresIn <= 0 {
		opts.ExpiresIn = DefaultExpiresIn
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	return &Server{
		opts:    opts,
		clock:   opts.Clock,
		codes:   map[string]*deviceCode{},
		byUser:  map[string]*deviceCode{},
		refresh: map[string]*grant{},
		queues:  map[Endpoint][]Reply{},
		bufs:    sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }},
	}
}

// Start returns a server listening on 127.0.0.1 (https when opts.TLS).
func Start(opts Options) *Server {
	s := New(opts)
	s.ts = httptest.NewUnstartedServer(s)
	// Clients that give up mid-handshake (timeout tests) are not news.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if opts.TLS {
		s.ts.EnableHTTP2 = opts.HTTP2
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s
}

// URL is the base URL of a started server ("https://127.0.0.1:port"), the
// Host of a devicecode.Authority.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Client returns an HTTP client that trusts the server's certificate and
// keeps connections alive.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return http.DefaultClient
	}
	return s.ts.Client()
}

// Close stops a started server, unblocking hung requests.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
}

// Enqueue scripts the next replies of one endpoint; each request takes one
// from the front, and the default behaviour resumes when the queue is empty.
func (s *Server) Enqueue(ep Endpoint, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[ep] = append(s.queues[ep], replies...)
}

const recordChunk = 256

// Requests returns a copy of every request recorded so far.
func (s *Server) Requests() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, c := range s.records {
		out = append(out, c...)
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
}

// UserCodes lists the user codes still waiting for the user, oldest first.
func (s *Server) UserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var out []*deviceCode
	for _, c := range s.byUser {
		if c.state == statePending && now.Before(c.expires) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *deviceCode) int { return a.issued.Compare(b.issued) })
	codes := make([]string, len(out))
	for i, c := range out {
		codes[i] = c.user
	}
	return codes
}

// DeviceCode returns the secret device code behind a user code ("" if
// unknown), for tests that check it never leaks.
func (s *Server) DeviceCode(userCode string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byUser[normUserCode(userCode)]; c != nil {
		return c.device
	}
	return ""
}

// Polls returns how many times the code behind userCode was polled.
func (s *Server) Polls(userCode string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byUser[normUserCode(userCode)]; c != nil {
		return c.polls
	}
	return 0
}

// ErrUnknownCode is returned by the user hooks for a code that was never
// issued, has expired or was already used.
var ErrUnknownCode = fmt.Errorf("entratest: unknown or used user code")

// Approve signs in as DefaultUser for the user code (case and hyphen do not
// matter, as on the real page).
func (s *Server) Approve(userCode string) error { return s.ApproveAs(userCode, DefaultUser) }

// ApproveAs signs in as u.
func (s *Server) ApproveAs(userCode string, u User) error {
	return s.settle(userCode, stateApproved, u)
}

// Decline refuses the sign-in, as the user's "Cancel" does.
func (s *Server) Decline(userCode string) error { return s.settle(userCode, stateDeclined, User{}) }

// Expire lets the code die now.
func (s *Server) Expire(userCode string) error { return s.settle(userCode, stateExpired, User{}) }

func (s *Server) settle(userCode string, st codeState, u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byUser[normUserCode(userCode)]
	if c == nil || c.state != statePending || (st != stateExpired && !s.clock.Now().Before(c.expires)) {
		return ErrUnknownCode
	}
	c.state, c.who = st, u
	return nil
}

// RevokeRefreshTokens kills every refresh token: the next refresh gets
// invalid_grant with the AADSTS code (700082 when 0: inactive too long).
func (s *Server) RevokeRefreshTokens(aadsts int) {
	if aadsts == 0 {
		aadsts = 700082
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.refresh {
		g.dead = aadsts
	}
}

// Issued returns how many access tokens the server has issued.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

func normUserCode(c string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c), "-", ""))
}

// ServeHTTP answers as Entra ID.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var ep Endpoint
	switch rest {
	case "oauth2/v2.0/devicecode":
		ep = EndpointDeviceCode
	case "oauth2/v2.0/token":
		ep = EndpointToken
	case "v2.0/.well-known/openid-configuration":
		ep = EndpointDiscovery
	default:
		if r.URL.Path == PortalPath {
			h := w.Header()
			h["Content-Type"] = []string{CaptivePortal.ContentType}
			io.WriteString(w, portalPage)
			return
		}
		http.NotFound(w, r)
		return
	}
	if ep == EndpointDiscovery {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.record(Record{Endpoint: ep, Tenant: tenant, Status: 200})
		s.discovery(w, r, tenant)
		return
	}
	if r.Method != http.MethodPost {
		s.writeError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	body, err := readAll(r.Body, (*bp)[:0])
	*bp = body[:0]
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body could not be read.")
		return
	}
	f := parseForm(body)
	clientID := s.opts.ClientID // no allocation for the registered client
	if string(f.clientID) != clientID {
		clientID = string(f.clientID)
	}
	rec := Record{Endpoint: ep, Tenant: tenant, GrantType: f.grantType, GrantTypeSent: f.grantTypeSent, ClientID: clientID, HasSecret: f.secret, HasClientInfo: f.clientInfo}
	if ep == EndpointDeviceCode || f.grantType != grantDeviceCode {
		rec.Scope = string(f.scope)
	}

	// Tenant checks come first, as on the real service. /organizations
	// takes device code sign-in (any work or school account; the Azure
	// CLI signs in there); /common does not.
	switch strings.ToLower(tenant) {
	case "common":
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 50059, Description: "No tenant-identifying information found in either the request or implied by any provided credentials."})
		return
	case "consumers":
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 90133, Description: "Device Code flow is not supported under /common or /consumers endpoint."})
		return
	case strings.ToLower(TenantID), TenantDomain, "organizations":
	default:
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 90002, Description: "Tenant '" + sanitize(tenant) + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."})
		return
	}

	polls := 0
	if ep == EndpointToken && f.grantType == grantDeviceCode {
		s.mu.Lock()
		if c := s.codes[string(f.deviceCode)]; c != nil {
			c.polls++
			polls = c.polls
		}
		s.mu.Unlock()
	}
	// Scripted replies.
	if s.opts.Script != nil {
		req := Request{Endpoint: ep, GrantType: f.grantType, GrantTypeSent: f.grantTypeSent, Polls: polls}
		req.Form, _ = url.ParseQuery(string(body))
		if rp := s.opts.Script(req); rp != nil {
			s.answer(w, rec, r, *rp)
			return
		}
	}
	s.mu.Lock()
	q := s.queues[ep]
	if len(q) > 0 {
		rp := q[0]
		s.queues[ep] = q[1:]
		s.mu.Unlock()
		s.answer(w, rec, r, rp)
		return
	}
	s.mu.Unlock()

	if clientID == "" {
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 900144, Description: "The request body must contain the following parameter: 'client_id'."})
		return
	}
	if clientID != s.opts.ClientID {
		s.answer(w, rec, nil, Reply{Error: "unauthorized_client", AADSTS: 700016, Description: "Application with identifier '" + sanitize(clientID) + "' was not found in the directory 'Contoso'."})
		return
	}
	if f.secret {
		s.answer(w, rec, nil, Reply{Status: 401, Error: "invalid_client", AADSTS: 700025, Description: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."})
		return
	}
	switch {
	case ep == EndpointDeviceCode:
		if rp := checkScope(f.scope); rp != nil {
			s.answer(w, rec, nil, *rp)
			return
		}
		s.deviceAuthorization(w, rec, f)
	case f.grantType == grantDeviceCode:
		s.poll(w, rec, f)
	case f.grantType == "refresh_token":
		s.refreshGrant(w, rec, f)
	case f.grantType == "":
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 900144, Description: "The request body must contain the following parameter: 'grant_type'."})
	default:
		s.answer(w, rec, nil, Reply{Error: "unsupported_grant_type", AADSTS: 70003, Description: "The app requested an unsupported grant type."})
	}
}

// Device code grant types. Entra ID accepts the RFC 8628 URN and the short
// form that MSAL sends; Record.GrantType reads GrantDeviceCode for both.
const (
	GrantDeviceCode      = "urn:ietf:params:oauth:grant-type:device_code"
	GrantDeviceCodeShort = "device_code"
)

const grantDeviceCode = GrantDeviceCode

func sanitize(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func (s *Server) record(rec Record) {
	rec.Time = s.clock.Now()
	s.mu.Lock()
	if n := len(s.records); n == 0 || len(s.records[n-1]) == recordChunk {
		s.records = append(s.records, make([]Record, 0, recordChunk))
	}
	last := &s.records[len(s.records)-1]
	*last = append(*last, rec)
	s.mu.Unlock()
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(rec)
	}
}

// answer writes a scripted or error reply. r is needed for Hang.
func (s *Server) answer(w http.ResponseWriter, rec Record, r *http.Request, rp Reply) {
	status := rp.Status
	if status == 0 {
		status = http.StatusOK
		if rp.Error != "" {
			status = http.StatusBadRequest
		}
	}
	rec.Status = status
	rec.Error = rp.Error
	if rp.Close {
		rec.Status = 0
	}
	s.record(rec)
	if rp.Hang {
		if r != nil {
			<-r.Context().Done()
		}
		panic(http.ErrAbortHandler)
	}
	if rp.Close {
		panic(http.ErrAbortHandler) // closes the connection, no answer
	}
	for k, v := range rp.Header {
		w.Header()[k] = v
	}
	h := w.Header()
	h["Content-Type"] = jsonType
	if rp.ContentType != "" {
		h["Content-Type"] = []string{rp.ContentType}
	}
	h["Cache-Control"] = noStore
	if rp.Body != "" || rp.Error == "" {
		w.WriteHeader(status)
		io.WriteString(w, rp.Body)
		return
	}
	s.writeError(w, status, rp.Error, rp.AADSTS, rp.Description)
}

var (
	noStore  = []string{"no-store, no-cache"}
	jsonType = []string{"application/json; charset=utf-8"}
)

// writeError writes Entra's error JSON without reflection: the pending
// poll is the hot path of the benchmarks, and the server shares their heap.
func (s *Server) writeError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	var trace, corr [36]byte
	newUUID(&trace)
	newUUID(&corr)
	now := s.clock.Now().UTC()
	var ts [20]byte
	stamp := now.AppendFormat(ts[:0], "2006-01-02 15:04:05Z")
	b := (*bp)[:0]
	b = append(b, `{"error":`...)
	b = strconv.AppendQuote(b, code)
	b = append(b, `,"error_description":"`...)
	if aadsts != 0 {
		b = append(b, "AADSTS"...)
		b = strconv.AppendInt(b, int64(aadsts), 10)
		b = append(b, ": "...)
	}
	b = appendJSONText(b, desc)
	b = append(b, `\r\nTrace ID: `...)
	b = append(b, trace[:]...)
	b = append(b, `\r\nCorrelation ID: `...)
	b = append(b, corr[:]...)
	b = append(b, `\r\nTimestamp: `...)
	b = append(b, stamp...)
	b = append(b, `","error_codes":[`...)
	if aadsts != 0 {
		b = strconv.AppendInt(b, int64(aadsts), 10)
	}
	b = append(b, `],"timestamp":"`...)
	b = append(b, stamp...)
	b = append(b, `","trace_id":"`...)
	b = append(b, trace[:]...)
	b = append(b, `","correlation_id":"`...)
	b = append(b, corr[:]...)
	b = append(b, `","error_uri":"https://login.microsoftonline.com/error`...)
	if aadsts != 0 {
		b = append(b, "?code="...)
		b = strconv.AppendInt(b, int64(aadsts), 10)
	}
	b = append(b, `"}`...)
	*bp = b[:0]
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	w.Write(b)
}

// appendJSONText appends s escaped for the inside of a JSON string.
func appendJSONText(b []byte, s string) []byte {
	n := len(b)
	b = strconv.AppendQuote(b, s)
	copy(b[n:], b[n+1:len(b)-1])
	return b[:len(b)-2]
}

func newUUID(out *[36]byte) {
	var r [16]byte
	a, c := mrand.Uint64(), mrand.Uint64()
	for i := range 8 {
		r[i] = byte(a >> (8 * i))
		r[8+i] = byte(c >> (8 * i))
	}
	hex.Encode(out[0:8], r[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], r[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], r[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], r[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], r[10:16])
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, tenant string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host + "/" + url.PathEscape(tenant)
	doc := map[string]any{
		"issuer":                                "https://login.microsoftonline.com/" + TenantID + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"jwks_uri":                              scheme + "://" + r.Host + "/" + url.PathEscape(tenant) + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   "microsoftonline.com",
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(doc)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

const userCodeLetters = "BCDFGHJKLMNPQRSTVWXZ" // base 20, RFC 8628 §6.1

func newUserCode() string {
	var b [9]byte
	var r [8]byte
	rand.Read(r[:])
	for i, j := 0, 0; i < 9; i++ {
		if i == 4 {
			b[i] = '-'
			continue
		}
		b[i] = userCodeLetters[int(r[j])%len(userCodeLetters)]
		j++
	}
	return string(b[:])
}

func (s *Server) deviceAuthorization(w http.ResponseWriter, rec Record, f form) {
	now := s.clock.Now()
	c := &deviceCode{
		device:   "DAQABIQEAAAD" + randomString(96),
		clientID: rec.ClientID,
		scope:    string(f.scope),
		issued:   now,
		expires:  now.Add(s.opts.ExpiresIn),
		interval: s.opts.Interval,
	}
	s.mu.Lock()
	for {
		c.user = newUserCode()
		if s.byUser[normUserCode(c.user)] == nil {
			break
		}
	}
	s.codes[c.device] = c
	s.byUser[normUserCode(c.user)] = c
	s.mu.Unlock()

	num := func(d time.Duration) any {
		if s.opts.V1 {
			return strconv.Itoa(int(d / time.Second))
		}
		return int(d / time.Second)
	}
	reply := map[string]any{
		"user_code":   c.user,
		"device_code": c.device,
		"expires_in":  num(s.opts.ExpiresIn),
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			s.opts.VerificationURI, c.user),
	}
	if !s.opts.OmitInterval {
		reply["interval"] = num(s.opts.Interval)
	}
	if s.opts.V1 {
		reply["verification_url"] = s.opts.VerificationURI
	} else {
		reply["verification_uri"] = s.opts.VerificationURI
	}
	if s.opts.VerificationURIComplete {
		reply["verification_uri_complete"] = s.opts.VerificationURI + "?code=" + url.QueryEscape(c.user)
	}
	rec.Status = 200
	s.record(rec)
	writeJSON(w, reply)
}

func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Cache-Control"] = noStore
	json.NewEncoder(w).Encode(v)
}

func (s *Server) poll(w http.ResponseWriter, rec Record, f form) {
	now := s.clock.Now()
	s.mu.Lock()
	c := s.codes[string(f.deviceCode)]
	if c == nil {
		s.mu.Unlock()
		s.answer(w, rec, nil, BadCode)
		return
	}
	if c.clientID != rec.ClientID {
		s.mu.Unlock()
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: 70000, Description: "The provided value for the input parameter 'device_code' is not valid for this client."})
		return
	}
	if c.state == statePending && s.opts.ApproveAfterPolls > 0 && c.polls >= s.opts.ApproveAfterPolls {
		c.state, c.who = stateApproved, DefaultUser
	}
	if c.state == statePending && !now.Before(c.expires) {
		c.state = stateExpired
	}
	tooFast := s.opts.EnforceInterval && now.Sub(c.lastPollOrIssue()) < c.interval
	c.lastPoll = now
	state, who, scope := c.state, c.who, c.scope
	if state == stateApproved {
		c.state = stateRedeemed
	}
	if tooFast && state == statePending {
		c.interval += 5 * time.Second
	}
	s.mu.Unlock()
	switch {
	case state == stateExpired:
		rp := ExpiredToken
		if s.opts.V1 {
			rp.Error = "code_expired"
		}
		s.answer(w, rec, nil, rp)
	case state == stateDeclined:
		s.answer(w, rec, nil, Declined)
	case state == stateRedeemed:
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: 54005, Description: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."})
	case tooFast && state == statePending:
		s.answer(w, rec, nil, SlowDown)
	case state == statePending:
		s.answer(w, rec, nil, Pending)
	case s.opts.PublicClientDisabled:
		s.answer(w, rec, nil, Reply{Status: 401, Error: "invalid_client", AADSTS: 7000218, Description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."})
	default:
		s.issue(w, rec, who, rec.ClientID, scope, f.clientInfo)
	}
}

func (c *deviceCode) lastPollOrIssue() time.Time {
	if c.lastPoll.IsZero() {
		return c.issued
	}
	return c.lastPoll
}

// graphScopes are the Microsoft Graph delegated permissions the server
// knows (lower case: Entra compares scopes without case). A bare scope or
// a graph.microsoft.com one outside this list "does not exist", as a typo
// does on the real service.
var graphScopes = map[string]bool{
	".default": true, "user.read": true, "user.readbasic.all": true, "user.read.all": true,
	"user.readwrite": true, "mail.read": true, "mail.readwrite": true, "mail.send": true,
	"calendars.read": true, "calendars.readwrite": true, "contacts.read": true,
	"files.read": true, "files.read.all": true, "files.readwrite": true, "files.readwrite.all": true,
	"sites.read.all": true, "sites.readwrite.all": true, "group.read.all": true,
	"directory.read.all": true, "presence.read": true, "tasks.readwrite": true,
	"notes.read": true, "chat.read": true, "channelmessage.send": true,
}

// checkScope answers a device authorization request's scope as Entra does:
// AADSTS900144 when it is missing, else as unknownScope.
func checkScope(scope []byte) *Reply {
	if len(strings.Fields(string(scope))) == 0 {
		return &Reply{Error: "invalid_request", AADSTS: 900144, Description: "The request body must contain the following parameter: 'scope'."}
	}
	return unknownScope(scope)
}

// unknownScope answers AADSTS70011 (invalid_scope) when a Microsoft Graph
// scope does not exist, as Entra does at both endpoints. Other resources'
// scopes pass: the server does not know their APIs.
func unknownScope(scope []byte) *Reply {
	for _, sc := range strings.Fields(string(scope)) {
		if resourceOf(sc) != "https://graph.microsoft.com" {
			continue
		}
		name := sc[strings.LastIndex(sc, "/")+1:]
		if !graphScopes[strings.ToLower(name)] {
			return &Reply{Error: "invalid_scope", AADSTS: 70011, Description: "The provided value for the input parameter 'scope' is not valid. The scope '" + sanitize(sc) + "' does not exist."}
		}
	}
	return nil
}

// resourceOf returns the resource a scope belongs to; bare scopes
// (User.Read) are Microsoft Graph's, the OpenID ones belong to none.
func resourceOf(scope string) string {
	switch scope {
	case "openid", "profile", "offline_access", "email":
		return ""
	}
	if i := strings.LastIndex(scope, "/"); i > 0 && strings.Contains(scope, "://") {
		return scope[:i]
	}
	if strings.HasPrefix(scope, "api://") {
		return scope
	}
	return "https://graph.microsoft.com"
}

func (s *Server) refreshGrant(w http.ResponseWriter, rec Record, f form) {
	s.mu.Lock()
	g := s.refresh[string(f.refreshToken)]
	var dead int
	var who User
	if g != nil {
		dead, who = g.dead, g.who
		if dead == 0 && s.opts.RevokeRotated {
			g.dead = 70000
		}
	}
	s.mu.Unlock()
	switch {
	case len(f.refreshToken) == 0:
		s.answer(w, rec, nil, Reply{Error: "invalid_request", AADSTS: 900144, Description: "The request body must contain the following parameter: 'refresh_token'."})
	case g == nil:
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: 9002313, Description: "Invalid request. Request is malformed or invalid."})
	case dead == 70000:
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: 70000, Description: "The provided value for the 'refresh_token' is not valid. The refresh token was already used."})
	case dead != 0:
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: dead, Description: "The refresh token has expired or was revoked; the user must sign in again."})
	case g.clientID != rec.ClientID:
		s.answer(w, rec, nil, Reply{Error: "invalid_grant", AADSTS: 700005, Description: "Provided Authorization Code is intended to use against other tenant or client."})
	case s.opts.PublicClientDisabled:
		s.answer(w, rec, nil, Reply{Status: 401, Error: "invalid_client", AADSTS: 7000218, Description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."})
	default:
		if rp := unknownScope(f.scope); rp != nil {
			s.answer(w, rec, nil, *rp)
			return
		}
		s.issue(w, rec, who, rec.ClientID, string(f.scope), f.clientInfo)
	}
}

// issue answers a successful grant.
func (s *Server) issue(w http.ResponseWriter, rec Record, who User, clientID, scope string, clientInfo bool) {
	resources := map[string]bool{}
	var granted []string
	for _, sc := range strings.Fields(scope) {
		if r := resourceOf(sc); r != "" {
			resources[r] = true
		}
		if sc != "offline_access" {
			granted = append(granted, sc)
		}
	}
	if len(resources) > 1 {
		s.answer(w, rec, nil, Reply{Error: "invalid_scope", AADSTS: 28000, Description: "Provided value for the input parameter scope is not valid because it contains more than one resource."})
		return
	}
	if len(resources) == 0 {
		granted = append(granted, "https://graph.microsoft.com/User.Read")
	}
	// As Entra: a refresh token only for offline_access, an ID token only
	// for openid (the device code flow's success reply).
	var offline, openid bool
	for _, sc := range strings.Fields(scope) {
		offline = offline || sc == "offline_access"
		openid = openid || sc == "openid"
	}
	now := s.clock.Now()
	var rt string
	s.mu.Lock()
	if offline {
		rt = "1.AQ" + randomString(64)
		s.refresh[rt] = &grant{who: who, clientID: clientID}
	}
	s.issued++
	s.mu.Unlock()
	num := func(d time.Duration) any {
		if s.opts.V1 {
			return strconv.Itoa(int(d / time.Second))
		}
		return int(d / time.Second)
	}
	claims := map[string]any{
		"aud":                clientID,
		"iss":                "https://login.microsoftonline.com/" + who.TenantID + "/v2.0",
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"name":               who.Name,
		"oid":                who.ObjectID,
		"preferred_username": who.Username,
		"sub":                randomString(24),
		"tid":                who.TenantID,
		"ver":                "2.0",
	}
	reply := map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(granted, " "),
		"expires_in":     num(s.opts.TokenLifetime),
		"ext_expires_in": num(s.opts.TokenLifetime),
		"access_token":   "eyJ0eXAiOiJKV1QiLCJub25jZSI6" + randomString(96),
	}
	if offline {
		reply["refresh_token"] = rt
	}
	if openid {
		reply["id_token"] = UnsignedJWT(claims)
	}
	if s.opts.RefreshIn > 0 {
		reply["refresh_in"] = num(s.opts.RefreshIn)
	}
	if clientInfo {
		ci, _ := json.Marshal(map[string]string{"uid": who.ObjectID, "utid": who.TenantID})
		reply["client_info"] = base64.RawURLEncoding.EncodeToString(ci)
	}
	rec.Status = 200
	s.record(rec)
	writeJSON(w, reply)
}

// UnsignedJWT returns a JWT-shaped token (alg none, empty signature) with
// the claims; Entra signs its id tokens, which the client does not check.
func UnsignedJWT(claims map[string]any) string {
	p, _ := json.Marshal(claims)
	return "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// form holds the request fields the server reads, parsed without
// url.Values on the hot path: values stay slices of the body until needed.
type form struct {
	grantType                                 string // normalised: GrantDeviceCode for both spellings
	grantTypeSent                             string // as sent
	clientID, deviceCode, refreshToken, scope []byte
	secret, clientInfo                        bool
}

func parseForm(body []byte) form {
	var f form
	for len(body) > 0 {
		var kv []byte
		if i := indexByte(body, '&'); i >= 0 {
			kv, body = body[:i], body[i+1:]
		} else {
			kv, body = body, nil
		}
		k, v := kv, []byte(nil)
		if i := indexByte(kv, '='); i >= 0 {
			k, v = kv[:i], kv[i+1:]
		}
		switch string(k) {
		case "grant_type":
			// Constant strings for the common spellings: the poll is the
			// hot path of the benchmarks.
			switch string(v) {
			case "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", GrantDeviceCode:
				f.grantType, f.grantTypeSent = GrantDeviceCode, GrantDeviceCode
			case GrantDeviceCodeShort:
				f.grantType, f.grantTypeSent = GrantDeviceCode, GrantDeviceCodeShort
			case "refresh_token":
				f.grantType, f.grantTypeSent = "refresh_token", "refresh_token"
			default:
				f.grantType = unescape(v)
				if f.grantType == GrantDeviceCode || f.grantType == GrantDeviceCodeShort {
					f.grantTypeSent, f.grantType = f.grantType, GrantDeviceCode
				} else {
					f.grantTypeSent = f.grantType
				}
			}
		case "client_id":
			f.clientID = unescapeBytes(v)
		case "device_code":
			f.deviceCode = unescapeBytes(v)
		case "refresh_token":
			f.refreshToken = unescapeBytes(v)
		case "scope":
			f.scope = unescapeBytes(v)
		case "client_secret", "client_assertion":
			f.secret = true
		case "client_info":
			f.clientInfo = string(v) == "1"
		}
	}
	return f
}

// unescapeBytes decodes in place when needed (the body is ours).
func unescapeBytes(v []byte) []byte {
	if indexByte(v, '%') < 0 && indexByte(v, '+') < 0 {
		return v
	}
	return []byte(unescape(v))
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func unescape(v []byte) string {
	s, err := url.QueryUnescape(string(v))
	if err != nil {
		return string(v)
	}
	return s
}

func readAll(r io.Reader, buf []byte) ([]byte, error) {
	const limit = 1 << 20
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, fmt.Errorf("entratest: body too large")
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// RootCAs returns a pool holding the certificate of a started TLS server,
// for a client that pins its roots.
func (s *Server) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	if s.ts != nil && s.ts.Certificate() != nil {
		p.AddCert(s.ts.Certificate())
	}
	return p
}
