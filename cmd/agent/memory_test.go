package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

var trimSink []byte

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The trimmer leaves the runtime's first collection to the runtime, and
// trims at every call once there has been one.
func TestMemTrimmerWaitsForTheFirstCollection(t *testing.T) {
	m := newMemTrimmer(discardLog())
	calls := 0
	m.free = func() { calls++ }
	m.release = func() (int64, error) { return 0, nil }
	// The test binary may have collected already; the trimmer only learns
	// of a collection after its own start.
	if m.maybeTrim() || calls != 0 {
		t.Fatalf("trimmed before any collection since it started (calls %d)", calls)
	}
	// A cleanup runs on its own goroutine after the collection.
	deadline := time.Now().Add(5 * time.Second)
	for !m.collected.Load() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if !m.maybeTrim() || !m.maybeTrim() || calls != 2 {
		t.Fatalf("after a collection: calls %d, want a trim at each of 2 calls", calls)
	}
}

// The real trim collects and hands the freed pages back to the kernel:
// afterwards the garbage is gone from the heap and the heap keeps almost no
// free pages resident. It runs in a child process of its own: in this one,
// other tests' leftovers (brokers, servers, exiting goroutines) free spans
// and stacks at any time and muddle the heap's figures.
func TestMemTrimmerReleasesFreedMemory(t *testing.T) {
	const child = "BOARDLOGIN_TEST_TRIM_CHILD"
	if os.Getenv(child) == "" {
		out, err := testenv.Output(t, func() *exec.Cmd {
			c := testenv.SelfCommand(t, "-test.run=^TestMemTrimmerReleasesFreedMemory$", "-test.count=1", "-test.v")
			c.Env = append(os.Environ(), child+"=1")
			return c
		})
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestMemTrimmerReleasesFreedMemory")) {
			t.Fatalf("the trim in a process of its own: %v\n%s", err, out)
		}
		return
	}
	// No collection of the runtime's own between making the garbage and the
	// trim (the trim's collection runs with the collector off, as
	// runtime.GC does).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	read := func() (objects, free uint64) {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64()
	}
	m := newMemTrimmer(discardLog())
	m.collected.Store(true)
	// One large object, every page written, so it is resident.
	trimSink = make([]byte, 8<<20)
	for i := 0; i < len(trimSink); i += 4096 {
		trimSink[i] = 1
	}
	objectsBefore, _ := read()
	trimSink = nil
	if !m.maybeTrim() {
		t.Fatal("no trim after a collection")
	}
	objects, free := read()
	if objects+6<<20 > objectsBefore {
		t.Errorf("heap objects %d bytes before the trim, %d after: the 8 MiB of garbage was not collected", objectsBefore, objects)
	}
	if free > 1<<20 {
		t.Errorf("%d bytes of free heap pages still resident after the trim, want under 1 MiB", free)
	}
}

// The supervisor trims before it sleeps: after publishing (until the next
// refresh), once a code is shown (before the first poll) and when it goes
// idle; not while it works (requesting a code, polling, refreshing).
func TestSupervisorTrimsAfterPublishing(t *testing.T) {
	tr := &trace{}
	clk := &fakeClock{tr: tr, now: t0}
	script := []call{{op: "silent", err: errNeedsSignIn}, {op: "code"},
		{op: "poll", sess: sess(t0, time.Hour, "AT1"), advance: time.Minute},
		{op: "silent", sess: sess(t0.Add(55*time.Minute), time.Hour, "AT2")}}
	got := runSupervisor(t, script, supervisorOpts{RefreshMargin: 5 * time.Minute, RetryMin: time.Second, RetryMax: time.Minute},
		clk, tr, func(s *supervisor) { s.trim = func() { tr.add("trim") } })
	want := []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "trim", "poll -> ok",
		"token graph AT1", "view signed-in ada@example.test", "state signed_in", "trim", "wait 54m0s",
		"silent -> ok", "token graph AT2", "view signed-in ada@example.test", "state signed_in", "trim", "wait 55m0s",
		"silent: end of script", "clear graph"}
	// The supervisor's start and stop lines are not this test's business.
	got = slices.DeleteFunc(got, func(l string) bool {
		return l == "view starting" || l == "state starting" || l == "view stopped boardlogin stopped" || l == "offline"
	})
	if !slices.Equal(got, want) {
		t.Errorf("trace:\n got %q\nwant %q", got, want)
	}

	tr = &trace{}
	clk = &fakeClock{tr: tr, now: t0}
	script = []call{{op: "silent", err: errNeedsSignIn}, {op: "code"}, {op: "poll", err: errExpired},
		{op: "code"}, {op: "poll", err: errExpired}, {op: "code"}}
	got = runSupervisor(t, script, supervisorOpts{MaxUnusedCodes: 2, IdleWait: time.Hour, RetryMin: time.Second, RetryMax: time.Minute},
		clk, tr, func(s *supervisor) { s.trim = func() { tr.add("trim") } })
	want = []string{"silent -> no refresh token", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "trim", "poll -> code expired",
		"code -> ok", "view code WDJB-MJHT", "state awaiting_user", "trim", "poll -> code expired",
		"view idle 2 codes expired unused: press the button for a new code", "state error 2 codes expired unused: press the button for a new code",
		"trim", "wait 1h0m0s", "code -> ok", "view code WDJB-MJHT", "state awaiting_user", "trim", "poll: end of script"}
	got = slices.DeleteFunc(got, func(l string) bool {
		return l == "view starting" || l == "state starting" || l == "view stopped boardlogin stopped" || l == "offline"
	})
	if !slices.Equal(got, want) {
		t.Errorf("idle trace:\n got %q\nwant %q", got, want)
	}
}

// Code pages are released at every quiet moment, before and after the
// runtime's first collection, and a failure to release them changes
// nothing else.
func TestMemTrimmerReleasesCodeAtEveryCall(t *testing.T) {
	var logs bytes.Buffer
	m := newMemTrimmer(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	var order []string
	m.free = func() { order = append(order, "free") }
	m.release = func() (int64, error) { order = append(order, "release"); return 3 << 20, nil }
	m.maybeTrim()
	m.collected.Store(true)
	m.maybeTrim()
	// The heap trim's collection reads the function tables: it goes first.
	if want := []string{"release", "free", "release"}; !slices.Equal(order, want) {
		t.Fatalf("calls %q, want %q", order, want)
	}
	if !strings.Contains(logs.String(), "released code pages") || !strings.Contains(logs.String(), "kB=3072") {
		t.Errorf("log: %s", logs.String())
	}
	logs.Reset()
	m.release = func() (int64, error) { order = append(order, "release"); return 0, errors.ErrUnsupported }
	if !m.maybeTrim() || len(order) != 5 {
		t.Fatalf("after a failed release: trimmed false or calls %q", order)
	}
	if !strings.Contains(logs.String(), "level=DEBUG msg=\"code pages stay resident\" err=\"unsupported operation\"") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestApplyGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	for _, tt := range []struct {
		env  string
		want int
	}{
		{"", defaultGCPercent}, // the agent's default
		{"200", 100},           // GOGC set: what the runtime applied stays
	} {
		t.Setenv("GOGC", tt.env)
		debug.SetGCPercent(100)
		applyGCPercent(discardLog())
		if got := debug.SetGCPercent(100); got != tt.want {
			t.Errorf("GOGC=%q: collector target %d, want %d", tt.env, got, tt.want)
		}
	}
}
