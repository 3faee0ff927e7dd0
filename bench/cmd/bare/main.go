// Command bare is the baseline contender: the device code flow written
// directly on net/http and encoding/json in a few dozen lines (pending goes
// on, slow_down adds 5 s, anything else ends the flow). It shows what Go's
// TLS client and JSON cost before any OAuth library.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boardlogin/boardlogin/bench/internal/harness"
)

type reply struct {
	DeviceCode  string `json:"device_code"`
	UserCode    string `json:"user_code"`
	Interval    int    `json:"interval"`
	AccessToken string `json:"access_token"`
	Error       string `json:"error"`
}

func post(ctx context.Context, hc *http.Client, u string, form url.Values) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("bare: http %d: %v", resp.StatusCode, err)
	}
	return &r, nil
}

func main() {
	harness.Main(func(env *harness.Env, base string) (harness.Flow, error) {
		prefix := base + "/" + env.Tenant + "/oauth2/v2.0/"
		scope := strings.Join(append(append([]string(nil), env.Scopes...), "openid", "profile", "offline_access"), " ")
		return func(ctx context.Context) error {
			da, err := post(ctx, env.HTTPClient, prefix+"devicecode", url.Values{"client_id": {env.ClientID}, "scope": {scope}})
			if err != nil {
				return err
			}
			if da.UserCode == "" {
				return fmt.Errorf("bare: device authorization: %s", da.Error)
			}
			interval := time.Duration(da.Interval) * time.Second
			if interval == 0 {
				interval = 5 * time.Second
			}
			form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
				"client_id": {env.ClientID}, "device_code": {da.DeviceCode}}
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(interval):
				}
				r, err := post(ctx, env.HTTPClient, prefix+"token", form)
				if err != nil {
					return err
				}
				switch r.Error {
				case "":
					return nil
				case "authorization_pending":
				case "slow_down":
					interval += 5 * time.Second
				default:
					return fmt.Errorf("bare: token: %s", r.Error)
				}
			}
		}, nil
	})
}
