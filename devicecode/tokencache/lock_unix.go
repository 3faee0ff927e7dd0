//go:build unix

package tokencache

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
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

// Lock takes the cache's writer lock, an flock(2) on a hidden file beside
// the cache (.NAME.lock, mode 0600), and returns the function that releases
// it. The kernel releases it too when the process ends, crash or not, so a
// lock is never left stale. While it is held, Lock on the same path by any
// other process (or another File in this one) returns an error wrapping
// ErrInUse that names the holder's pid. The folder is created (mode 0700)
// when missing. On a file system without flock(2) the lock is not enforced.
//
// Load and Save do not take the lock: readers never need it, and a writer
// that holds it is the only writer.
func (f *File) Lock() (release func() error, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mkdir(); err != nil {
		return nil, err
	}
	name := f.lockPath()
	// O_NOFOLLOW: a symbolic link planted at the lock path is refused
	// rather than followed to a file somebody else chose.
	lf, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EISDIR) {
		return nil, fmt.Errorf("tokencache: %s is not a regular file: remove it", name)
	}
	if err != nil {
		return nil, fmt.Errorf("tokencache: open the writer lock: %w: check the permissions of %s", err, f.dir)
	}
	if info, err := lf.Stat(); err != nil || !info.Mode().IsRegular() {
		lf.Close()
		return nil, fmt.Errorf("tokencache: %s is not a regular file: remove it", name)
	}
	switch err := flock(lf, syscall.LOCK_EX|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		pid := readPID(lf)
		lf.Close()
		return nil, &inUseError{path: f.path, pid: pid}
	case err != nil:
		// No flock(2) here (some FUSE or network file systems): go on
		// unlocked, as Save does with its temporary files.
		lf.Close()
		return func() error { return nil }, nil
	}
	// The pid is only for the message another process prints: no fsync.
	if err := lf.Truncate(0); err == nil {
		lf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	f.locked = true
	return func() error {
		f.mu.Lock()
		f.locked = false
		f.mu.Unlock()
		return lf.Close()
	}, nil
}

// holdForMove keeps writers off the cache while Load moves a damaged file
// aside: nothing to do when this File holds the writer lock; else the lock
// for the moment, or ok false when another process (or File) holds it,
// since that writer may be renaming a fresh file into place. Without
// flock(2), or without a lock file to open, the move goes ahead, as
// before there was a lock.
func (f *File) holdForMove() (release func(), ok bool) {
	if f.locked {
		return func() {}, true
	}
	lf, err := os.OpenFile(f.lockPath(), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return func() {}, true
	}
	if err := flock(lf, syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		lf.Close()
		return nil, false
	}
	return func() { lf.Close() }, true
}

// readPID reads the pid a lock holder wrote; 0 when there is none.
func readPID(f *os.File) int {
	var buf [24]byte
	n, _ := f.ReadAt(buf[:], 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
