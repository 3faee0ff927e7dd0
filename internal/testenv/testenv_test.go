package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

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

// BuildProgram builds a main package for the test binary's architecture,
// once: the second call returns the same path without building again.
func TestBuildProgramBuildsOnceForThisArchitecture(t *testing.T) {
	bin := BuildProgram(t, "github.com/boardlogin/boardlogin/cmd/agent", "nodemo")
	st, err := os.Stat(bin)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("BuildProgram returned %q (%v), not an executable", bin, err)
	}
	if again := BuildProgram(t, "github.com/boardlogin/boardlogin/cmd/agent", "nodemo"); again != bin {
		t.Fatalf("second BuildProgram = %q, want the memoized %q", again, bin)
	}
	out, err := CombinedOutput(func() *exec.Cmd { return Command(bin, "version") })
	if err != nil || !strings.HasPrefix(string(out), "boardlogin ") {
		t.Fatalf("built binary: version = %q, %v", out, err)
	}
}

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			for j := 0; j < 100; j++ {
				b.Write([]byte("x"))
			}
			done <- struct{}{}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if n := len(b.String()); n != 400 {
		t.Fatalf("len = %d, want 400", n)
	}
}
