package devicecode

import "testing"

// TestPendingReplyAllocatesNothing guards the hot path of polling: a
// pending reply is recognised, and its content type checked, without a
// single allocation.
func TestPendingReplyAllocatesNothing(t *testing.T) {
	body := []byte(`{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\nTrace ID: 0c1d\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-03-01 08:00:05Z","error_codes":[70016],"timestamp":"2026-03-01 08:00:05Z","trace_id":"0c1d","correlation_id":"9a8b","error_uri":"https://login.microsoftonline.com/error?code=70016"}`)
	var pending bool
	allocs := testing.AllocsPerRun(100, func() {
		code, ok := errorField(body)
		pending = ok && isJSON("application/json; charset=utf-8", body) && string(code) == "authorization_pending"
	})
	if !pending {
		t.Fatal("pending reply not recognised")
	}
	if !raceEnabled && allocs != 0 {
		t.Errorf("%v allocations per pending reply, want 0", allocs)
	}
	form := []byte("grant_type=x&client_id=y&device_code=z")
	allocs = testing.AllocsPerRun(100, func() { form = appendForm(form[:0], "device_code", "abc def/ghi") })
	if !raceEnabled && allocs != 0 {
		t.Errorf("%v allocations to rebuild a form body in place, want 0", allocs)
	}
}
