// Command oauth2 is the bench contender built on golang.org/x/oauth2:
// DeviceAuth then DeviceAccessToken, with AuthStyleInParams (without it
// every poll is sent twice, Basic auth first) and the OpenID scopes added by
// hand (x/oauth2 adds none; Entra gives no refresh token without
// offline_access).
package main

import (
	"context"

	"golang.org/x/oauth2"

	"github.com/boardlogin/boardlogin/bench/internal/harness"
)

func main() {
	harness.Main(func(env *harness.Env, base string) (harness.Flow, error) {
		prefix := base + "/" + env.Tenant + "/oauth2/v2.0/"
		cfg := &oauth2.Config{
			ClientID: env.ClientID,
			Endpoint: oauth2.Endpoint{
				DeviceAuthURL: prefix + "devicecode",
				TokenURL:      prefix + "token",
				AuthStyle:     oauth2.AuthStyleInParams,
			},
			Scopes: append(append([]string(nil), env.Scopes...), "openid", "profile", "offline_access"),
		}
		return func(ctx context.Context) error {
			ctx = context.WithValue(ctx, oauth2.HTTPClient, env.HTTPClient)
			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				return err
			}
			_, err = cfg.DeviceAccessToken(ctx, da)
			return err
		}, nil
	})
}
