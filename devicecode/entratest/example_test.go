package entratest_test

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

// Example plays the user: a client asks for a code, the test (or the demo's
// verification page) approves it, and the next poll gets tokens.
func Example() {
	srv := entratest.Start(entratest.Options{})
	defer srv.Close()
	base := srv.URL() + "/" + entratest.TenantID + "/oauth2/v2.0/"
	resp, _ := srv.Client().PostForm(base+"devicecode", url.Values{"client_id": {entratest.DefaultClientID}, "scope": {"openid offline_access"}})
	resp.Body.Close()

	codes := srv.UserCodes()
	fmt.Println(len(codes), "code waiting")
	fmt.Println(srv.Approve(strings.ToLower(codes[0]))) // case and hyphen do not matter
	fmt.Println(len(srv.UserCodes()), "code waiting")
	// Output:
	// 1 code waiting
	// <nil>
	// 0 code waiting
}
