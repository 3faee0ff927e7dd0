package devicecode_test

import (
	"context"
	"strings"
	"testing"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// TestDefaultClientTrust: the default client trusts RootCAs when given
// them; without them it verifies against the system roots read at each
// handshake (internal/sysroots), which need the server's name, so a
// provider dialled by IP is refused with what to do, not with crypto/x509's
// "unknown authority" from a pool held in memory.
func TestDefaultClientTrust(t *testing.T) {
	srv := entratest.Start(entratest.Options{TLS: true})
	defer srv.Close()
	for _, pinned := range []bool{true, false} {
		cfg := devicecode.Config{
			ClientID:  entratest.DefaultClientID,
			Authority: devicecode.Authority{Tenant: entratest.TenantID, Host: srv.URL()},
		}
		if pinned {
			cfg.RootCAs = srv.RootCAs()
		}
		c, err := devicecode.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.RequestCode(context.Background())
		switch {
		case pinned && err != nil:
			t.Errorf("with RootCAs: %v", err)
		case !pinned && (err == nil || !strings.Contains(err.Error(), "addressed by IP")):
			t.Errorf("system roots, server by IP: err = %v, want the addressed-by-IP refusal", err)
		}
	}
}
