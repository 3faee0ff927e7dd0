package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envMap is a fake environment.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "boardlogin.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimalConf = "tenant = contoso.onmicrosoft.com\nclient-id = 11111111-2222-3333-4444-555555555555\nprofile.graph = https://graph.microsoft.com/.default\n"

func TestConfigPrecedence(t *testing.T) {
	p := writeConf(t, minimalConf+"log-level = warn\nmax-unused-codes = 5\nidle-wait = 2h\nmqtt-prefix = from/file\n")
	cfg, rest, err := loadConfig([]string{"-config", p, "-max-unused-codes", "7", "-profile.api=api://x/.default", "extra"},
		envMap("BOARDLOGIN_MAX_UNUSED_CODES", "6", "BOARDLOGIN_IDLE_WAIT", "3h", "BOARDLOGIN_DEBUG", "1"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxUnusedCodes != 7 {
		t.Errorf("max-unused-codes = %d, want 7 (flag beats environment beats file)", cfg.MaxUnusedCodes)
	}
	if cfg.IdleWait != 3*time.Hour {
		t.Errorf("idle-wait = %v, want 3h (environment beats file)", cfg.IdleWait)
	}
	if cfg.LogLevel != "debug" {
		t.Errorf("log-level = %q, want debug from BOARDLOGIN_DEBUG", cfg.LogLevel)
	}
	if cfg.MQTTPrefix != "from/file" || cfg.Cache != defaultCachePath || cfg.MQTTBroker != "tcp://localhost:1883" {
		t.Errorf("file value or defaults lost: prefix %q cache %q broker %q", cfg.MQTTPrefix, cfg.Cache, cfg.MQTTBroker)
	}
	if len(cfg.Profiles) != 2 || cfg.Profiles[0].Name != "api" || cfg.Profiles[1].Name != "graph" {
		t.Errorf("profiles = %+v, want api (flag) and graph (file)", cfg.Profiles)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Errorf("rest = %q", rest)
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name, file string
		args       []string
		want       []string // substrings of the error
	}{
		{"unknown key", minimalConf + "tennant = x\n", nil, []string{`:4: unknown key "tennant"`}},
		{"near miss", minimalConf + "client_id = x\n", nil, []string{"did you mean client-id?"}},
		{"no equals", minimalConf + "display\n", nil, []string{":4: want key = value"}},
		{"twice", minimalConf + "tenant = y\n", nil, []string{":4: tenant is set twice (first at", ":1)"}},
		{"bad bool", minimalConf + "allow-multi-tenant = yes please\n", nil, []string{":4: allow-multi-tenant: want true or false"}},
		{"bad duration", minimalConf + "idle-wait = forever\n", nil, []string{":4: idle-wait: want a duration"}},
		{"no idle wait", minimalConf + "idle-wait = 0\n", nil, []string{"idle-wait: want at least 1m"}},
		{"a size the lcd driver cannot address", minimalConf + "display = aip31068\ndisplay-size = 16x4\n", nil, []string{"display-size: aip31068 size 16x4 not supported; use 16x1, 16x2 or 20x1 to 20x4"}},
		{"button on the inky's reset pin", minimalConf + "display = inky\nbutton-pin = GPIO27\n", nil, []string{"button-pin: GPIO27 is the reset pin of display inky"}},
		{"button on the e-paper's busy pin, by number", minimalConf + "display = epd2in13v4\nbutton-pin = 24\n", nil, []string{"button-pin: 24 is the busy pin of display epd2in13v4"}},
		{"button on a dc pin moved by the config", minimalConf + "display = ssd1306-spi\ndc-pin = GPIO5\nbutton-pin = gpio5\n", nil, []string{"button-pin: gpio5 is the dc pin"}},
		{"hd44780 of 24 columns", minimalConf + "display = hd44780-pcf8574\ndisplay-size = 24x2\n", nil, []string{"display-size: hd44780-pcf8574 size 24x2 not supported"}},
		{"idle wait of seconds", minimalConf + "idle-wait = 30s\n", nil, []string{"idle-wait: want at least 1m", "got 30s"}},
		{"bad int", minimalConf + "max-unused-codes = -1\n", nil, []string{"max-unused-codes: want a whole number"}},
		{"bad display", minimalConf + "display = crt\n", nil, []string{`display: unknown value "crt"`, "ssd1306-i2c"}},
		{"bad addr", minimalConf + "i2c-addr = 0x300\n", nil, []string{"i2c-addr: want an I2C address"}},
		{"bad broker", minimalConf + "mqtt-broker = http://x\n", nil, []string{"mqtt-broker: unknown scheme"}},
		{"missing ca file", minimalConf + "ca-file = /nonexistent/roots.pem\n", nil, []string{"ca-file: cannot use /nonexistent/roots.pem"}},
		{"no client id", "tenant = t\nprofile.g = s\n", nil, []string{"client-id: missing"}},
		{"no tenant", "client-id = c\nprofile.g = s\n", nil, []string{"tenant: missing"}},
		{"common needs opt in", strings.Replace(minimalConf, "contoso.onmicrosoft.com", "common", 1), nil, []string{`tenant: "common" cannot sign a device in alone`}},
		{"no profile", "tenant = t\nclient-id = c\n", nil, []string{"no token profile"}},
		{"empty profile", minimalConf + "profile.x =\n", nil, []string{"profile.x: empty scope list"}},
		{"bad profile name", minimalConf + "profile.a/b = s\n", nil, []string{"profile names use letters"}},
		{"one endpoint", minimalConf + "device-endpoint = https://x/d\n", nil, []string{"token-endpoint: missing"}},
		{"config key in file", minimalConf + "config = /x\n", nil, []string{"config cannot be set in the file"}},
		{"flag value", minimalConf, []string{"-gomemlimit", "lots"}, []string{"flag -gomemlimit: gomemlimit: want a size"}},
		{"several at once", minimalConf + "a = 1\nb = 2\n", nil, []string{"2 problems", `"a"`, `"b"`}},
		{"binary file", minimalConf + "\x7fELF\x02\x01\x01\x00\x00\nmore = \x00\n", nil, []string{":4: not text (a NUL byte or invalid UTF-8): is this the config file?"}},
		{"invalid UTF-8", minimalConf + "display = \xff\xfe\n", nil, []string{":4: not text"}},
		{"line too long", minimalConf + "tenant = " + strings.Repeat("a", 70000) + "\n", nil, []string{":4: line longer than 64 KiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConf(t, tt.file)
			_, _, err := loadConfig(append([]string{"-config", p}, tt.args...), envMap(), io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2", exitCode(err))
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	_, _, err := loadConfig([]string{"-config", "/nonexistent/boardlogin.conf"}, envMap(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cannot read /nonexistent/boardlogin.conf") {
		t.Fatalf("explicit missing file: %v", err)
	}
}

func TestConfigDirectoryGivenAsFile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := loadConfig([]string{"-config", dir}, envMap(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), dir+" is a directory: give the config file") {
		t.Fatalf("directory as config: %v", err)
	}
}

// A binary given as the config is one problem, and a long list is cut.
func TestConfigProblemsAreCapped(t *testing.T) {
	var file strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&file, "key%d = x\n", i)
	}
	file.WriteString("\x00\x01binary\nkey99 = x\n")
	_, _, err := loadConfig([]string{"-config", writeConf(t, file.String())}, envMap(), io.Discard)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	// 30 unknown keys, the binary line (reading stops there), then
	// client-id, tenant and profile missing.
	for _, w := range []string{"config: 34 problems:", `unknown key "key0"`, `unknown key "key19"`, "  ... and 14 more"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not contain %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, `"key20"`) || strings.Contains(msg, "key99") {
		t.Errorf("more than 20 problems shown, or reading went on past the binary line:\n%s", msg)
	}
	if n := strings.Count(msg, "\n"); n != 21 {
		t.Errorf("%d lines after the first, want 20 problems and the count of the rest", n)
	}
}

func TestConfigQuotesAndComments(t *testing.T) {
	p := writeConf(t, minimalConf+"# a comment\n\n  mqtt-username = \" spaced # name \"\nagent-id = kiosk # trailing comment\n")
	cfg, _, err := loadConfig([]string{"-config", p}, envMap(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTTUsername != " spaced # name " || cfg.AgentID != "kiosk" {
		t.Errorf("username %q agent-id %q", cfg.MQTTUsername, cfg.AgentID)
	}
}

// The example shipped in build/arm must pass config check as is.
func TestExampleConfigPassesCheck(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"config", "check", "-config", "../../build/arm/boardlogin.conf"}, &out, &errOut)
	if err != nil {
		t.Fatalf("config check of build/arm/boardlogin.conf: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "config ok") || !strings.Contains(out.String(), "profile.graph") {
		t.Errorf("output: %s", out.String())
	}
	// Every setting the table knows is documented in the example.
	b, _ := os.ReadFile("../../build/arm/boardlogin.conf")
	for _, s := range settings {
		if s.key != "config" && !strings.Contains(string(b), s.key+" =") {
			t.Errorf("build/arm/boardlogin.conf does not document %s", s.key)
		}
	}
}

func TestConfigCheckFails(t *testing.T) {
	p := writeConf(t, minimalConf+"display = crt\n")
	err := run(context.Background(), []string{"config", "check", "-config", p}, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("config check of a bad file: %v (exit %d), want exit 2", err, exitCode(err))
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"off": 0, "16MiB": 16 << 20, "512KiB": 512 << 10, "1GB": 1 << 30, "1000": 1000} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1MiB", "MiB", "1TiB", "12XB", "99999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	b, _ := os.ReadFile("../../build/arm/boardlogin.conf")
	f.Add(string(b))
	f.Add(minimalConf + "x = \"\\q\"\n=\n profile. = a\n")
	f.Fuzz(func(t *testing.T, text string) {
		vals := map[string]value{}
		problems := parseFile("f.conf", strings.NewReader(text), vals)
		for _, p := range problems {
			if strings.ContainsAny(p, "\n") {
				t.Errorf("problem spans lines: %q", p)
			}
		}
		validate(vals) // must not panic
	})
}

// What devicecode refuses is reported under the config key a person edits,
// not devicecode's field name.
func TestEngineConfigErrorsNameTheKey(t *testing.T) {
	base := []string{"config", "check", "-config", "none", "-tenant", "contoso.onmicrosoft.com", "-client-id", "app", "-profile.graph=User.Read"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"client id with a space", []string{"-client-id", "a b"}, "config: client-id: contains spaces"},
		{"tenant with a slash", []string{"-tenant", "a/b"}, "config: tenant: not a tenant id or domain"},
		{"authority host with user info", []string{"-authority-host", "https://u:p@login.example.com"}, "config: authority-host: a URL with user info is refused"},
		{"two resources in the second profile", []string{"-profile.storage=https://storage.azure.com/user_impersonation https://vault.azure.net/user_impersonation"},
			"config: profile.storage: scopes of two resources, https://storage.azure.com and https://vault.azure.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append(append([]string(nil), base...), tt.args...), &out, &out)
			if err == nil || exitCode(err) != 2 {
				t.Fatalf("config check = %v (exit %d), want exit 2", err, exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "devicecode:") {
				t.Errorf("error %q, want it to contain %q and no devicecode field name", err, tt.want)
			}
		})
	}
	if got := configKey("Profiles[7].Scopes", &Config{}); got != "Profiles[7].Scopes" {
		t.Errorf("a field with no key is kept as it is, got %q", got)
	}
}

// A file named by the configuration that exists but does not load (not
// PEM, a password file of two lines) is a configuration error for run,
// token and config check alike: exit status 2, under the key to fix, so
// systemd does not restart the agent into the same failure every 10 s.
func TestFileContentErrorsAreConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	twoLines := filepath.Join(dir, "password")
	for path, content := range map[string]string{notPEM: "not a certificate\n", twoLines: "a\nb\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"-config", "none", "-tenant", "contoso.onmicrosoft.com", "-client-id", "11111111-2222-3333-4444-555555555555",
		"-profile.graph=https://graph.microsoft.com/.default", "-cache", filepath.Join(dir, "tokens.cbor")}
	tests := []struct {
		name string
		cmds []string
		args []string
		want string
	}{
		{"ca-file not PEM", []string{"run", "config"}, []string{"-mqtt-broker", "none", "-ca-file", notPEM}, "config: ca-file: "},
		{"mqtt-ca-file not PEM", []string{"run", "token", "config"}, []string{"-mqtt-broker", "ssl://localhost:8883", "-mqtt-ca-file", notPEM},
			"config: mqtt-ca-file: CA file " + notPEM + " holds no PEM certificate"},
		{"client certificate not PEM", []string{"run", "token", "config"},
			[]string{"-mqtt-broker", "ssl://localhost:8883", "-mqtt-cert-file", notPEM, "-mqtt-key-file", notPEM}, "config: mqtt-cert-file: client certificate"},
		{"password file of two lines", []string{"run", "token", "config"},
			[]string{"-mqtt-broker", "tcp://localhost:1883", "-mqtt-username", "board", "-mqtt-password-file", twoLines}, "config: mqtt-password-file: password file"},
	}
	for _, tt := range tests {
		for _, cmd := range tt.cmds {
			t.Run(tt.name+"/"+cmd, func(t *testing.T) {
				args := []string{cmd}
				if cmd == "config" {
					args = append(args, "check")
				}
				args = append(append(args, base...), tt.args...)
				var out bytes.Buffer
				err := run(context.Background(), args, &out, &out)
				if err == nil || exitCode(err) != 2 {
					t.Fatalf("%s = %v (exit %d), want exit 2", cmd, err, exitCode(err))
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error %q, want it to contain %q", cmd, err, tt.want)
				}
			})
		}
	}
}
