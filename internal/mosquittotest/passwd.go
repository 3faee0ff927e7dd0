package mosquittotest

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
)

// passwordIterations is mosquitto_passwd's default PBKDF2 iteration count.
const passwordIterations = 101

// passwordLine returns one line of a Mosquitto 2.0 password file for user:
// "user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>", the format
// mosquitto_passwd writes. Generating it here avoids running mosquitto_passwd
// once per user and keeps passwords off every command line.
func passwordLine(user, password string, salt []byte) (string, error) {
	if user == "" || strings.ContainsAny(user, ":\n") {
		return "", fmt.Errorf("mosquittotest: user name %q must be non-empty without ':' or newline", user)
	}
	key, err := pbkdf2.Key(sha512.New, password, salt, passwordIterations, sha512.Size)
	if err != nil {
		return "", fmt.Errorf("mosquittotest: pbkdf2: %w", err)
	}
	return fmt.Sprintf("%s:$7$%d$%s$%s", user, passwordIterations,
		base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(key)), nil
}

// passwordFile renders a whole password file, users sorted for stable output.
func passwordFile(users map[string]string) (string, error) {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, u := range names {
		salt := make([]byte, 12)
		rand.Read(salt)
		line, err := passwordLine(u, users[u], salt)
		if err != nil {
			return "", err
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
