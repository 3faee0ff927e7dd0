package tokencache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FormatVersion is the version of the file format written by Save. Load moves
// a file of any other version aside and returns ErrUnknownVersion.
const FormatVersion = 1

// Errors returned by Load, matched with errors.Is. The error returned wraps
// one of them and says, in one line, which file and what to do.
var (
	// ErrCorrupt means the file did not decode: truncated, garbage, a
	// checksum mismatch, or larger than Options.MaxSize. Load has moved it
	// aside (PATH.corrupt-<unix time>) and the next Save starts a new file;
	// Peek leaves it in place.
	ErrCorrupt = errors.New("tokencache: corrupt cache file")
	// ErrInsecureMode means the file is readable or writable by group or
	// others. It is left untouched and not read; chmod 600 fixes it.
	ErrInsecureMode = errors.New("tokencache: cache file readable or writable by group or others")
	// ErrUnknownVersion means the file has another FormatVersion (an older
	// or newer program wrote it). Load has moved it aside like a corrupt
	// one; Peek leaves it in place.
	ErrUnknownVersion = errors.New("tokencache: unknown cache file version")
	// ErrInUse is returned by Lock when another process holds the cache's
	// writer lock: two writers would each rotate the refresh token and the
	// last Save would win.
	ErrInUse = errors.New("tokencache: cache file in use by another writer")
)

// Snapshot is everything the cache holds: one signed-in account, its refresh
// token and the access token of each profile.
//
// Snapshot redacts its tokens when formatted with fmt (any verb) or logged
// with log/slog, so an accidental %v or log line does not leak them.
type Snapshot struct {
	ClientID     string // a mismatch with the configuration means the cache is someone else's
	Authority    string // the token endpoint URL, same reason
	Account      Account
	RefreshToken string
	AccessTokens map[string]AccessToken // by profile name
}

// Account identifies the signed-in user, from the id token claims and
// Entra's client_info.
type Account struct{ Username, Name, ObjectID, TenantID, HomeAccountID string }

// AccessToken is one profile's access token. Times are stored in whole unix
// seconds (rounded down); the zero time stays zero.
type AccessToken struct {
	Token     string
	TokenType string
	Scopes    []string
	ExpiresAt time.Time // wall clock; monotonic readings do not survive a restart
	RefreshAt time.Time // zero when the provider sent no refresh_in
}

// Options tunes a File. The zero value of each field means its default, as
// listed in DefaultOptions.
type Options struct {
	// MaxSize is the largest file Load reads and Save writes, in bytes. A
	// larger file is treated as corrupt. Default 256 KiB: a cache with a
	// dozen profiles is a few KiB.
	MaxSize int
	// KeepCorrupt is how many moved-aside files (PATH.corrupt-*) are kept;
	// older ones are deleted when another is moved aside, so a board that
	// keeps corrupting its cache does not fill its flash. Default 3.
	KeepCorrupt int
	// Now gives the wall clock used to name moved-aside files. Default
	// time.Now.
	Now func() time.Time
}

// DefaultOptions are the options New uses.
var DefaultOptions = Options{MaxSize: 256 << 10, KeepCorrupt: 3, Now: time.Now}

// File is the cache file at one path. Its methods are safe for concurrent
// use; see the package documentation for several processes.
type File struct {
	path string
	dir  string
	opts Options

	// Test seams for the system calls whose failure is hard to provoke.
	syncFile func(*os.File) error
	syncDir  func(dir string) error

	mu  sync.Mutex
	enc encoder
	// known says last and lastInfo describe the file on disk: set by a Load,
	// a Save or a Remove, cleared after a failed write.
	known    bool
	last     []byte      // the file's content; nil when there is no file
	lastInfo fs.FileInfo // the file as last read or written, to notice outside changes
	// unsynced: a write was renamed into place but the folder sync after
	// it failed; the next Save syncs the folder even if nothing changed.
	unsynced bool
	// locked: this File holds the writer lock (Lock).
	locked bool
}

// New returns the cache file at path with DefaultOptions. Nothing is read or
// created until Load or Save.
func New(path string) *File { return NewWithOptions(path, nil) }

// NewWithOptions returns the cache file at path. A nil opts means
// DefaultOptions.
func NewWithOptions(path string, opts *Options) *File {
	o := DefaultOptions
	if opts != nil {
		if opts.MaxSize > 0 {
			o.MaxSize = opts.MaxSize
		}
		if opts.KeepCorrupt > 0 {
			o.KeepCorrupt = opts.KeepCorrupt
		}
		if opts.Now != nil {
			o.Now = opts.Now
		}
	}
	return &File{
		path:     path,
		dir:      filepath.Dir(path),
		opts:     o,
		syncFile: (*os.File).Sync,
		syncDir:  syncDir,
	}
}

// Path returns the path of the cache file.
func (f *File) Path() string { return f.path }

// Load reads the cache. It returns (nil, nil) when there is no file yet.
//
// A file that is readable or writable by group or others is refused with
// ErrInsecureMode and left alone. A file that does not decode is moved aside
// and Load returns an error wrapping ErrCorrupt or ErrUnknownVersion; the
// next Save writes a fresh file. Only the writer moves it: while another
// process (or File) holds the writer lock, the file is left in place and the
// error says so, and a file that changed since it was read is not moved. Temporary files left by a write that was
// interrupted by a crash are removed.
func (f *File) Load() (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeTemps()
	s, data, info, err := f.readDecoded()
	if errors.Is(err, fs.ErrNotExist) {
		f.remember(nil, nil)
		return nil, nil
	}
	var fe *formatError
	if errors.As(err, &fe) {
		return nil, f.moveAside(fe, info)
	}
	if err != nil {
		f.known = false
		return nil, err
	}
	f.remember(data, info)
	return s, nil
}

// Peek reads the cache without changing anything on disk, for a process
// that only reports (a status command beside a running agent). It returns
// (nil, nil) when there is no file. Unlike Load, it leaves a file that
// does not decode where it is, returning an error wrapping ErrCorrupt or
// ErrUnknownVersion (the owner's next Load moves it aside), and it leaves
// temporary files alone.
func (f *File) Peek() (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, _, _, err := f.readDecoded()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var fe *formatError
	if errors.As(err, &fe) {
		return nil, &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s", f.path, fe.what())}
	}
	return s, err
}

// readDecoded reads the file and decodes it. A file that does not decode
// is a *formatError; info describes the file read, when there was one.
func (f *File) readDecoded() (s *Snapshot, data []byte, info fs.FileInfo, err error) {
	data, info, err = f.read()
	if err == nil {
		s, err = decode(data)
	}
	return s, data, info, err
}

// Save writes s to the file when its encoding differs from the file's
// content, and reports whether it wrote. Unchanged content costs one stat
// system call and no write, to spare the flash.
//
// The write is atomic: a new file is written beside the old one, synced, and
// renamed over it, and the folder is synced. After a crash or power cut the
// file holds either the old or the new content, never a mix (see the package
// documentation). The folder is created (mode 0700) when missing.
//
// On error written is false and the file holds the old or the new content
// (the new one when only the final folder sync failed); the next Save
// compares with the file again and retries as needed.
func (f *File) Save(s *Snapshot) (written bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.enc.encode(s) // f.enc's buffer: copied before it is kept
	if err != nil {
		return false, err
	}
	if len(data) > f.opts.MaxSize {
		return false, fmt.Errorf("tokencache: snapshot encodes to %d bytes, over the %d-byte limit of %s: configure fewer profiles or raise Options.MaxSize", len(data), f.opts.MaxSize, f.path)
	}
	if f.unchanged(data) {
		if f.unsynced {
			// The content is on disk, but its rename may not be durable.
			if err := f.syncDir(f.dir); err != nil {
				return false, fmt.Errorf("tokencache: sync folder %s: %w", f.dir, err)
			}
			f.unsynced = false
		}
		return false, nil
	}
	data = bytes.Clone(data)
	info, err := f.write(data)
	if err != nil {
		// The file may or may not hold data now: compare with it next time.
		f.known = false
		return false, err
	}
	f.remember(data, info)
	return true, nil
}

// Remove deletes the cache file, as sign-out does, together with moved-aside
// copies and temporary files (they may hold tokens too), and syncs the
// folder so the removal survives a power cut. A missing file is not an
// error.
func (f *File) Remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.known = false
	f.removeTemps()
	for _, name := range f.asideFiles() {
		if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tokencache: %w", err)
		}
	}
	err := os.Remove(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(f.dir); errors.Is(derr, fs.ErrNotExist) {
			f.remember(nil, nil)
			return nil
		}
	} else if err != nil {
		return fmt.Errorf("tokencache: %w: check the permissions of %s", err, f.dir)
	}
	if err := f.syncDir(f.dir); err != nil {
		return fmt.Errorf("tokencache: sync folder %s after removing the cache: %w", f.dir, err)
	}
	f.remember(nil, nil)
	return nil
}

func (f *File) remember(data []byte, info fs.FileInfo) {
	f.known, f.last, f.lastInfo = true, data, info
}

// read returns the file's content after checking its mode and size.
func (f *File) read() ([]byte, fs.FileInfo, error) {
	fd, err := openRead(f.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("tokencache: %w: check the permissions of %s", err, f.path)
	}
	defer fd.Close()
	info, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("tokencache: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("tokencache: %s is not a regular file (%s): remove it or configure another cache path", f.path, info.Mode().Type())
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, nil, &modeError{path: f.path, perm: perm}
	}
	if info.Size() > int64(f.opts.MaxSize) {
		return nil, info, corrupt(fmt.Sprintf("larger than %d bytes", f.opts.MaxSize))
	}
	// Read one byte more than allowed: the file may grow between Stat and
	// Read, and the limit must hold for what is actually read.
	data, err := io.ReadAll(io.LimitReader(fd, int64(f.opts.MaxSize)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("tokencache: %w", err)
	}
	if len(data) > f.opts.MaxSize {
		return nil, info, corrupt(fmt.Sprintf("larger than %d bytes", f.opts.MaxSize))
	}
	return data, info, nil
}

// modeError is the ErrInsecureMode error; it names the path and the fix.
type modeError struct {
	path string
	perm fs.FileMode
}

func (e *modeError) Error() string {
	return fmt.Sprintf("tokencache: %s is readable or writable by group or others (mode %04o): run chmod 600 %s", e.path, uint32(e.perm), e.path)
}

func (e *modeError) Unwrap() error { return ErrInsecureMode }

// unchanged reports whether the file already holds data. It trusts memory
// when the file looks untouched since it was last read or written (same
// inode, size and mtime: one stat call), and otherwise reads the file, which
// also covers a Save without a Load before it.
func (f *File) unchanged(data []byte) bool {
	if f.known {
		info, err := os.Stat(f.path)
		switch {
		case f.last == nil && errors.Is(err, fs.ErrNotExist):
			return false // still no file
		case f.last != nil && err == nil && sameFile(info, f.lastInfo):
			return bytes.Equal(f.last, data)
		}
	}
	// Unknown state, or the file changed behind our back: look at it. An
	// unreadable or insecure file is simply replaced.
	cur, info, err := f.readQuiet()
	if err != nil || !bytes.Equal(cur, data) {
		return false
	}
	f.remember(cur, info)
	return true
}

// readQuiet reads the file for a comparison, without Load's errors or moving
// anything aside. A file that is not a regular file, too large, or readable
// by others counts as different, so Save replaces it with a 0600 one.
func (f *File) readQuiet() ([]byte, fs.FileInfo, error) {
	fd, err := openRead(f.path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	info, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > int64(f.opts.MaxSize) || info.Mode().Perm()&0o077 != 0 {
		return nil, nil, errors.New("not comparable")
	}
	data, err := io.ReadAll(io.LimitReader(fd, int64(f.opts.MaxSize)+1))
	return data, info, err
}

func sameFile(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && a.Mode() == b.Mode()
}

// tempPrefix starts the name of every temporary file of this cache. The dot
// keeps them out of a casual ls.
func (f *File) tempPrefix() string { return "." + filepath.Base(f.path) + ".tmp-" }

// lockPath is the writer lock's file (see Lock): hidden, beside the cache,
// and matched neither by tempPrefix nor by the moved-aside names.
func (f *File) lockPath() string {
	return filepath.Join(f.dir, "."+filepath.Base(f.path)+".lock")
}

// inUseError is the ErrInUse error; it names the cache and the holder.
type inUseError struct {
	path string
	pid  int // 0: unknown
}

func (e *inUseError) Error() string {
	holder := "another process"
	if e.pid > 0 {
		holder += " (pid " + strconv.Itoa(e.pid) + ")"
	}
	return "tokencache: " + e.path + " is in use by " + holder + ": stop it, or give this one another cache path"
}

func (e *inUseError) Unwrap() error { return ErrInUse }

// write replaces the file with data: temp file, fsync, rename, folder fsync.
func (f *File) write(data []byte) (fs.FileInfo, error) {
	if err := f.mkdir(); err != nil {
		return nil, err
	}
	tmp, err := f.createTemp()
	if err != nil {
		return nil, err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return nil, fmt.Errorf("tokencache: write %s: %w", tmpName, err)
	}
	// The data must be on the medium before the rename makes it the cache:
	// otherwise a power cut can leave the new name pointing at an empty or
	// partial file (see doc.go).
	if err := f.syncFile(tmp); err != nil {
		return nil, fmt.Errorf("tokencache: sync %s: %w", tmpName, err)
	}
	info, err := tmp.Stat()
	if err != nil {
		return nil, fmt.Errorf("tokencache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("tokencache: close %s: %w", tmpName, err)
	}
	if err := os.Rename(tmpName, f.path); err != nil {
		return nil, fmt.Errorf("tokencache: %w", err)
	}
	renamed = true
	// The rename is only durable once the folder's entry is on the medium.
	if err := f.syncDir(f.dir); err != nil {
		f.unsynced = true
		return nil, fmt.Errorf("tokencache: sync folder %s: %w", f.dir, err)
	}
	f.unsynced = false
	return info, nil
}

// createTemp creates and locks the temporary file (see lock_unix.go).
func (f *File) createTemp() (*os.File, error) {
	for range 3 {
		// CreateTemp opens with O_CREATE|O_EXCL and mode 0600.
		tmp, err := os.CreateTemp(f.dir, f.tempPrefix()+"*")
		if err != nil {
			return nil, fmt.Errorf("tokencache: create temporary file: %w: check that %s is writable", err, f.dir)
		}
		if lockTemp(tmp) {
			return tmp, nil
		}
		tmp.Close()
		os.Remove(tmp.Name())
	}
	return nil, fmt.Errorf("tokencache: another process keeps removing the temporary files in %s: run one agent per cache file", f.dir)
}

// mkdir creates the folder (0700) when missing, with any missing parents,
// and syncs the parent of each folder it created, top down, so the new
// folders survive a power cut along with the file in them.
func (f *File) mkdir() error {
	if _, err := os.Stat(f.dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil // exists, or an error the CreateTemp below reports better
	}
	var created []string // the folders MkdirAll will create, deepest first
	for d := f.dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("tokencache: create the cache folder: %w", err)
	}
	for i := len(created) - 1; i >= 0; i-- {
		parent := filepath.Dir(created[i])
		if err := f.syncDir(parent); err != nil {
			return fmt.Errorf("tokencache: sync folder %s: %w", parent, err)
		}
	}
	return nil
}

// openRead opens path for reading without blocking: a FIFO planted at the
// cache path would otherwise hang Load until something writes to it. The
// caller then refuses anything but a regular file.
func openRead(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeTemps deletes temporary files left by a write that a crash
// interrupted. A file another process is writing is locked and stays.
// Failures are ignored: a leftover costs a little space, nothing more.
func (f *File) removeTemps() {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return
	}
	prefix := f.tempPrefix()
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(f.dir, e.Name())
		if release, stale := staleTemp(name); stale {
			os.Remove(name)
			release()
		}
	}
}

// asideFiles lists the names of moved-aside copies, oldest first.
func (f *File) asideFiles() []string {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return nil
	}
	prefix := filepath.Base(f.path) + ".corrupt-"
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	// Names are PATH.corrupt-<unix>[-n]: order by the number, then by n.
	key := func(name string) (int64, int64) {
		rest := strings.TrimPrefix(name, prefix)
		sec, n, _ := strings.Cut(rest, "-")
		a, _ := strconv.ParseInt(sec, 10, 64)
		b, _ := strconv.ParseInt(n, 10, 64)
		return a, b
	}
	slices.SortFunc(names, func(x, y string) int {
		xa, xb := key(x)
		ya, yb := key(y)
		if xa != ya {
			return cmpInt(xa, ya)
		}
		return cmpInt(xb, yb)
	})
	return names
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// moveAside renames the undecodable file to PATH.corrupt-<unix time> and
// returns the one-line error Load gives, which wraps fe's kind.
func (f *File) moveAside(fe *formatError, read fs.FileInfo) error {
	f.known = false
	what := fe.what()
	// Only the writer moves its file: a Load beside a running agent would
	// otherwise move the fresh file the agent renames into place between
	// this read and the rename below.
	release, ok := f.holdForMove()
	if !ok {
		return &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s; left in place for the process writing the cache", f.path, what)}
	}
	defer release()
	if cur, err := os.Lstat(f.path); err != nil || !sameFile(cur, read) {
		return &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s, and it changed while it was read: load it again", f.path, what)}
	}
	base := fmt.Sprintf("%s.corrupt-%d", f.path, f.opts.Now().Unix())
	aside := base
	for n := 1; ; n++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if n > 100 {
			return &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s and could not be moved aside: remove it", f.path, what)}
		}
		aside = fmt.Sprintf("%s-%d", base, n)
	}
	if err := os.Rename(f.path, aside); err != nil {
		return &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s and could not be moved aside (%v): remove it", f.path, what, err)}
	}
	// Best effort: the rename is the safety step, the sync makes it last.
	_ = f.syncDir(f.dir)
	f.remember(nil, nil)
	f.pruneAside()
	return &loadError{kind: fe.kind, msg: fmt.Sprintf("tokencache: %s %s: moved it to %s; sign in again", f.path, what, aside)}
}

// pruneAside keeps the newest Options.KeepCorrupt moved-aside files.
func (f *File) pruneAside() {
	names := f.asideFiles()
	for len(names) > f.opts.KeepCorrupt {
		os.Remove(filepath.Join(f.dir, names[0]))
		names = names[1:]
	}
}

// loadError is a Load failure wrapping ErrCorrupt or ErrUnknownVersion.
type loadError struct {
	kind error
	msg  string
}

func (e *loadError) Error() string { return e.msg }
func (e *loadError) Unwrap() error { return e.kind }
