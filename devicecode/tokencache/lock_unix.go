//go:build unix

package tokencache

import (
	"errors"
	"os"
	"syscall"
)

// A Save holds an flock(2) on its temporary file until the rename. Load and
// Remove delete only temporary files they can lock, so a second process
// (the agent's token or status command) never deletes the file a running
// agent is writing, while the file of a writer that died is free: the kernel
// drops a lock when its holder's descriptors close, crash or not.

// lockTemp locks a freshly created temporary file. It reports false when the
// file was already removed by a cleaner that got to it between its creation
// and the lock; the caller then starts again with a new file. A file system
// without flock support is written unlocked.
func lockTemp(f *os.File) (ok bool) {
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return !errors.Is(err, syscall.EWOULDBLOCK)
	}
	var st syscall.Stat_t
	if err := fstat(f, &st); err != nil {
		return true
	}
	return st.Nlink > 0
}

// staleTemp opens the temporary file at path and locks it when no writer
// holds it. The caller removes the file and then calls release.
func staleTemp(path string) (release func(), stale bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, false
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), how) }); err != nil {
		return err
	}
	return ferr
}

func fstat(f *os.File, st *syscall.Stat_t) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), st) }); err != nil {
		return err
	}
	return serr
}
