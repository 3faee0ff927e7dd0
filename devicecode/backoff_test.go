package devicecode

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffCurve(t *testing.T) {
	for n := range 12 {
		want := min(backoffBase<<min(n, 10), backoffCap)
		for range 200 {
			d := backoff(n)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 7 ", 7 * time.Second},
		{"-4", 0},
		{"999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		got := retryAfter(&ServiceError{StatusCode: 429, RetryAfter: tt.header}, now)
		if got != tt.want {
			t.Errorf("Retry-After %q = %s, want %s", tt.header, got, tt.want)
		}
	}
}
