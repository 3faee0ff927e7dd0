package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lockHelperEnv carries the cache path to TestLockHelperProcess, which takes
// the writer lock, says "locked" and waits to be killed.
const lockHelperEnv = "BOARDLOGIN_TOKENCACHE_LOCK_HELPER"

func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		return
	}
	if _, err := New(path).Lock(); err != nil {
		fmt.Fprintln(os.Stderr, "helper: lock:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // never outlive the test for long
	os.Exit(3)
}

// One writer per cache: a second Lock is refused with ErrInUse naming the
// holder, and succeeds once the first is released.
func TestLockExcludesSecondWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state") // Lock creates the folder
	path := filepath.Join(dir, "cache.cbor")
	release, err := New(path).Lock()
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("Lock made the folder %v, %v; want mode 0700", info, err)
	}
	lockInfo, err := os.Stat(filepath.Join(dir, ".cache.cbor.lock"))
	if err != nil || lockInfo.Mode().Perm() != 0o600 {
		t.Fatalf("lock file %v, %v; want mode 0600", lockInfo, err)
	}

	_, err = New(path).Lock()
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Lock: %v; want ErrInUse", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) || strings.Contains(msg, "\n") {
		t.Errorf("second Lock says %q; want one line naming %s and pid %d", msg, path, os.Getpid())
	}

	if err := release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	release2, err := New(path).Lock()
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	release2()
}

// The lock does not get in the way of the cache itself: readers and the
// holder's Saves go on, and neither Load's clean-up of temporary files nor
// Remove (sign-out) deletes the lock file a running writer holds.
func TestLockLeavesTheCacheAlone(t *testing.T) {
	f, path := newFile(t)
	release, err := f.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := f.Save(sample()); err != nil {
		t.Fatalf("Save while holding the lock: %v", err)
	}
	if s, err := New(path).Load(); err != nil || s == nil {
		t.Fatalf("Load by a reader while the lock is held: %v, %v", s, err)
	}
	if err := New(path).Remove(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(filepath.Dir(path), ".cache.cbor.lock")
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("the lock file is gone after Load and Remove: %v", err)
	}
	if _, err := New(path).Lock(); !errors.Is(err, ErrInUse) {
		t.Fatalf("Lock after Remove: %v; want ErrInUse: the holder is still running", err)
	}
}

// Hostile lock paths: a symbolic link is not followed and a folder or FIFO
// is refused, each with an error that says what to remove.
func TestLockRefusesHostilePaths(t *testing.T) {
	tests := []struct {
		name  string
		plant func(lock string) error
	}{
		{"symlink", func(lock string) error {
			target := filepath.Join(filepath.Dir(lock), "elsewhere")
			if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
				return err
			}
			return os.Symlink(target, lock)
		}},
		{"folder", func(lock string) error { return os.Mkdir(lock, 0o700) }},
		{"fifo", func(lock string) error { return syscall.Mkfifo(lock, 0o600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, path := newFile(t)
			lock := filepath.Join(filepath.Dir(path), ".cache.cbor.lock")
			if err := tt.plant(lock); err != nil {
				t.Fatal(err)
			}
			release, err := New(path).Lock()
			if err == nil {
				release()
				t.Fatal("Lock accepted a planted lock path")
			}
			if msg := err.Error(); !strings.Contains(msg, lock+" is not a regular file: remove it") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and saying to remove it", msg, lock)
			}
			if tt.name == "symlink" {
				if b, err := os.ReadFile(filepath.Join(filepath.Dir(lock), "elsewhere")); err != nil || string(b) != "keep" {
					t.Errorf("the symlink's target was touched: %q, %v", b, err)
				}
			}
		})
	}
}

// A writer that dies (SIGKILL, power cut) leaves no stale lock: the next
// agent takes it at once. While it lived, the refusal named its pid.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.cbor")
	cmd, said, stderr := startHelper(t, "TestLockHelperProcess", lockHelperEnv+"="+path)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	select {
	case line := <-said:
		if line != "locked" {
			t.Fatalf("helper said %q; stderr: %s", line, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the helper did not take the lock; stderr: %s", stderr.String())
	}

	_, err := New(path).Lock()
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("Lock while the helper (pid %d) holds it: %v", cmd.Process.Pid, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	release, err := New(path).Lock()
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	release()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lock created the cache file itself: %v", err)
	}
}
