package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode/tokencache"
	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

func baseFlags(cache, broker string) []string {
	return []string{"-config", "none", "-tenant", "contoso.onmicrosoft.com", "-client-id", "11111111-2222-3333-4444-555555555555",
		"-profile.graph=https://graph.microsoft.com/.default", "-cache", cache, "-mqtt-broker", broker, "-mqtt-prefix", "devicecode/t"}
}

func TestStatus(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "tokens.cbor")
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"status"}, baseFlags(cache, "none")...), &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "not signed in") {
		t.Errorf("status without a cache: %q", out.String())
	}
	const at, rt = "eyJ0eXAiOiJKV1QiLCJub25jZSI6secretaccess", "0.AXcA-secret-refresh"
	exp := time.Now().Add(time.Hour)
	_, err := tokencache.New(cache).Save(&tokencache.Snapshot{ClientID: "c", Authority: "a",
		Account: tokencache.Account{Username: "ada@contoso.onmicrosoft.com", TenantID: "tid"}, RefreshToken: rt,
		AccessTokens: map[string]tokencache.AccessToken{"graph": {Token: at, ExpiresAt: exp}}})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), append([]string{"status"}, baseFlags(cache, "none")...), &out, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"account: ada@contoso.onmicrosoft.com", "refresh token: present", "token graph: expires " + exp.UTC().Format(time.RFC3339)} {
		if !strings.Contains(s, want) {
			t.Errorf("status output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, at) || strings.Contains(s, rt) {
		t.Errorf("status printed a secret")
	}
}

func TestLogoutRemovesCacheAndClearsTokens(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	cache := filepath.Join(t.TempDir(), "tokens.cbor")
	if _, err := tokencache.New(cache).Save(&tokencache.Snapshot{ClientID: "c", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t, mosquittotest.SubOptions{}, "devicecode/t/token/graph", []byte(`{"v":1,"access_token":"x"}`), true); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"logout"}, baseFlags(cache, "tcp://"+b.Addr())...), &out, &errOut); err != nil {
		t.Fatalf("logout: %v\n%s", err, errOut.String())
	}
	if snap, err := tokencache.New(cache).Load(); err != nil || snap != nil {
		t.Errorf("cache after logout: %v, %v", snap, err)
	}
	sub := b.Subscribe(t, mosquittotest.SubOptions{}, "devicecode/t/token/graph")
	if m, err := sub.Next(time.Second); err == nil && len(m.Payload) > 0 {
		t.Errorf("a retained token is still there after logout: %d bytes", len(m.Payload))
	}
	if !strings.Contains(out.String(), "cleared token graph") {
		t.Errorf("logout output: %q", out.String())
	}
}
