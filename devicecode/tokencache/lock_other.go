//go:build !unix

package tokencache

import "os"

// Without flock(2), temporary files are not locked: every temporary file is
// taken for stale. The agent only runs on Linux; this keeps the package
// building elsewhere.

func lockTemp(*os.File) bool { return true }

func staleTemp(string) (release func(), stale bool) { return func() {}, true }

// Lock is not enforced without flock(2): it returns a release that does
// nothing.
func (f *File) Lock() (release func() error, err error) {
	return func() error { return nil }, nil
}

// holdForMove always lets Load move a damaged file aside.
func (f *File) holdForMove() (release func(), ok bool) { return func() {}, true }
