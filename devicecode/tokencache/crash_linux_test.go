package tokencache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

// crashHelperEnv carries the cache path to the helper process; its presence
// is what makes TestHelperProcess act as the writer.
const crashHelperEnv = "BOARDLOGIN_TOKENCACHE_CRASH_HELPER"

// crashIterationsEnv overrides the number of kills, for a long soak:
// BOARDLOGIN_TOKENCACHE_CRASH_ITERATIONS=10000 go test -run TestCrashSafety
const crashIterationsEnv = "BOARDLOGIN_TOKENCACHE_CRASH_ITERATIONS"

// generation returns snapshot number g. Sizes vary from one generation to
// the next (1 to 5 profiles, tokens of 200 to 1,700 bytes), so a torn or
// truncated file could not pass for either neighbour.
func generation(g int) *Snapshot {
	s := &Snapshot{
		ClientID:     "gen-" + strconv.Itoa(g),
		Authority:    "https://login.example.test/token",
		Account:      Account{Username: "board@example.test", ObjectID: strconv.Itoa(g * 7)},
		RefreshToken: fmt.Sprintf("rt-%d-%s", g, strings.Repeat("r", (g*131)%900)),
		AccessTokens: map[string]AccessToken{},
	}
	for p := range 1 + g%5 {
		s.AccessTokens["profile-"+strconv.Itoa(p)] = AccessToken{
			Token:     fmt.Sprintf("at-%d-%d-%s", g, p, strings.Repeat("a", 200+(g*37+p*101)%1500)),
			TokenType: "Bearer",
			Scopes:    []string{"scope-" + strconv.Itoa(p), "openid"},
			ExpiresAt: time.Unix(int64(1_700_000_000+g), 0).UTC(),
			RefreshAt: time.Unix(int64(1_700_000_000+g/2), 0).UTC(),
		}
	}
	return s
}

func generationOf(t *testing.T, s *Snapshot) int {
	if s == nil {
		return 0
	}
	g, err := strconv.Atoi(strings.TrimPrefix(s.ClientID, "gen-"))
	if err != nil {
		t.Fatalf("not a generation: client id %q", s.ClientID)
	}
	return g
}

// TestHelperProcess is the writer killed by TestCrashSafety. Run directly it
// does nothing. As a helper it loads the cache, prints "ready N" (N the
// generation found), then saves generations N+1, N+2, ... as fast as it can,
// printing each number and how long its Save took (µs) once Save has
// returned, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		return
	}
	f := New(path)
	s, err := f.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: load:", err)
		os.Exit(2)
	}
	g := generationOf(t, s)
	fmt.Printf("ready %d\n", g)
	// Never outlive the test for long, whatever happens to the parent.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		g++
		start := time.Now()
		if _, err := f.Save(generation(g)); err != nil {
			fmt.Fprintln(os.Stderr, "helper: save:", err)
			os.Exit(2)
		}
		// Unbuffered: in the pipe before the next Save starts.
		fmt.Printf("%d %d\n", g, time.Since(start).Microseconds())
	}
	os.Exit(3)
}

// startHelper runs the test function name of this test binary as a child
// process (under the emulator when the tests run under one) with env added
// to its environment. It returns the running command, its stdout lines
// (closed when it ends) and its stderr. The child dies with the test.
func startHelper(t *testing.T, name, env string) (cmd *exec.Cmd, lines <-chan string, stderr *bytes.Buffer) {
	t.Helper()
	var out io.ReadCloser
	cmd = testenv.Start(t, func() *exec.Cmd {
		c := testenv.SelfCommand(t, "-test.run=^"+name+"$", "-test.count=1")
		c.Env = append(os.Environ(), env)
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stderr = new(bytes.Buffer)
		c.Stderr = stderr
		var err error
		if out, err = c.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
		return c
	})
	ch := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return cmd, ch, stderr
}

// TestCrashSafety kills a writing process with SIGKILL at random points,
// hundreds of times, and checks after each kill that the cache decodes to
// exactly the last generation the writer finished or the one it was writing,
// never anything else, and that the next Load clears temporary files.
//
// The kill lands at a random point of a Save: the test waits for the
// helper's first Save to finish (so start-up, which is slow under qemu, does
// not eat the delay), then sleeps a random time up to twice the measured
// duration of a Save.
func TestCrashSafety(t *testing.T) {
	iterations := 300
	switch {
	case os.Getenv(crashIterationsEnv) != "":
		n, err := strconv.Atoi(os.Getenv(crashIterationsEnv))
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", crashIterationsEnv, os.Getenv(crashIterationsEnv))
		}
		iterations = n
	case len(testenv.Emulator()) > 0:
		// Under qemu-user each start of the helper costs ~100 ms instead
		// of ~5 ms; 50 kills still land in every phase of a Save.
		iterations = 50
	case raceEnabled:
		// The race detector finds nothing in a one-goroutine writer but
		// makes each start of it several times slower.
		iterations = 200
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	path := filepath.Join(t.TempDir(), "cache.cbor")

	want := 0                    // generation on disk; 0: no file
	saveTime := time.Millisecond // running estimate of one Save
	var sawNew, sawTemp, sawWrites int
	for i := range iterations {
		cmd, lines, stderr := startHelper(t, "TestHelperProcess", crashHelperEnv+"="+path)
		select {
		case ready, ok := <-lines:
			if !ok || ready != "ready "+strconv.Itoa(want) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("iteration %d: helper said %q, want %q; stderr: %s", i, ready, "ready "+strconv.Itoa(want), stderr.String())
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("iteration %d: the helper did not start; stderr: %s", i, stderr.String())
		}
		finished := want
		// parse reads "generation micros" and records it.
		parse := func(line string) {
			gs, us, ok := strings.Cut(line, " ")
			n, err1 := strconv.Atoi(gs)
			d, err2 := strconv.Atoi(us)
			if !ok || err1 != nil || err2 != nil || n != finished+1 {
				t.Fatalf("iteration %d: helper printed %q after generation %d; stderr: %s", i, line, finished, stderr.String())
			}
			finished = n
			saveTime = (3*saveTime + time.Duration(d)*time.Microsecond) / 4
		}
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("iteration %d: the helper stopped; stderr: %s", i, stderr.String())
			}
			parse(line)
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("iteration %d: the helper's first Save did not finish; stderr: %s", i, stderr.String())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(2*saveTime) + 1)))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill: %v", err)
		}
		cmd.Wait() // "signal: killed" is the expected outcome
		for line := range lines {
			parse(line)
		}
		if stderr.Len() > 0 {
			t.Fatalf("iteration %d: helper failed: %s", i, stderr.String())
		}
		sawWrites += finished - want

		temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".cache.cbor.tmp-*"))
		if len(temps) > 1 {
			t.Fatalf("iteration %d: %d temporary files, a single writer leaves at most one", i, len(temps))
		}
		sawTemp += len(temps)

		// The restart.
		s, err := New(path).Load()
		if err != nil {
			t.Fatalf("iteration %d: Load after the kill: %v", i, err)
		}
		got := generationOf(t, s)
		if got != finished && got != finished+1 {
			t.Fatalf("iteration %d: the file holds generation %d; the writer had finished %d", i, got, finished)
		}
		if got > 0 && !reflect.DeepEqual(s, generation(got)) {
			t.Fatalf("iteration %d: generation %d does not decode to what was written", i, got)
		}
		if got == finished+1 {
			sawNew++
		}
		if temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".cache.cbor.tmp-*")); len(temps) != 0 {
			t.Fatalf("iteration %d: Load left %d temporary files", i, len(temps))
		}
		want = got
	}
	t.Logf("%d kills, %d completed saves of about %v; killed after the rename but before Save returned: %d; temporary file left by the kill: %d",
		iterations, sawWrites, saveTime, sawNew, sawTemp)
}
