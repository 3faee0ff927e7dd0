package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/boardlogin/boardlogin/board"
)

// Default paths, shared with build/arm (the systemd unit and the Debian
// package install the example file there and keep state in StateDirectory).
const (
	defaultConfigPath = "/etc/boardlogin/boardlogin.conf"
	defaultCachePath  = "/var/lib/boardlogin/tokens.cbor"
	// envPrefix starts every environment override: BOARDLOGIN_MQTT_PASSWORD_FILE
	// overrides mqtt-password-file.
	envPrefix = "BOARDLOGIN_"
	// profilePrefix starts the keys that name token profiles.
	profilePrefix = "profile."
)

// kind is how a setting's text is checked and converted.
type kind int

const (
	kString kind = iota
	kURL         // absolute http(s) URL
	kBroker      // tcp://, ssl://, mqtt://, mqtts://, ws://, wss:// URL or "none"
	kBool
	kInt      // non-negative decimal
	kAddr     // I2C address: decimal or 0x hex, 0 = probe
	kDuration // Go duration, >= 0
	kSize     // bytes with optional KiB/MiB/GiB suffix, or "off"
	kEnum
	kPath     // a file that must exist (checked by config check and run)
	kDims     // WIDTHxHEIGHT: two whole numbers 1..maxDim, e.g. 128x32 or 20x4
	kRange    // whole number in [lo, hi]
	kHostName // DNS name or IP address, no scheme, port or path
)

// maxDim bounds each number of display-size: no supported panel comes near
// it, and a typo like 1280x64 is caught before board allocates a frame.
const maxDim = 512

// setting is one row of the table that drives flags, the file and
// validation alike, so the three can never disagree.
type setting struct {
	key    string
	def    string
	kind   kind
	enum   []string // kEnum: allowed values
	usage  string
	noFile bool // not allowed in the file (the file's own path)
	noFlag bool // not a flag
	lo, hi int  // kRange: allowed values
}

// displayNames are the display values config accepts; board adds its panel
// names to this list in wire.go.
var displayNames = []string{"auto", "none", "terminal"}

var settings = []setting{
	{key: "config", def: defaultConfigPath, usage: "configuration `file` (key = value lines); a missing default file is not an error", noFile: true},
	{key: "tenant", usage: "Entra tenant id or domain (organizations/common need allow-multi-tenant)"},
	{key: "client-id", usage: "application (client) id of a public client app registration"},
	{key: "authority-host", def: "login.microsoftonline.com", usage: "Entra authority host (sovereign clouds: login.microsoftonline.us, login.partner.microsoftonline.cn)"},
	{key: "issuer", kind: kURL, usage: "generic OpenID Connect issuer URL (instead of tenant); endpoints come from discovery"},
	{key: "device-endpoint", kind: kURL, usage: "device authorization endpoint URL (overrides discovery and the Entra template)"},
	{key: "token-endpoint", kind: kURL, usage: "token endpoint URL (overrides discovery and the Entra template)"},
	{key: "allow-multi-tenant", def: "false", kind: kBool, usage: "allow tenant = organizations/common/consumers"},
	{key: "cache", def: defaultCachePath, usage: "token cache `file` (0600, written atomically)"},
	{key: "ca-file", kind: kPath, usage: "PEM `file` of root certificates to trust for the identity provider instead of the system's (needed for a provider addressed by IP)"},
	{key: "mqtt-broker", def: "tcp://localhost:1883", kind: kBroker, usage: "MQTT broker URL, or none"},
	{key: "mqtt-username", usage: "MQTT user name"},
	{key: "mqtt-password-file", kind: kPath, usage: "`file` holding the MQTT password, one line; root:boardlogin 0640 or stricter (refused when others may read it)"},
	{key: "mqtt-ca-file", kind: kPath, usage: "PEM `file` of roots that sign the broker's certificate"},
	{key: "mqtt-cert-file", kind: kPath, usage: "client certificate PEM `file` for the broker"},
	{key: "mqtt-key-file", kind: kPath, usage: "client key PEM `file` for the broker"},
	{key: "mqtt-server-name", kind: kHostName, usage: "name the broker's certificate must carry when mqtt-broker names it by IP address or another name (default: the broker URL's host)"},
	{key: "mqtt-prefix", usage: "topic prefix (default devicecode/<agent-id>)"},
	{key: "mqtt-encoding", def: "json", kind: kEnum, enum: []string{"json", "cbor"}, usage: "token payload encoding"},
	{key: "agent-id", usage: "agent id in the default topic prefix (default: the host name)"},
	{key: "display", def: "auto", kind: kEnum, usage: "display: auto, none, terminal or a panel name"},
	{key: "display-size", kind: kDims, usage: "panel size: WIDTHxHEIGHT pixels for OLED, e-paper and matrix panels (128x64, 128x32), COLSxROWS characters for LCDs (16x2, 20x4); default: the panel kind's usual size"},
	{key: "display-rotate", def: "0", kind: kEnum, enum: []string{"0", "180"}, usage: "turn the picture by 0 or 180 degrees, for a panel mounted upside down"},
	{key: "matrix-cascade", def: "4", kind: kRange, lo: 1, hi: 16, usage: "number of chained MAX7219 8x8 modules (display = max7219), 1 to 16"},
	{key: "i2c-bus", usage: "I2C bus name or number (default: the first bus)"},
	{key: "i2c-addr", def: "0", kind: kAddr, usage: "I2C address of the panel, 0 = probe the known addresses"},
	{key: "spi-port", usage: "SPI port name (e.g. /dev/spidev0.0 or SPI0.0)"},
	{key: "dc-pin", usage: "GPIO name of the panel's data/command pin (SPI panels)"},
	{key: "reset-pin", usage: "GPIO name of the panel's reset pin"},
	{key: "busy-pin", usage: "GPIO name of the e-paper busy pin"},
	{key: "button-pin", usage: "GPIO name of a push button (to ground) that asks for a new code"},
	{key: "dim-after", def: "5m", kind: kDuration, usage: "dim the panel once it has shown signed in this long without a change or a button press, 0 = never"},
	{key: "max-unused-codes", def: "3", kind: kInt, usage: "after this many codes expire unused in a row, wait for a button press, a sign-out command or idle-wait"},
	{key: "idle-wait", def: "1h", kind: kDuration, usage: "long back-off after max-unused-codes, a configuration error or a policy block"},
	{key: "log-level", def: "info", kind: kEnum, enum: []string{"debug", "info", "warn", "error"}, usage: "log level (" + envPrefix + "DEBUG=1 means debug)"},
	{key: "gomemlimit", def: defaultMemLimit, kind: kSize, usage: "soft memory limit (e.g. 16MiB, off); the GOMEMLIMIT environment variable wins"},
}

func lookupSetting(key string) (*setting, bool) {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i], true
		}
	}
	return nil, false
}

// value is one setting's text and where it came from, for error messages.
type value struct {
	text string
	src  string // "default", "file.conf:12", "env BOARDLOGIN_X", "flag -x"
}

// Config is the agent's validated configuration.
type Config struct {
	vals     map[string]value
	Profiles []Profile

	Tenant, ClientID, AuthorityHost, Issuer string
	DeviceEndpoint, TokenEndpoint           string
	AllowMultiTenant                        bool
	Cache, CAFile                           string
	MQTTBroker, MQTTUsername                string
	MQTTPasswordFile                        string
	MQTTCAFile, MQTTCertFile, MQTTKeyFile   string
	MQTTServerName                          string
	MQTTPrefix, MQTTEncoding, AgentID       string
	Display, I2CBus, SPIPort                string
	// DisplayW and DisplayH are display-size (0: the kind's default);
	// pixels or characters depending on the panel kind.
	DisplayW, DisplayH                  int
	Rotate180                           bool
	MatrixCascade                       int
	I2CAddr                             uint16
	DCPin, ResetPin, BusyPin, ButtonPin string
	DimAfter, IdleWait                  time.Duration
	MaxUnusedCodes                      int
	LogLevel                            string
	MemLimit                            int64 // bytes; 0 = off
}

// Profile is a named set of scopes: one access token, one MQTT topic.
type Profile struct {
	Name   string
	Scopes []string
}

// configError lists every problem found, one per line.
type configError struct{ problems []string }

// maxProblemsShown caps the list: a wrong file given as the config would
// otherwise print a problem per line of it.
const maxProblemsShown = 20

func (e *configError) Error() string {
	if len(e.problems) == 1 {
		return "config: " + e.problems[0]
	}
	shown := e.problems
	more := ""
	if len(shown) > maxProblemsShown {
		shown = shown[:maxProblemsShown]
		more = fmt.Sprintf("\n  ... and %d more", len(e.problems)-maxProblemsShown)
	}
	return fmt.Sprintf("config: %d problems:\n  %s%s", len(e.problems), strings.Join(shown, "\n  "), more)
}

// parseFile reads key = value lines. Blank lines and lines starting with #
// are ignored; a value may be quoted with double quotes to keep leading or
// trailing spaces or a #. Keys are the flag names.
func parseFile(name string, r io.Reader, into map[string]value) []string {
	var problems []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		src := fmt.Sprintf("%s:%d", name, line)
		if b := sc.Bytes(); bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
			// Not a config file (a binary, an image): one problem, not one
			// per line of it.
			return append(problems, src+": not text (a NUL byte or invalid UTF-8): is this the config file?")
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(text, "=")
		if !ok {
			problems = append(problems, src+": want key = value, got a line without =")
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			problems = append(problems, src+": missing key before =")
			continue
		}
		if len(v) >= 2 && v[0] == '"' {
			uq, err := strconv.Unquote(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: bad quoted value", src, k))
				continue
			}
			v = uq
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i]) // trailing comment
		}
		if strings.HasPrefix(k, profilePrefix) {
			if p := checkProfileName(strings.TrimPrefix(k, profilePrefix)); p != "" {
				problems = append(problems, fmt.Sprintf("%s: %s: %s", src, k, p))
				continue
			}
		} else if s, ok := lookupSetting(k); !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown key %q%s", src, k, suggest(k)))
			continue
		} else if s.noFile {
			problems = append(problems, fmt.Sprintf("%s: %s cannot be set in the file", src, k))
			continue
		}
		if prev, dup := into[k]; dup && strings.HasPrefix(prev.src, name+":") {
			problems = append(problems, fmt.Sprintf("%s: %s is set twice (first at %s)", src, k, prev.src))
			continue
		}
		into[k] = value{text: v, src: src}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		problems = append(problems, fmt.Sprintf("%s:%d: line longer than 64 KiB: is this the config file?", name, line+1))
	case errors.Is(err, syscall.EISDIR):
		problems = append(problems, fmt.Sprintf("%s is a directory: give the config file", name))
	case err != nil:
		problems = append(problems, fmt.Sprintf("%s:%d: %v", name, line+1, err))
	}
	return problems
}

// checkProfileName returns what is wrong with a profile name, or "".
func checkProfileName(n string) string {
	if n == "" {
		return "missing profile name after profile."
	}
	for _, r := range n {
		if !(r == '-' || r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return "profile names use letters, digits, - and _ only (they become MQTT topics)"
		}
	}
	return ""
}

// suggest names a known key close to k (one edit or a different separator).
func suggest(k string) string {
	norm := func(s string) string { return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(s)) }
	for _, s := range settings {
		if norm(s.key) == norm(k) {
			return fmt.Sprintf(" (did you mean %s?)", s.key)
		}
	}
	return ""
}

// envKey is the environment variable that overrides key.
func envKey(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// loadConfig builds the configuration from defaults < file < environment <
// flags. args are the subcommand's arguments; it returns the arguments left
// after the flags. It touches nothing but the config file and the files
// named by *-file keys (it checks they exist).
func loadConfig(args []string, getenv func(string) string, usage io.Writer) (*Config, []string, error) {
	vals := map[string]value{}
	for _, s := range settings {
		if s.def != "" {
			vals[s.key] = value{text: s.def, src: "default"}
		}
	}
	flagVals, profileFlags, rest, err := parseFlags(args, usage)
	if err != nil {
		return nil, nil, err
	}
	var problems []string

	// The file: -config flag, else env, else the default path.
	cfgPath, explicit := defaultConfigPath, false
	if v := getenv(envKey("config")); v != "" {
		cfgPath, explicit = v, true
	}
	if v, ok := flagVals["config"]; ok {
		cfgPath, explicit = v.text, true
	}
	if cfgPath != "" && cfgPath != "none" {
		f, err := os.Open(cfgPath)
		switch {
		case err == nil:
			problems = append(problems, parseFile(cfgPath, f, vals)...)
			f.Close()
		case errors.Is(err, os.ErrNotExist) && !explicit:
			// No file at the default path: flags and environment only.
		default:
			problems = append(problems, fmt.Sprintf("config: cannot read %s: %v", cfgPath, unwrapPath(err)))
		}
	}
	vals["config"] = value{text: cfgPath, src: "flag -config"}

	// The environment: any key, BOARDLOGIN_<KEY>; BOARDLOGIN_DEBUG=1.
	for _, s := range settings {
		if s.key == "config" {
			continue
		}
		if v, ok := lookupEnv(getenv, envKey(s.key)); ok {
			vals[s.key] = value{text: v, src: "environment " + envKey(s.key)}
		}
	}
	if d := getenv(envPrefix + "DEBUG"); d != "" && d != "0" && d != "false" {
		vals["log-level"] = value{text: "debug", src: "environment " + envPrefix + "DEBUG"}
	}

	// Flags last.
	for k, v := range flagVals {
		vals[k] = v
	}
	for k, v := range profileFlags {
		vals[k] = v
	}

	c, more := validate(vals)
	problems = append(problems, more...)
	if len(problems) > 0 {
		return nil, nil, &configError{problems}
	}
	return c, rest, nil
}

func lookupEnv(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	return v, v != ""
}

// unwrapPath drops the *PathError wrapping so the path is not said twice.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// validate converts every value and collects every problem, each naming
// the key and where its value came from.
func validate(vals map[string]value) (*Config, []string) {
	var problems []string
	bad := func(key, format string, a ...any) {
		src := vals[key].src
		problems = append(problems, fmt.Sprintf("%s: %s: %s", src, key, fmt.Sprintf(format, a...)))
	}
	c := &Config{vals: vals}
	str := func(k string) string { return vals[k].text }
	for _, s := range settings {
		v, ok := vals[s.key]
		if !ok || v.text == "" {
			continue
		}
		if msg := checkKind(&s, v.text); msg != "" {
			bad(s.key, "%s", msg)
		}
	}
	c.Tenant, c.ClientID, c.AuthorityHost, c.Issuer = str("tenant"), str("client-id"), str("authority-host"), str("issuer")
	c.DeviceEndpoint, c.TokenEndpoint = str("device-endpoint"), str("token-endpoint")
	c.AllowMultiTenant, _ = strconv.ParseBool(str("allow-multi-tenant"))
	c.Cache, c.CAFile = str("cache"), str("ca-file")
	c.MQTTBroker, c.MQTTUsername = str("mqtt-broker"), str("mqtt-username")
	c.MQTTCAFile, c.MQTTCertFile, c.MQTTKeyFile = str("mqtt-ca-file"), str("mqtt-cert-file"), str("mqtt-key-file")
	c.MQTTPrefix, c.MQTTEncoding, c.AgentID = str("mqtt-prefix"), str("mqtt-encoding"), str("agent-id")
	c.Display, c.I2CBus, c.SPIPort = str("display"), str("i2c-bus"), str("spi-port")
	c.MQTTServerName = str("mqtt-server-name")
	if w, h, err := parseDims(str("display-size")); err == nil {
		c.DisplayW, c.DisplayH = w, h
	}
	c.Rotate180 = str("display-rotate") == "180"
	c.MatrixCascade, _ = strconv.Atoi(str("matrix-cascade"))
	if a, err := parseAddr(str("i2c-addr")); err == nil {
		c.I2CAddr = a
	}
	c.DCPin, c.ResetPin, c.BusyPin, c.ButtonPin = str("dc-pin"), str("reset-pin"), str("busy-pin"), str("button-pin")
	c.DimAfter, _ = time.ParseDuration(str("dim-after"))
	c.IdleWait, _ = time.ParseDuration(str("idle-wait"))
	c.MaxUnusedCodes, _ = strconv.Atoi(str("max-unused-codes"))
	c.LogLevel = str("log-level")
	c.MemLimit, _ = parseSize(str("gomemlimit"))

	// Profiles, sorted by name for stable output.
	var names []string
	for k := range vals {
		if strings.HasPrefix(k, profilePrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		scopes := strings.Fields(vals[k].text)
		if len(scopes) == 0 {
			bad(k, "empty scope list (want e.g. https://graph.microsoft.com/.default)")
			continue
		}
		c.Profiles = append(c.Profiles, Profile{Name: strings.TrimPrefix(k, profilePrefix), Scopes: scopes})
	}

	// Rules across keys.
	if c.ClientID == "" {
		problems = append(problems, "client-id: missing (the application id of a public client app registration)")
	}
	if c.Tenant == "" && c.Issuer == "" && (c.DeviceEndpoint == "" || c.TokenEndpoint == "") {
		problems = append(problems, "tenant: missing (set tenant, or issuer, or both device-endpoint and token-endpoint)")
	}
	if c.Tenant != "" && c.Issuer != "" {
		bad("issuer", "set either tenant (Entra ID) or issuer (generic provider), not both")
	}
	if (c.DeviceEndpoint == "") != (c.TokenEndpoint == "") {
		k := "device-endpoint"
		if c.DeviceEndpoint != "" {
			k = "token-endpoint"
		}
		problems = append(problems, k+": missing (device-endpoint and token-endpoint go together)")
	}
	switch strings.ToLower(c.Tenant) {
	case "organizations":
		if !c.AllowMultiTenant {
			bad("tenant", "%q signs in an account of any work or school tenant; use your tenant id or domain, or set allow-multi-tenant = true", c.Tenant)
		}
	case "common", "consumers":
		if !c.AllowMultiTenant {
			bad("tenant", "%q cannot sign a device in alone; use your tenant id or domain, or set allow-multi-tenant = true", c.Tenant)
		}
	}
	if strings.Contains(c.AuthorityHost, "://") {
		// A base URL, for a local test server (devicecode allows plain http
		// on loopback only).
		if msg := checkKind(&setting{kind: kURL}, c.AuthorityHost); msg != "" {
			bad("authority-host", "%s", msg)
		}
	} else if strings.ContainsAny(c.AuthorityHost, "/: ") {
		bad("authority-host", "want a host name like login.microsoftonline.com")
	}
	if len(c.Profiles) == 0 {
		problems = append(problems, "profile: no token profile (add e.g. profile.graph = https://graph.microsoft.com/.default)")
	}
	if c.Cache == "" {
		bad("cache", "must not be empty")
	}
	if d, err := time.ParseDuration(str("idle-wait")); err == nil && d < time.Minute {
		// It is the long back-off that keeps an unattended or blocked
		// board from polling the provider; 0 would mean no rest at all.
		bad("idle-wait", "want at least 1m: it is the rest an unattended or blocked board takes from the provider, got %s", str("idle-wait"))
	}
	if (c.MQTTCertFile == "") != (c.MQTTKeyFile == "") {
		problems = append(problems, "mqtt-cert-file, mqtt-key-file: set both or neither")
	}
	c.MQTTPasswordFile = str("mqtt-password-file")
	if st, err := os.Stat(c.MQTTPasswordFile); c.MQTTPasswordFile != "" && err == nil && st.Mode().Perm()&0o007 != 0 {
		bad("mqtt-password-file", "%s is readable or writable by others: chmod o-rwx it", c.MQTTPasswordFile)
	}
	if c.DisplayW > 0 && isTextKind(c.Display) && (c.DisplayW > maxTextCols || c.DisplayH > maxTextRows) {
		bad("display-size", "%s is a character panel: want COLSxROWS up to %dx%d, like 16x2 or 20x4", c.Display, maxTextCols, maxTextRows)
	} else if c.DisplayW > 0 && isTextKind(c.Display) {
		if err := board.CheckTextSize(c.Display, c.DisplayW, c.DisplayH); err != nil {
			bad("display-size", "%s", strings.TrimPrefix(err.Error(), "board: "))
		}
	}
	if c.ButtonPin != "" {
		// The button is watched on its own GPIO line: one the panel needs
		// would fail either the panel or the button at start.
		for role, pin := range board.PanelPins(panelConfig(c)) {
			if samePin(pin, c.ButtonPin) {
				bad("button-pin", "%s is the %s pin of display %s; wire the button to another GPIO (GPIO26 is free on the supported HATs)", c.ButtonPin, role, c.Display)
			}
		}
	}
	if c.MQTTPrefix != "" && (strings.ContainsAny(c.MQTTPrefix, "#+") || strings.HasSuffix(c.MQTTPrefix, "/") || strings.HasPrefix(c.MQTTPrefix, "/")) {
		bad("mqtt-prefix", "want topic levels without wildcards and without a leading or trailing /")
	}
	return c, problems
}

// checkKind returns what is wrong with text for setting s, or "".
func checkKind(s *setting, text string) string {
	switch s.kind {
	case kURL:
		u, err := url.Parse(text)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Sprintf("want an absolute https:// URL, got %q", text)
		}
	case kBroker:
		if text == "none" {
			return ""
		}
		u, err := url.Parse(text)
		if err != nil || u.Host == "" {
			return fmt.Sprintf("want a broker URL like tcp://localhost:1883 or ssl://host:8883, or none; got %q", text)
		}
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			return fmt.Sprintf("unknown scheme %q (want tcp, ssl, mqtts, ws or wss)", u.Scheme)
		}
	case kBool:
		if _, err := strconv.ParseBool(text); err != nil {
			return fmt.Sprintf("want true or false, got %q", text)
		}
	case kInt:
		if n, err := strconv.Atoi(text); err != nil || n < 0 {
			return fmt.Sprintf("want a whole number >= 0, got %q", text)
		}
	case kAddr:
		if _, err := parseAddr(text); err != nil {
			return fmt.Sprintf("want an I2C address like 0x3c (0 = probe), got %q", text)
		}
	case kDuration:
		if d, err := time.ParseDuration(text); err != nil || d < 0 {
			return fmt.Sprintf("want a duration like 90s, 5m or 1h, got %q", text)
		}
	case kSize:
		if _, err := parseSize(text); err != nil {
			return fmt.Sprintf("want a size like 16MiB or off, got %q", text)
		}
	case kEnum:
		allowed := s.enum
		if s.key == "display" {
			allowed = displayNames
		}
		for _, a := range allowed {
			if a == text {
				return ""
			}
		}
		return fmt.Sprintf("unknown value %q (want one of %s)", text, strings.Join(allowed, ", "))
	case kDims:
		if _, _, err := parseDims(text); err != nil {
			return fmt.Sprintf("want WIDTHxHEIGHT with each number 1 to %d, like 128x32 or 20x4; got %q", maxDim, text)
		}
	case kRange:
		if n, err := strconv.Atoi(text); err != nil || n < s.lo || n > s.hi {
			return fmt.Sprintf("want a whole number from %d to %d, got %q", s.lo, s.hi, text)
		}
	case kHostName:
		if !validHostName(text) {
			return fmt.Sprintf("want a host name or IP address like broker.example.com (no scheme, port or path), got %q", text)
		}
	case kPath:
		if _, err := os.Stat(text); err != nil {
			return fmt.Sprintf("cannot use %s: %v", text, unwrapPath(err))
		}
	}
	return ""
}

// samePin reports whether two GPIO names name one pin: "GPIO27",
// "gpio27" and "27" do.
func samePin(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToUpper(strings.TrimSpace(s))
		return strings.TrimPrefix(s, "GPIO")
	}
	return norm(a) == norm(b)
}

// parseDims reads WIDTHxHEIGHT (an upper-case X is accepted too).
func parseDims(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, errors.New("bad size")
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	// Atoi takes a sign: "+16" or "-2" are not sizes.
	if err1 != nil || err2 != nil || w < 1 || h < 1 || w > maxDim || h > maxDim || ws[0] == '+' || hs[0] == '+' {
		return 0, 0, errors.New("bad size")
	}
	return w, h, nil
}

// validHostName accepts what crypto/tls can match against a certificate: a
// DNS name (letters, digits, -, . and _ in labels of 1 to 63 bytes) or an IP
// address. Anything with a scheme, port, path or space is a mistake.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if ip := strings.Trim(s, "[]"); strings.Contains(ip, ":") {
		return net.ParseIP(ip) != nil && ip == s // a bare IPv6 address
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
				return false
			}
		}
	}
	return true
}

func parseAddr(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 0, 16)
	if err != nil || n > 0x7f {
		return 0, errors.New("bad address")
	}
	return uint16(n), nil
}

// parseSize reads "off", a byte count, or a number with a KiB/MiB/GiB (or
// KB/MB/GB, taken as powers of two like GOMEMLIMIT) suffix.
func parseSize(s string) (int64, error) {
	if s == "off" || s == "0" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, errors.New("bad size")
	}
	return n * mult, nil
}

// parseFlags parses the setting flags (every key of the table except the
// environment-only ones, plus -profile.NAME=scopes) and returns those given,
// and the remaining arguments.
func parseFlags(args []string, usage io.Writer) (vals, profiles map[string]value, rest []string, err error) {
	fs := flag.NewFlagSet("boardlogin", flag.ContinueOnError)
	fs.SetOutput(usage)
	for _, s := range settings {
		if s.noFlag {
			continue
		}
		fs.String(s.key, s.def, s.usage)
	}
	fs.Usage = func() {
		fmt.Fprintln(usage, "usage: boardlogin [run|demo|token [profile]|status|logout|config check|version] [flags]")
		fmt.Fprintln(usage, "Every flag is also a key of the config file and a "+envPrefix+"KEY environment variable.")
		fmt.Fprintln(usage, "  -profile.NAME scopes\n    \ttoken profile: a space-separated scope list, published at <prefix>/token/NAME")
		fs.PrintDefaults()
	}
	// -profile.NAME=value cannot be declared ahead: take those out first.
	profiles = map[string]value{}
	var left []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			left = append(left, args[i:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		if len(name) == len(a) || !strings.HasPrefix(name, profilePrefix) {
			left = append(left, a)
			continue
		}
		k, v, hasEq := strings.Cut(name, "=")
		if !hasEq {
			if i+1 >= len(args) {
				return nil, nil, nil, usageError{fmt.Sprintf("flag -%s needs a scope list", k)}
			}
			i++
			v = args[i]
		}
		if p := checkProfileName(strings.TrimPrefix(k, profilePrefix)); p != "" {
			return nil, nil, nil, usageError{fmt.Sprintf("flag -%s: %s", k, p)}
		}
		profiles[k] = value{text: v, src: "flag -" + k}
	}
	if err := fs.Parse(left); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, nil, errHelp
		}
		return nil, nil, nil, usageError{err.Error()}
	}
	vals = map[string]value{}
	fs.Visit(func(f *flag.Flag) {
		vals[f.Name] = value{text: f.Value.String(), src: "flag -" + f.Name}
	})
	return vals, profiles, fs.Args(), nil
}

// errHelp is returned for -h; run prints nothing more and exits 0.
var errHelp = errors.New("help requested")
