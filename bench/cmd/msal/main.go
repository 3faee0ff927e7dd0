// Command msal is the bench contender built on MSAL Go's public client:
// AcquireTokenByDeviceCode then AuthenticationResult, with instance
// discovery off and the authority pointing at the local server.
package main

import (
	"context"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/boardlogin/boardlogin/bench/internal/harness"
)

func main() {
	harness.Main(func(env *harness.Env, base string) (harness.Flow, error) {
		pc, err := public.New(env.ClientID,
			public.WithAuthority(base+"/"+env.Tenant),
			public.WithHTTPClient(env.HTTPClient),
			public.WithInstanceDiscovery(false))
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			dc, err := pc.AcquireTokenByDeviceCode(ctx, env.Scopes)
			if err != nil {
				return err
			}
			_, err = dc.AuthenticationResult(ctx)
			return err
		}, nil
	})
}
