package testenv

import (
	"os"
	"strings"
	"testing"
)

func TestLookPathFindsShell(t *testing.T) {
	if LookPath("sh") == "" {
		t.Fatal("LookPath(sh) found nothing; every Debian machine has /bin/sh")
	}
	if p := LookPath("no-such-program-boardlogin"); p != "" {
		t.Fatalf("LookPath of a missing program = %q, want empty", p)
	}
}

func TestCommandPrefixesEmulator(t *testing.T) {
	tests := []struct {
		name, env string
		want      []string
	}{
		{"native", "", []string{"/bin/prog", "-x"}},
		{"qemu", "qemu-arm-static", []string{"qemu-arm-static", "/bin/prog", "-x"}},
		{"qemu with flags", "qemu-arm-static -cpu arm1176", []string{"qemu-arm-static", "-cpu", "arm1176", "/bin/prog", "-x"}},
	}
	old, had := os.LookupEnv(ExecEnv)
	t.Cleanup(func() {
		if had {
			os.Setenv(ExecEnv, old)
		} else {
			os.Unsetenv(ExecEnv)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Setenv(ExecEnv, tt.env)
			cmd := Command("/bin/prog", "-x")
			if got := strings.Join(cmd.Args, " "); got != strings.Join(tt.want, " ") {
				t.Fatalf("args = %q, want %q", got, strings.Join(tt.want, " "))
			}
		})
	}
}
