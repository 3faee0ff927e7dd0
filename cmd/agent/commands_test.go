package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
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

// status only reads: a cache that does not decode is reported, non-zero,
// and stays byte for byte where it is, with no moved-aside copy; the
// agent's own load still moves it aside.
func TestStatusLeavesABadCacheInPlace(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "tokens.cbor")
	bad := []byte("half a cache: 0.AXcA-secret-refresh")
	if err := os.WriteFile(cache, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"status"}, baseFlags(cache, "none")...), &out, &out)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("status of a corrupt cache = %v; want an error (exit 1)", err)
	}
	msg := err.Error()
	for _, want := range []string{cache + " is corrupt", "left in place"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret") || strings.Contains(out.String(), "secret") {
		t.Errorf("status showed the cache's content")
	}
	if got, err := os.ReadFile(cache); err != nil || !bytes.Equal(got, bad) {
		t.Errorf("cache after status: %v; unchanged = %v", err, bytes.Equal(got, bad))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("status left files beside the cache: %v", entries)
	}
	if _, err := tokencache.New(cache).Load(); !errors.Is(err, tokencache.ErrCorrupt) || !strings.Contains(err.Error(), "moved it to") {
		t.Errorf("the agent's Load after status = %v; want the cache moved aside", err)
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

// A second agent on the same cache stops at once with one line that names
// the cache and the running agent's pid, before it asks for a code or
// touches the broker.
func TestRunRefusesASecondAgentOnTheCache(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "tokens.cbor")
	release, err := tokencache.New(cache).Lock() // the running agent
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// The deadline only bounds a failing run: the authority is loopback port
	// 443, closed, so an agent that got past the lock would retry it until
	// then and return the context's error, not ErrInUse.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	args := append([]string{"run"}, baseFlags(cache, "none")...)
	args = append(args, "-display", "none", "-authority-host", "localhost")
	err = run(ctx, args, &out, &errOut)
	if !errors.Is(err, tokencache.ErrInUse) || exitCode(err) != 1 {
		t.Fatalf("second agent: %v (exit %d); want ErrInUse, exit 1", err, exitCode(err))
	}
	msg := err.Error()
	for _, want := range []string{cache, "pid " + strconv.Itoa(os.Getpid()), "systemctl stop boardlogin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is more than one line", msg)
	}
	release()
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused agent wrote the cache: %v", err)
	}
}
