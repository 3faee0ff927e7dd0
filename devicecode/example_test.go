package devicecode_test

import (
	"context"
	"fmt"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// Example signs in once with a device code and then serves two resources
// from the refresh token. The fake Entra ID and a fake clock stand in for
// the real service and the real time; on a board, leave HTTPClient and
// Clock unset, set Authority.Tenant and Config.Cache.
func Example() {
	srv := entratest.Start(entratest.Options{TLS: true})
	defer srv.Close()
	c, err := devicecode.New(devicecode.Config{
		ClientID:  entratest.DefaultClientID,
		Authority: devicecode.Authority{Tenant: entratest.TenantID, Host: srv.URL()},
		Profiles: []devicecode.Profile{
			{Name: "graph", Scopes: []string{"https://graph.microsoft.com/User.Read"}},
			{Name: "storage", Scopes: []string{"https://storage.azure.com/user_impersonation"}},
		},
		HTTPClient: srv.Client(),
		Clock:      entratest.NewFakeClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	_, err = c.AcquireSilent(ctx, "graph")
	if devicecode.NeedsSignIn(err) {
		dc, err := c.RequestCode(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("open", dc.VerificationURI, "and enter the code; it expires at", dc.ExpiresAt.Format(time.TimeOnly))
		srv.Approve(dc.UserCode) // the user, in a browser
		tok, err := c.PollToken(ctx, dc)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("signed in as", tok.Account.Username)
	}
	tok, err := c.AcquireSilent(ctx, "storage")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Profile, tok.Scopes[0], "until", tok.ExpiresAt.Format(time.TimeOnly))
	// Output:
	// open https://microsoft.com/devicelogin and enter the code; it expires at 08:15:00
	// signed in as ada@contoso.onmicrosoft.com
	// storage https://storage.azure.com/user_impersonation until 09:00:05
}

// ExampleHint shows the one-line instruction for each class of error.
func ExampleHint() {
	for _, err := range []error{
		&devicecode.ServiceError{StatusCode: 400, Code: "invalid_request", ErrorCodes: []int{50059}},
		&devicecode.ServiceError{StatusCode: 401, Code: "invalid_client", ErrorCodes: []int{7000218}},
		&devicecode.ServiceError{StatusCode: 400, Code: "invalid_scope", ErrorCodes: []int{70011}},
		&devicecode.ServiceError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{53003}},
		&devicecode.ServiceError{StatusCode: 400, Code: "invalid_grant", ErrorCodes: []int{700082}},
		&devicecode.ServiceError{StatusCode: 503},
	} {
		fmt.Println(devicecode.Hint(err))
	}
	// Output:
	// configure a tenant id or domain; device code sign-in needs a tenant
	// enable "Allow public client flows" on the app registration
	// check the profile's scopes
	// a tenant policy blocks device code sign-in; ask the tenant admin, retrying will not help
	// sign in again with a new device code
	// the provider or network is unavailable; retrying later
}

// ExampleDeviceCode_String: a device code prints without its secret.
func ExampleDeviceCode_String() {
	var dc devicecode.DeviceCode
	dc.UserCode = "WDJB-MJHT"
	dc.VerificationURI = "https://microsoft.com/devicelogin"
	dc.Interval = 5 * time.Second
	fmt.Printf("%+v\n", dc)
	// Output:
	// devicecode.DeviceCode{user_code="WDJB-MJHT" verification_uri="https://microsoft.com/devicelogin" expires=0001-01-01T00:00:00Z interval=5s device_code=none}
}
