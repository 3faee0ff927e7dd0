//go:build linux

package codepages

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// madvDontNeed is MADV_DONTNEED, the same on every architecture Go
// supports on Linux.
const madvDontNeed = 4

// Release unmaps the resident pages of the running executable's code and
// read-only data (madvise MADV_DONTNEED) and reports about how many bytes
// were resident in them. It never touches a page the process has written,
// so nothing is lost, and the code it unmaps is mapped again, from the
// page cache, when it next runs. Where /proc/self/smaps cannot be trusted
// (qemu-user) it releases nothing and says why. It costs a read of
// /proc/self/smaps (0.3 ms on amd64, BenchmarkRelease) and the minor
// faults that follow.
func Release() (int64, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("codepages: %w", err)
	}
	spans, rss, err := releasable(f, pcOfResidentCode(), uint64(os.Getpagesize()))
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("codepages: %w", err)
	}
	for _, s := range spans {
		if uint64(uintptr(s.end)) != s.end {
			return 0, fmt.Errorf("codepages: mapping %#x-%#x is beyond the address space", s.start, s.end)
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(s.start), uintptr(s.end-s.start), madvDontNeed); e != 0 {
			return 0, fmt.Errorf("codepages: madvise %#x-%#x %s: %w", s.start, s.end, s.perms[:], e)
		}
	}
	return rss, nil
}

// pcOfResidentCode returns an address in the executable's code.
func pcOfResidentCode() uint64 {
	pc, _, _, _ := runtime.Caller(0)
	return uint64(pc)
}
