package faults

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/tokencache"
)

// fullDisk puts the cache on a 64 KiB tmpfs (the test runs as root in CI
// and in the container; mount(2) is the real thing: ENOSPC from the kernel).
// Where mounting is not allowed it returns "" and the test simulates the
// full disk with a cache wrapper returning ENOSPC instead, and says so.
func fullDisk(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "flash")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Logf("cannot mount a tmpfs (%v): simulating ENOSPC with a cache wrapper", err)
		return ""
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes a file until the file system is full.
func fill(t *testing.T, dir string) string {
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return name
		}
	}
}

// The disk fills up between two refreshes. The refresh still gives a token
// (published, served) and the engine keeps the rotated refresh token in
// memory; the cache file keeps its previous content and still decodes (no
// torn or empty file, no temporary file left to fill the flash further).
// When space is freed, the next refresh writes the latest refresh token.
// The server keeps used refresh tokens valid here, as Entra ID does.
func TestFullDisk(t *testing.T) {
	dir := fullDisk(t)
	e := newEnv(t, envOpts{mqtt: true})
	if dir != "" {
		e.cache.File = tokencache.New(filepath.Join(dir, "tokens.cbor"))
		e.cfg.Cache = e.cache
		var err error
		if e.dc, err = devicecode.New(e.cfg); err != nil {
			t.Fatal(err)
		}
	}
	e.signIn()
	onDisk := cachedRefreshToken(t, e.cache.Path())
	if onDisk != e.tok.RefreshToken {
		t.Fatal("the sign-in was not cached")
	}

	var filler string
	if dir != "" {
		filler = fill(t, dir)
	} else {
		enospc := error(&os.PathError{Op: "write", Path: e.cache.Path(), Err: syscall.ENOSPC})
		e.cache.fail.Store(&enospc)
	}
	for i := 0; i < 3; i++ {
		if err := e.refresh(ctxT(t, 5*time.Second)); err != nil {
			t.Fatalf("refresh with a full disk: %v", err)
		}
		if got := e.retainedToken(); got != e.tok.AccessToken {
			t.Fatal("the refreshed token was not published while the disk was full")
		}
		if got := cachedRefreshToken(t, e.cache.Path()); got != onDisk {
			t.Fatal("the cache file changed although the disk is full")
		}
	}
	if dir != "" {
		es, _ := os.ReadDir(dir)
		for _, de := range es {
			if de.Name() != "tokens.cbor" && de.Name() != "filler" {
				t.Errorf("%s left behind on the full disk", de.Name())
			}
		}
		os.Remove(filler)
	} else {
		e.cache.fail.Store(nil)
	}
	if err := e.refresh(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := cachedRefreshToken(t, e.cache.Path()); got != e.tok.RefreshToken {
		t.Fatal("the latest refresh token was not written once space was freed")
	}
	e.assertNoStaleToken()
	e.restart()
}
