package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// builds memoizes BuildProgram per package and tags for the life of the test
// process: end-to-end tests in one package share one binary.
var builds sync.Map // key string -> *build

type build struct {
	once sync.Once
	path string
	err  error
}

// BuildProgram builds the main package at importPath with the given build
// tags, for the architecture of the running test binary (GOARCH and the
// GOARM, GOARM64 or GOAMD64 it was built with), static (CGO_ENABLED=0), and
// returns the binary's path. Start it with Command, which adds the emulator
// when the suite runs under qemu-user. The binary is built once per test
// process; a package that builds one calls RemoveBuilds from its TestMain.
func BuildProgram(t testing.TB, importPath string, tags ...string) string {
	t.Helper()
	key := importPath + " " + strings.Join(tags, ",")
	v, _ := builds.LoadOrStore(key, &build{})
	b := v.(*build)
	b.once.Do(func() { b.path, b.err = goBuild(importPath, tags) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// ReleaseTags returns the build tags of a release (build/arm/release-tags),
// so end-to-end tests run the binary users get: without the demo, and with
// net/http built as the release builds it.
func ReleaseTags(t testing.TB) []string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the test's directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "build", "arm", "release-tags"))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(b)), ",")
}

// RemoveBuilds deletes every binary BuildProgram built in this process.
func RemoveBuilds() {
	builds.Range(func(_, v any) bool {
		if b := v.(*build); b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
		return true
	})
}

func goBuild(importPath string, tags []string) (string, error) {
	dir, err := os.MkdirTemp("", "testenv-build-")
	if err != nil {
		return "", fmt.Errorf("testenv: %v", err)
	}
	bin := filepath.Join(dir, filepath.Base(importPath))
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	env := append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOARM", "GOARM64", "GOAMD64":
				env = append(env, s.Key+"="+s.Value)
			}
		}
	}
	out, err := CombinedOutput(func() *exec.Cmd {
		cmd := exec.Command("go", append(args, importPath)...)
		cmd.Env = env
		return cmd
	})
	if err != nil {
		return "", fmt.Errorf("testenv: go build %s: %v\n%s", importPath, err, out)
	}
	return bin, nil
}

// Buffer is a bytes.Buffer that a child process's output and a test may
// use at the same time.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
