// Command boardlogin is the bench contender built on this project's
// devicecode package: RequestCode then PollToken, with devicecode's own
// HTTP client (one keep-alive HTTP/1.1 connection) and the given roots.
package main

import (
	"context"

	"github.com/boardlogin/boardlogin/bench/internal/harness"
	"github.com/boardlogin/boardlogin/devicecode"
)

func main() {
	harness.Main(func(env *harness.Env, base string) (harness.Flow, error) {
		c, err := devicecode.New(devicecode.Config{
			ClientID:  env.ClientID,
			Authority: devicecode.Authority{Tenant: env.Tenant, Host: base},
			Profiles:  []devicecode.Profile{{Name: "graph", Scopes: env.Scopes}},
			RootCAs:   env.Roots,
		})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			dc, err := c.RequestCode(ctx)
			if err != nil {
				return err
			}
			_, err = c.PollToken(ctx, dc)
			return err
		}, nil
	})
}
