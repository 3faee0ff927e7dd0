// Package testenv gives tests one way to find the services and programs they
// need, and to run binaries built for the architecture under test.
//
// Tests in this repository never skip because a service is missing: a missing
// Mosquitto, Node.js package or Chromium is a failure that says how to install
// it. ./scripts/test installs all of them on a Debian machine.
//
// When the suite runs for another architecture under qemu-user
// (go test -exec qemu-arm-static), binfmt is not registered, so a test binary
// cannot exec another binary built for that architecture directly.
// ./scripts/test sets BOARDLOGIN_TEST_EXEC to the emulator; Command and
// SelfCommand put it in front of the program.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ExecEnv names the environment variable that holds the emulator (and its
// arguments, space separated) used to run target-architecture binaries.
const ExecEnv = "BOARDLOGIN_TEST_EXEC"

// sbinDirs are searched after PATH: Debian installs daemons such as
// mosquitto in /usr/sbin, which is not in every user's PATH.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// LookPath finds a program in PATH or in the sbin folders. It returns "" when
// the program is not installed.
func LookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// RequireCommand returns the path of a host program the test needs, or fails
// the test with what to install. It never skips: a test that needs a service
// must fail where the service is missing.
func RequireCommand(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p := LookPath(name)
	if p == "" {
		t.Fatalf("%s is not installed: run ./scripts/test (it installs it) or apt-get install %s", name, debianPackage)
	}
	return p
}

// Emulator returns the emulator command line from BOARDLOGIN_TEST_EXEC, or nil
// when binaries run natively.
func Emulator() []string {
	return strings.Fields(os.Getenv(ExecEnv))
}

// Command returns a command that runs a binary built for the architecture
// under test (GOARCH of the test binary), through the emulator when one is
// set.
func Command(program string, args ...string) *exec.Cmd {
	if emu := Emulator(); len(emu) > 0 {
		full := append(append(emu[1:len(emu):len(emu)], program), args...)
		return exec.Command(emu[0], full...)
	}
	return exec.Command(program, args...)
}

// SelfCommand returns a command that runs the current test binary again with
// the given arguments (typically -test.run=^TestHelperProcess$), through the
// emulator when one is set.
func SelfCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("testenv: cannot find the test binary: %v", err)
	}
	return Command(self, args...)
}
