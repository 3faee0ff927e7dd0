package devicecode_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

var epoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// env is a client wired to a fake Entra over TLS, sharing a fake clock.
type env struct {
	c     *devicecode.Client
	srv   *entratest.Server
	clock *entratest.FakeClock
	logs  *strings.Builder
}

func newEnv(t testing.TB, opts entratest.Options, mod func(*devicecode.Config)) *env {
	return newEnvWith(t, opts, false, mod)
}

// newEnvWith is newEnv, with the product's default HTTP client when
// defaultClient is set.
func newEnvWith(t testing.TB, opts entratest.Options, defaultClient bool, mod func(*devicecode.Config)) *env {
	t.Helper()
	clock := entratest.NewFakeClock(epoch)
	opts.Clock = clock
	opts.TLS = true
	srv := entratest.Start(opts)
	t.Cleanup(srv.Close)
	logs := &strings.Builder{}
	cfg := devicecode.Config{
		ClientID:       entratest.DefaultClientID,
		Authority:      devicecode.Authority{Tenant: entratest.TenantID, Host: srv.URL()},
		HTTPClient:     srv.Client(),
		Clock:          clock,
		RequestTimeout: 10 * time.Second,
		Logf: func(format string, args ...any) {
			logs.WriteString(strings.TrimSpace(sprintf(format, args...)) + "\n")
		},
	}
	if defaultClient {
		cfg.HTTPClient = nil
		cfg.RootCAs = srv.RootCAs()
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := devicecode.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{c: c, srv: srv, clock: clock, logs: logs}
}

func errorsIs(err, target error) bool     { return errors.Is(err, target) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }
