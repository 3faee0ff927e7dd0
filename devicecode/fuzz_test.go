package devicecode

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets check that no input panics, that errors are one line,
// and that what a parser accepts is consistent.

func FuzzDeviceAuthReply(f *testing.F) {
	f.Add([]byte(`{"user_code":"WDJB-MJHT","device_code":"DC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"m"}`))
	f.Add([]byte(`{"user_code":"A","device_code":"D","verification_url":"u","expires_in":"900","interval":"5"}`))
	f.Add([]byte(`{"error":"invalid_request","error_codes":[50059]}`))
	f.Add([]byte(`{"a":[{"b":[[[]]]}],"user_code":"\u00e9\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDeviceAuthReply(body)
		if err != nil {
			oneLine(t, err)
			return
		}
		if d.UserCode == "" || d.DeviceCode == "" || d.VerificationURI == "" || d.ExpiresIn <= 0 || d.Interval <= 0 {
			t.Fatalf("accepted an incomplete reply: %#v", d)
		}
	})
}

func FuzzTokenReply(f *testing.F) {
	f.Add([]byte(`{"token_type":"Bearer","scope":"User.Read","expires_in":4231,"refresh_in":2115,"access_token":"AT","refresh_token":"RT","id_token":"ID","client_info":"CI"}`))
	f.Add([]byte(`{"access_token":"AT","expires_in":"3599"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := ParseTokenReply(body)
		if err != nil {
			oneLine(t, err)
			return
		}
		if tr.AccessToken == "" || tr.ExpiresIn < 0 || tr.RefreshIn < 0 {
			t.Fatalf("accepted %#v", tr)
		}
	})
}

func FuzzErrorReply(f *testing.F) {
	f.Add(400, "application/json", []byte(`{"error":"authorization_pending","error_description":"AADSTS70016: x\r\nTrace ID: t","error_codes":[70016],"trace_id":"t"}`))
	f.Add(400, "application/x-www-form-urlencoded", []byte("error=access_denied&error_description=no&error_codes=1,2"))
	f.Add(503, "", []byte("<html>"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		se := ParseErrorReply(status, contentType, body)
		if se == nil {
			return
		}
		if se.Code == "" {
			t.Fatal("ServiceError without a code")
		}
		oneLine(t, se)
		_ = Hint(se)
		_, _, _, _ = NeedsSignIn(se), IsConfigError(se), IsBlockedByPolicy(se), IsTransient(se)
	})
}

func FuzzIDTokenClaims(f *testing.F) {
	f.Add(jwt(`{"preferred_username":"ada@contoso.com","name":"Ada","oid":"o1","tid":"t1"}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := ParseIDTokenClaims(token); err != nil {
			oneLine(t, err)
			if strings.Contains(err.Error(), token) && len(token) > 8 {
				t.Fatal("error string holds the token")
			}
		}
	})
}

func FuzzClientInfo(f *testing.F) {
	f.Add("eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9")
	f.Add("eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9==")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseClientInfo(in)
		if err != nil {
			oneLine(t, err)
			return
		}
		if !strings.Contains(h, ".") {
			t.Fatalf("home account id %q has no dot", h)
		}
	})
}

func FuzzDiscovery(f *testing.F) {
	f.Add([]byte(`{"token_endpoint":"https://idp/token","device_authorization_endpoint":"https://idp/device"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := ParseDiscovery(body); err != nil {
			oneLine(t, err)
		}
	})
}

func oneLine(t *testing.T, err error) {
	t.Helper()
	s := err.Error()
	if strings.ContainsAny(s, "\r\n") {
		t.Fatalf("error is not one line: %q", s)
	}
	if !strings.HasPrefix(s, "devicecode: ") {
		t.Fatalf("error lacks the package prefix: %q", s)
	}
}

// FuzzJSONScanner checks the hand-written scanner against encoding/json:
// every valid JSON object (within the depth limit) is accepted, with the
// same members and the same decoded strings.
func FuzzJSONScanner(f *testing.F) {
	f.Add([]byte(`{"error":"authorization_pending","error_codes":[70016],"x":{"y":[true,false,null,-1.5e3]}}`))
	f.Add([]byte(`{"a":"\u00e9\ud83d\ude00\n","a":"dup"}`))
	f.Add([]byte(`{"s":"\ud800 lone","t":"bad \xff"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || depth(body) > maxDepth-2 {
			// Invalid or too deep: the scanner may refuse, must not panic.
			s := newObjScanner(body)
			for {
				if _, _, ok := s.next(); !ok {
					break
				}
			}
			return
		}
		s := newObjScanner(body)
		got := map[string][]byte{}
		for {
			k, v, ok := s.next()
			if !ok {
				break
			}
			got[string(k)] = v
		}
		if s.err != nil {
			t.Fatalf("scanner refused valid JSON %q: %v", body, s.err)
		}
		for k, raw := range m {
			if strings.ContainsRune(k, '\\') || !utf8.ValidString(k) {
				continue // keys are compared raw
			}
			v, ok := got[k]
			if !ok {
				// encoding/json decodes escaped keys; find it raw.
				continue
			}
			var want string
			if json.Unmarshal(raw, &want) == nil {
				if s, err := jsonString(v); err != nil || s != want {
					t.Fatalf("member %q: jsonString = %q, %v; encoding/json = %q", k, s, err, want)
				}
			}
		}
	})
}

func depth(b []byte) int {
	n, maxN := 0, 0
	for _, c := range b {
		switch c {
		case '{', '[':
			n++
			maxN = max(maxN, n)
		case '}', ']':
			n--
		}
	}
	return maxN
}

// FuzzTokenError: any reply that is not a token gives a one-line error
// that never quotes the body (the seed marks its body with a canary), and
// a 2xx/3xx without an OAuth error is transient.
func FuzzTokenError(f *testing.F) {
	f.Add(200, "text/html; charset=utf-8", []byte("<html>CANARY</html>"))
	f.Add(302, "TEXT/HTML\x1b\r\nX: y", []byte(`{"access_token":"CANARY`))
	f.Add(200, "application/json", []byte(`{"error":"invalid_grant","error_description":"d"}`))
	f.Add(502, "", []byte("CANARY"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 599 {
			return
		}
		r := reply{status: status, contentType: contentType, body: body}
		var cause error
		if status == 200 {
			if _, cause = ParseTokenReply(body); cause == nil {
				return
			}
		}
		err := tokenError(&r, cause)
		s := err.Error()
		if strings.ContainsAny(s, "\r\n") || !strings.HasPrefix(s, "devicecode: ") {
			t.Fatalf("error is not one line with the prefix: %q", s)
		}
		var ue *UnexpectedReplyError
		if errors.As(err, &ue) {
			if strings.Contains(s, "CANARY") || len(ue.ContentType) > 60 {
				t.Fatalf("error quotes the body or a long content type: %q", s)
			}
			if !IsTransient(err) || status >= 400 {
				t.Fatalf("unexpected reply %d not transient: %q", status, s)
			}
		}
	})
}
