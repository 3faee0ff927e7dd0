package devicecode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxBodySize caps every reply body read (device authorization, token,
// error, discovery): a misbehaving server cannot exhaust a small board.
const MaxBodySize = 1 << 20

var errTooLarge = fmt.Errorf("reply body larger than %d bytes", MaxBodySize)

// errRequestTimeout is the cause of a round trip that ran out of time.
var errRequestTimeout = errors.New("no reply within the request timeout")

// reqCtx gives each poll its own timeout without a new context and timer
// per request: one cancellable context and one timer serve every poll until
// a timeout fires (rare), then both are replaced.
type reqCtx struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	req    *http.Request // the last request made with ctx, for reuse
}

// reqCtxKey finds the reqCtx from its context.
type reqCtxKey struct{}

// start arms the timeout and returns the context for one request.
func (r *reqCtx) start(d time.Duration) context.Context {
	if r.ctx == nil || r.ctx.Err() != nil {
		r.close()
		ctx, cancel := context.WithCancelCause(context.WithValue(r.parent, reqCtxKey{}, r))
		r.ctx, r.cancel, r.req = ctx, cancel, nil
		r.timer = time.AfterFunc(d, func() { cancel(errRequestTimeout) })
		return r.ctx
	}
	r.timer.Reset(d)
	return r.ctx
}

// stop disarms the timeout after a request.
func (r *reqCtx) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// close releases the context.
func (r *reqCtx) close() {
	r.stop()
	if r.cancel != nil {
		r.cancel(context.Canceled)
	}
}

// bufPool holds reply buffers; a poll reply fits in the initial size.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// reply is one HTTP answer with its body in a pooled buffer.
type reply struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
	buf         *[]byte
}

func (r *reply) release() {
	if r.buf != nil {
		// r.body may have outgrown the pooled buffer: keep it only if it
		// is still small, so one huge reply does not stay in the pool.
		if cap(r.body) <= 64<<10 {
			*r.buf = r.body[:0]
			bufPool.Put(r.buf)
		}
		r.buf, r.body = nil, nil
	}
}

// bodyReader is a resettable reader over an immutable request body.
type bodyReader struct {
	bytes.Reader
	body []byte
}

func (*bodyReader) Close() error { return nil }

// post sends body to u with the per-request timeout and reads the reply.
// A transport failure is a *TransportError, or ctx.Err() when ctx is done.
func (c *Client) post(ctx context.Context, op string, u *url.URL, body []byte) (reply, error) {
	rctx, cancel := context.WithTimeoutCause(ctx, c.cfg.RequestTimeout, errRequestTimeout)
	defer cancel()
	return c.postCtx(ctx, rctx, op, u, body)
}

// postCtx sends with rctx, which already carries the request timeout.
// ctx is the caller's: its cancellation is reported as ctx.Err().
func (c *Client) postCtx(ctx, rctx context.Context, op string, u *url.URL, body []byte) (reply, error) {
	br := &bodyReader{body: body}
	br.Reset(body)
	var req *http.Request
	if rc, ok := rctx.Value(reqCtxKey{}).(*reqCtx); ok && c.rt != nil && rc.req != nil && rc.req.URL == u {
		// Same context as the previous poll: reuse its request. Transport
		// copies a request with a body before using it (and must not
		// modify it), so changing Body for this round trip is safe.
		req = rc.req
	} else {
		tmpl := c.postTmpl.Load()
		if tmpl == nil || tmpl.URL != u {
			tmpl = c.newTemplate(u)
		}
		req = tmpl.WithContext(rctx) // one shallow copy; URL and Header are shared, read-only
		if ok {
			rc.req = req
		}
	}
	req.Body = br
	req.ContentLength = int64(len(body))
	req.GetBody = br.getBody
	if c.hc.Jar != nil {
		req.Header = req.Header.Clone() // the jar adds cookies to the header
	}
	return c.do(ctx, op, req)
}

// newTemplate makes (and keeps, for the token endpoint) the request every
// POST to u is copied from.
func (c *Client) newTemplate(u *url.URL) *http.Request {
	t := &http.Request{
		Method:     http.MethodPost,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     c.header,
		Host:       u.Host,
	}
	if ep := c.ep; ep != nil && ep.token == u {
		c.postTmpl.Store(t)
	}
	return t
}

func (b *bodyReader) getBody() (io.ReadCloser, error) {
	r := &bodyReader{body: b.body}
	r.Reset(b.body)
	return r, nil
}

// get fetches u (discovery).
func (c *Client) get(ctx context.Context, op string, u string) (reply, error) {
	rctx, cancel := context.WithTimeoutCause(ctx, c.cfg.RequestTimeout, errRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return reply{}, &ConfigError{"Authority", "bad discovery URL"}
	}
	req.Header.Set("Accept", "application/json")
	return c.do(ctx, op, req)
}

func (c *Client) do(ctx context.Context, op string, req *http.Request) (reply, error) {
	var resp *http.Response
	var err error
	if c.rt != nil {
		// Our own transport: skip http.Client's redirect and header-copy
		// machinery (the OAuth endpoints answer directly).
		resp, err = c.rt.RoundTrip(req)
	} else {
		resp, err = c.hc.Do(req)
	}
	if err != nil {
		if ctx.Err() != nil {
			return reply{}, ctx.Err()
		}
		if cause := context.Cause(req.Context()); cause != nil {
			err = cause
		}
		return reply{}, &TransportError{Op: op, Err: stripURL(err)}
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), retryAfter: resp.Header.Get("Retry-After")}
	r.buf = bufPool.Get().(*[]byte)
	r.body, err = readCapped(resp.Body, (*r.buf)[:0])
	if err != nil {
		r.release()
		if ctx.Err() != nil {
			return reply{}, ctx.Err()
		}
		if cause := context.Cause(req.Context()); cause != nil {
			err = cause
		}
		return reply{}, &TransportError{Op: op, Err: err}
	}
	return r, nil
}

// stripURL keeps the operation and cause of a *url.Error: the URL is known
// to the caller and would only lengthen the line.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readCapped reads r into buf, failing beyond MaxBodySize.
func readCapped(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			if len(buf) > MaxBodySize {
				return buf, errTooLarge
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > MaxBodySize {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// appendForm appends k=v, query-escaped, to a form body.
func appendForm(b []byte, k, v string) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, k...)
	b = append(b, '=')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
	}
	return b
}

// isJSON reports whether the reply claims or looks like JSON.
func isJSON(contentType string, body []byte) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	switch {
	case strings.EqualFold(mt, "application/json"), len(mt) > 5 && strings.EqualFold(mt[len(mt)-5:], "+json"):
		return true
	case strings.EqualFold(mt, "application/x-www-form-urlencoded"):
		return false
	}
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// errorField returns the raw "error" value of a JSON reply without
// allocating: it is how a pending poll is recognised.
func errorField(body []byte) (code []byte, ok bool) {
	s := newObjScanner(body)
	for {
		k, v, more := s.next()
		if !more {
			return code, ok && s.err == nil
		}
		if string(k) == "error" && len(v) >= 2 && v[0] == '"' {
			code, ok = v[1:len(v)-1], true
		}
	}
}

// ParseErrorReply decodes an OAuth error reply, JSON (Entra) or
// form-encoded (some older providers). It returns nil when the body holds
// no "error" field. status is the HTTP status code the reply came with.
func ParseErrorReply(status int, contentType string, body []byte) *ServiceError {
	if len(body) > MaxBodySize {
		return nil
	}
	se := &ServiceError{StatusCode: status}
	if isJSON(contentType, body) {
		s := newObjScanner(body)
		for {
			k, v, ok := s.next()
			if !ok {
				break
			}
			switch string(k) {
			case "error":
				se.Code, _ = jsonString(v)
			case "error_description":
				se.Description, _ = jsonString(v)
			case "error_codes":
				se.ErrorCodes = jsonInts(v)
			case "trace_id":
				se.TraceID, _ = jsonString(v)
			case "correlation_id":
				se.CorrelationID, _ = jsonString(v)
			case "timestamp":
				se.Timestamp, _ = jsonString(v)
			case "error_uri":
				se.ErrorURI, _ = jsonString(v)
			}
		}
		if s.err != nil && se.Code == "" {
			return nil
		}
	} else {
		q, err := url.ParseQuery(string(body))
		if err != nil && len(q) == 0 {
			return nil
		}
		se.Code = q.Get("error")
		se.Description = q.Get("error_description")
		se.ErrorURI = q.Get("error_uri")
		se.TraceID = q.Get("trace_id")
		se.CorrelationID = q.Get("correlation_id")
		se.Timestamp = q.Get("timestamp")
		for _, f := range strings.FieldsFunc(q.Get("error_codes"), func(r rune) bool { return r == ',' || r == ' ' || r == '[' || r == ']' }) {
			if n, err := strconv.Atoi(f); err == nil {
				se.ErrorCodes = append(se.ErrorCodes, n)
			}
		}
	}
	se.Code = firstLine(se.Code)
	if se.Code == "" {
		return nil
	}
	return se
}

// tokenError turns a token endpoint reply that is not a token into an
// error: the OAuth error it holds, else an *UnexpectedReplyError (an HTML
// page, a redirect to a captive portal, garbage) for a 1xx-3xx status. A
// 4xx or 5xx without an OAuth error stays a *ServiceError with the status
// (5xx is transient). cause is the parse error of a 200 reply.
func tokenError(r *reply, cause error) error {
	if r.status == http.StatusOK {
		var se *ServiceError
		if errors.As(cause, &se) {
			se.RetryAfter = firstLine(r.retryAfter)
			return se
		}
		return unexpectedReply("token", r, cause)
	}
	se := serviceError(r)
	if se.Code == "" && r.status < 400 {
		return unexpectedReply("token", r, nil)
	}
	return se
}

// serviceError turns a non-success reply into an error. Bodies without an
// OAuth error (an HTML page from a proxy) still give the status code.
func serviceError(r *reply) *ServiceError {
	se := ParseErrorReply(r.status, r.contentType, r.body)
	if se == nil {
		se = &ServiceError{StatusCode: r.status}
	}
	se.RetryAfter = firstLine(r.retryAfter)
	return se
}

// DeviceAuthReply is the decoded device authorization reply (RFC 8628
// §3.2), with Entra's v1 spellings absorbed.
type DeviceAuthReply struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	ExpiresIn               time.Duration
	Interval                time.Duration // 5 s when absent (RFC 8628 §3.2)
	Message                 string
}

// ParseDeviceAuthReply decodes a 200 device authorization reply. A reply
// without user_code (Entra can send an error with HTTP 200) is an error,
// a *ServiceError when the body holds one.
func ParseDeviceAuthReply(body []byte) (DeviceAuthReply, error) {
	var d DeviceAuthReply
	var expires, interval int64 = -1, -1
	var verURL string
	s := newObjScanner(body)
	var ferr error
	for {
		k, v, ok := s.next()
		if !ok {
			break
		}
		var err error
		switch string(k) {
		case "device_code":
			d.DeviceCode, err = jsonString(v)
		case "user_code":
			d.UserCode, err = jsonString(v)
		case "verification_uri":
			d.VerificationURI, err = jsonString(v)
		case "verification_url": // Entra v1
			verURL, err = jsonString(v)
		case "verification_uri_complete":
			d.VerificationURIComplete, err = jsonString(v)
		case "message":
			d.Message, err = jsonString(v)
		case "expires_in":
			expires, err = jsonSeconds(v)
		case "interval":
			interval, err = jsonSeconds(v)
		}
		if err != nil && ferr == nil {
			ferr = fmt.Errorf("devicecode: device authorization reply: field %s is malformed", printable(k))
		}
	}
	if s.err != nil {
		return DeviceAuthReply{}, errors.New("devicecode: device authorization reply is not a JSON object")
	}
	if ferr != nil {
		return DeviceAuthReply{}, ferr
	}
	if d.UserCode == "" {
		if se := ParseErrorReply(http.StatusOK, "application/json", body); se != nil {
			return DeviceAuthReply{}, se
		}
		return DeviceAuthReply{}, errors.New("devicecode: device authorization reply has no user_code")
	}
	if d.DeviceCode == "" {
		return DeviceAuthReply{}, errors.New("devicecode: device authorization reply has no device_code")
	}
	if d.VerificationURI == "" {
		d.VerificationURI = verURL
	}
	if d.VerificationURI == "" {
		return DeviceAuthReply{}, errors.New("devicecode: device authorization reply has no verification_uri")
	}
	if expires <= 0 {
		return DeviceAuthReply{}, errors.New("devicecode: device authorization reply has no positive expires_in")
	}
	if expires > 86400 {
		expires = 86400 // a day is plenty; keeps durations sane
	}
	d.ExpiresIn = time.Duration(expires) * time.Second
	switch {
	case interval <= 0: // absent or 0: RFC 8628 §3.2 says 5
		d.Interval = 5 * time.Second
	case interval > 3600:
		d.Interval = time.Hour
	default:
		d.Interval = time.Duration(interval) * time.Second
	}
	return d, nil
}

// printable keeps a field name short and clean for an error string.
func printable(k []byte) string {
	if len(k) > 40 {
		k = k[:40]
	}
	return strconv.Quote(string(k))
}

// errTokenNotObject: the token reply does not even parse as a JSON object.
var errTokenNotObject = errors.New("devicecode: token reply is not a JSON object")

// TokenReply is the decoded token endpoint success reply.
type TokenReply struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	TokenType    string
	Scope        string
	ExpiresIn    time.Duration // 0 when absent
	RefreshIn    time.Duration // Entra's refresh_in, 0 when absent
	ClientInfo   string
}

// lenientSeconds reads expires_in or refresh_in of a token reply. That
// reply has used up the device code (or rotated the refresh token), so a
// lifetime written oddly must not throw its tokens away: a whole number or
// numeric string as jsonSeconds reads it, else any positive JSON number
// (3.6e3); anything else (a negative number, a word, an object) reads as
// absent, which the engine takes as an hour for expires_in.
func lenientSeconds(raw []byte) int64 {
	if n, err := jsonSeconds(raw); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(strings.Trim(string(raw), `"`), 64); err == nil && f > 0 && f < 1e12 {
		return int64(f)
	}
	return 0
}

// ParseTokenReply decodes a token endpoint success reply (RFC 6749 §5.1).
// Unreadable lifetimes (expires_in, refresh_in) read as absent rather than
// failing the reply: see lenientSeconds.
func ParseTokenReply(body []byte) (TokenReply, error) {
	var t TokenReply
	var expires, refreshIn int64
	s := newObjScanner(body)
	var ferr error
	for {
		k, v, ok := s.next()
		if !ok {
			break
		}
		var err error
		switch string(k) {
		case "access_token":
			t.AccessToken, err = jsonString(v)
		case "refresh_token":
			t.RefreshToken, err = jsonString(v)
		case "id_token":
			t.IDToken, err = jsonString(v)
		case "token_type":
			t.TokenType, err = jsonString(v)
		case "scope":
			t.Scope, err = jsonString(v)
		case "expires_in":
			expires = lenientSeconds(v)
		case "refresh_in":
			refreshIn = lenientSeconds(v)
		case "client_info":
			t.ClientInfo, err = jsonString(v)
		}
		if err != nil && ferr == nil {
			ferr = fmt.Errorf("devicecode: token reply: field %s is malformed", printable(k))
		}
	}
	if s.err != nil {
		return TokenReply{}, errTokenNotObject
	}
	if ferr != nil {
		return TokenReply{}, ferr
	}
	if t.AccessToken == "" {
		if se := ParseErrorReply(http.StatusOK, "application/json", body); se != nil {
			return TokenReply{}, se
		}
		return TokenReply{}, errors.New("devicecode: token reply has no access_token")
	}
	const maxLife = 366 * 24 * 3600
	t.ExpiresIn = time.Duration(min(expires, maxLife)) * time.Second
	t.RefreshIn = time.Duration(min(refreshIn, maxLife)) * time.Second
	return t, nil
}
