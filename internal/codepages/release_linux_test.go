//go:build linux

package codepages

import (
	"errors"
	"os"
	"testing"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

// written is in the executable's writable data segment, which is mapped
// from the file too: a Release that unmapped it would bring back the 1.
var written = [4]int{1, 2, 3, 4}

// residentCode reads how many bytes of the executable's releasable
// mappings are resident now, or the error that keeps Release from
// trusting smaps.
func residentCode(t *testing.T) (int64, error) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, rss, err := releasable(f, pcOfResidentCode(), uint64(os.Getpagesize()))
	return rss, err
}

// Release really takes the code pages out of the process's resident memory
// (the kernel's own accounting, /proc/self/smaps), the program goes on
// running, and the data it wrote is intact. Under qemu-user, whose smaps
// shows code as not executable and ranges a page off, it refuses and
// changes nothing. Which of the two is expected is decided by how the test
// runs (scripts/test names the emulator), not by the code under test.
func TestReleaseUnmapsCodeNotData(t *testing.T) {
	written[0] = 42
	emulated := len(testenv.Emulator()) > 0
	before, untrusted := residentCode(t)
	if emulated != (untrusted != nil) || (untrusted != nil && !errors.Is(untrusted, errNotExecutable)) {
		t.Fatalf("emulator %q, but smaps read as: %v", testenv.Emulator(), untrusted)
	}
	released, err := Release()
	if emulated {
		// scripts/test runs the ARM tests under qemu-user.
		if !errors.Is(err, errNotExecutable) || released != 0 {
			t.Fatalf("Release under an untrustworthy smaps = %d, %v; want 0 and %v", released, err, errNotExecutable)
		}
		if written != [4]int{42, 2, 3, 4} {
			t.Fatalf("the data segment changed: %v", written)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if before < 256<<10 {
		t.Fatalf("only %d bytes of code resident before: the measure is wrong", before)
	}
	after, err := residentCode(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resident code and read-only data: %d kB before, Release reported %d kB, %d kB after",
		before>>10, released>>10, after>>10)
	if released < before/2 {
		t.Errorf("Release reported %d bytes resident, but %d were just before", released, before)
	}
	// What runs between the madvise and the second read (the test's own
	// code, the reading of smaps, the runtime's background work) is mapped
	// again at once, 64 KB around each fault: natively about half of it.
	if before-after < 256<<10 {
		t.Errorf("%d bytes resident after Release, %d before: want at least 256 KB fewer", after, before)
	}
	if written != [4]int{42, 2, 3, 4} {
		t.Fatalf("the data segment changed: %v", written)
	}
}

// The cost of one Release: the read of /proc/self/smaps and the madvise
// calls. The faults that map code again afterwards are the caller's.
func BenchmarkRelease(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Release(); err != nil {
			b.Fatal(err)
		}
	}
}
