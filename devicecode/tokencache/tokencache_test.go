package tokencache

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Secrets used by the tests: no error string, log line or formatted value may
// contain them.
const (
	secretRefresh = "0.AREFRESH-SECRET-rt-value"
	secretAccess  = "eyJACCESS-SECRET-graph"
	secretAccess2 = "eyJACCESS-SECRET-iothub"
)

var secrets = []string{secretRefresh, secretAccess, secretAccess2, "SECRET"}

// fixedNow names moved-aside files predictably.
var fixedNow = time.Unix(1_750_000_000, 0)

func sample() *Snapshot {
	return &Snapshot{
		ClientID:  "11111111-2222-3333-4444-555555555555",
		Authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
		Account: Account{
			Username:      "alice@contoso.com",
			Name:          "Alice Ångström",
			ObjectID:      "oid-1",
			TenantID:      "tid-1",
			HomeAccountID: "oid-1.tid-1",
		},
		RefreshToken: secretRefresh,
		AccessTokens: map[string]AccessToken{
			"graph": {
				Token:     secretAccess,
				TokenType: "Bearer",
				Scopes:    []string{"https://graph.microsoft.com/User.Read", "openid"},
				ExpiresAt: time.Unix(1_750_003_600, 0).UTC(),
				RefreshAt: time.Unix(1_750_001_800, 0).UTC(),
			},
			"iothub": {
				Token:     secretAccess2,
				TokenType: "Bearer",
				Scopes:    []string{"https://iothubs.azure.net/.default"},
				ExpiresAt: time.Unix(1_750_003_000, 0).UTC(),
			},
		},
	}
}

func newFile(t testing.TB) (*File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.cbor")
	return NewWithOptions(path, &Options{Now: func() time.Time { return fixedNow }}), path
}

// checkNoSecret fails when s contains a token value.
func checkNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains a token value (%d bytes of output withheld)", what, len(s))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	many := &Snapshot{RefreshToken: "r", AccessTokens: map[string]AccessToken{}}
	for i := range 200 {
		many.AccessTokens[fmt.Sprintf("profile-%03d", i)] = AccessToken{
			Token:     strings.Repeat("t", 1000),
			Scopes:    []string{"a", "b", "c"},
			ExpiresAt: time.Unix(int64(2_000_000_000+i), 0).UTC(),
		}
	}
	tests := []struct {
		name string
		in   *Snapshot
		want *Snapshot // nil: same as in
	}{
		{name: "full", in: sample()},
		{name: "empty", in: &Snapshot{}},
		{name: "account only", in: &Snapshot{Account: Account{Username: "bob"}}},
		{name: "refresh token only", in: &Snapshot{ClientID: "c", RefreshToken: "r"}},
		{
			name: "sub-second times are rounded down, zone dropped",
			in: &Snapshot{AccessTokens: map[string]AccessToken{"p": {
				Token:     "t",
				ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 999_999_999, time.FixedZone("X", 3600)),
				RefreshAt: time.Date(2030, 1, 2, 3, 0, 0, 1, time.UTC),
			}}},
			want: &Snapshot{AccessTokens: map[string]AccessToken{"p": {
				Token:     "t",
				ExpiresAt: time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC),
				RefreshAt: time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC),
			}}},
		},
		{
			name: "times before 1970 (a board without RTC)",
			in: &Snapshot{AccessTokens: map[string]AccessToken{"p": {
				ExpiresAt: time.Unix(-5, 0).UTC(),
				RefreshAt: time.Unix(3600, 0).UTC(),
			}}},
		},
		{
			name: "empty collections read back as nil",
			in:   &Snapshot{AccessTokens: map[string]AccessToken{"p": {Scopes: []string{}}}},
			want: &Snapshot{AccessTokens: map[string]AccessToken{"p": {}}},
		},
		{name: "no profiles map", in: &Snapshot{AccessTokens: map[string]AccessToken{}}, want: &Snapshot{}},
		{name: "unicode everywhere", in: &Snapshot{Account: Account{Name: "李雷 🙂"}, AccessTokens: map[string]AccessToken{"ü": {Scopes: []string{"é"}}}}},
		{name: "200 profiles", in: many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			written, err := f.Save(tt.in)
			if err != nil || !written {
				t.Fatalf("Save = %v, %v; want true, nil", written, err)
			}
			// A fresh File, as after a restart.
			got, err := New(path).Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := tt.want
			if want == nil {
				want = tt.in
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load = %v\nwant   %v", got, want)
			}
		})
	}
}

// TestGolden pins the file format: the bytes of a known snapshot must not
// change within FormatVersion 1, and files written by earlier builds must
// keep decoding. go test -run TestGolden -update rewrites it.
func TestGolden(t *testing.T) {
	golden := filepath.Join("testdata", "v1.cbor")
	data, err := encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("encoding changed: %d bytes, golden %d bytes; a format change needs a new FormatVersion", len(data), len(want))
	}
	got, err := decode(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Errorf("golden decodes to %v\nwant %v", got, sample())
	}
}

func TestMissingFile(t *testing.T) {
	for _, path := range []string{
		filepath.Join(t.TempDir(), "cache.cbor"),
		filepath.Join(t.TempDir(), "no", "such", "folder", "cache.cbor"),
	} {
		s, err := New(path).Load()
		if s != nil || err != nil {
			t.Errorf("Load(%s) = %v, %v; want nil, nil", path, s, err)
		}
	}
}

// statOf returns what tells a rewrite apart: inode, mtime (ns) and size.
func statOf(t *testing.T, path string) (uint64, time.Time, int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime(), fi.Size()
}

func TestSaveWritesOnlyChanges(t *testing.T) {
	f, path := newFile(t)
	mustSave := func(f *File, s *Snapshot, want bool) {
		t.Helper()
		written, err := f.Save(s)
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		if written != want {
			t.Fatalf("Save wrote = %v, want %v", written, want)
		}
	}
	mustSave(f, sample(), true)
	ino, mtime, _ := statOf(t, path)
	unchanged := func(what string) {
		t.Helper()
		if i, m, _ := statOf(t, path); i != ino || !m.Equal(mtime) {
			t.Errorf("%s: the file was rewritten", what)
		}
	}

	mustSave(f, sample(), false)
	unchanged("same snapshot")

	// Equal content spelled differently encodes to the same bytes.
	same := sample()
	at := same.AccessTokens["graph"]
	at.ExpiresAt = at.ExpiresAt.Add(300 * time.Millisecond).In(time.FixedZone("CET", 3600))
	same.AccessTokens["graph"] = at
	mustSave(f, same, false)
	unchanged("same content, other zone and sub-second")

	// A File that has not loaded compares with the file on disk.
	mustSave(New(path), sample(), false)
	unchanged("fresh File without Load")

	// After Load, too.
	g := New(path)
	if _, err := g.Load(); err != nil {
		t.Fatal(err)
	}
	mustSave(g, sample(), false)
	unchanged("fresh File after Load")

	// A rotated refresh token is a change.
	rotated := sample()
	rotated.RefreshToken += "-rotated"
	mustSave(f, rotated, true)
	if i, _, _ := statOf(t, path); i == ino {
		t.Error("changed content: the inode stayed the same; the file was written in place, not replaced")
	}
	mustSave(f, rotated, false)

	// A file removed behind the File's back is written again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSave(f, rotated, true)

	// A file changed behind its back is rewritten with our content.
	if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSave(f, rotated, true)
	if got, err := New(path).Load(); err != nil || !reflect.DeepEqual(got, rotated) {
		t.Errorf("Load after rewrite = %v, %v", got, err)
	}
}

func TestModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "boardlogin")
	path := filepath.Join(dir, "cache.cbor")
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	if _, err := New(path).Save(sample()); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{path: 0o600, dir: 0o700 | fs.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestInsecureModeRefused(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o640, false},
		{0o604, false},
		{0o620, false},
		{0o602, false},
		{0o644, false},
		{0o666, false},
		{0o601, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			f, path := newFile(t)
			if _, err := f.Save(sample()); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			s, err := New(path).Load()
			if tt.ok {
				if err != nil || s == nil {
					t.Fatalf("Load = %v, %v; want the snapshot", s, err)
				}
				return
			}
			if !errors.Is(err, ErrInsecureMode) || s != nil {
				t.Fatalf("Load = %v, %v; want ErrInsecureMode", s, err)
			}
			msg := err.Error()
			for _, want := range []string{"tokencache: ", path, "chmod 600 " + path, fmt.Sprintf("%04o", tt.mode)} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the insecure file must stay where it is: %v", err)
			}
			if errors.Is(err, ErrCorrupt) {
				t.Error("an insecure file is not corrupt")
			}
		})
	}
}

// encodeEnvelope builds a file from raw envelope fields, for bad files.
func encodeEnvelope(t testing.TB, env any) []byte {
	t.Helper()
	data, err := cbor.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// badFile is a cache file that does not decode, and what Load and Peek
// must say about it.
type badFile struct {
	name   string
	data   []byte
	kind   error
	reason string
}

// badFiles lists files that must be refused: damaged, hostile or of
// another format version.
func badFiles(t *testing.T) []badFile {
	good, err := encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := encMode.Marshal(&payloadV1{RefreshToken: secretRefresh})
	if err != nil {
		t.Fatal(err)
	}
	type env map[int]any
	// A bit flip inside a token string: still valid CBOR, the CRC catches it.
	flipped := bytes.Clone(good)
	i := bytes.Index(flipped, []byte(secretAccess))
	flipped[i+3] ^= 0x01
	// Deeply nested arrays in the payload.
	deep := bytes.Repeat([]byte{0x81}, 20)
	deep = append(deep, 0x00)
	dupKeys := []byte{0xa2, 0x01, 0x01, 0x01, 0x02} // {1: 1, 1: 2}
	indef := []byte{0xbf, 0x01, 0x01, 0xff}         // {_ 1: 1}
	tagged := append([]byte{0xc1}, good...)         // tag 1 around the envelope

	return []badFile{
		{"empty", nil, ErrCorrupt, "empty file"},
		{"truncated by one byte", good[:len(good)-1], ErrCorrupt, "truncated"},
		{"truncated to half", good[:len(good)/2], ErrCorrupt, "truncated"},
		{"truncated to one byte", good[:1], ErrCorrupt, "truncated"},
		{"garbage", []byte("not a cache file at all, SECRET"), ErrCorrupt, "corrupt"},
		{"zeros", make([]byte, 4096), ErrCorrupt, "corrupt"},
		{"trailing bytes", append(bytes.Clone(good), 0x00), ErrCorrupt, "trailing bytes"},
		{"bit flip", flipped, ErrCorrupt, "checksum mismatch"},
		{"version 2", encodeEnvelope(t, env{1: 2, 2: payload, 3: 0}), ErrUnknownVersion, "format version 2"},
		{"version 0 of a future shape", encodeEnvelope(t, env{1: 99, 2: "text payload"}), ErrUnknownVersion, "format version 99"},
		{"no version", encodeEnvelope(t, env{2: payload, 3: 0}), ErrCorrupt, "no format version"},
		{"version is text", encodeEnvelope(t, env{1: "1"}), ErrCorrupt, "unexpected structure"},
		{"no checksum", encodeEnvelope(t, env{1: 1, 2: payload}), ErrCorrupt, "checksum missing"},
		{"payload not bytes", encodeEnvelope(t, env{1: 1, 2: "x", 3: 0}), ErrCorrupt, "not a byte string"},
		{"checksum too large", encodeEnvelope(t, env{1: 1, 2: payload, 3: uint64(1) << 40}), ErrCorrupt, "checksum is not"},
		{"payload not a map", encodeEnvelope(t, env{1: 1, 2: []byte{0x01}, 3: crc([]byte{0x01})}), ErrCorrupt, "payload: unexpected structure"},
		{"payload too deep", encodeEnvelope(t, env{1: 1, 2: deep, 3: crc(deep)}), ErrCorrupt, "decoding limits"},
		{"duplicate keys", dupKeys, ErrCorrupt, "duplicate map key"},
		{"indefinite length", indef, ErrCorrupt, "indefinite-length"},
		{"tag", tagged, ErrCorrupt, "tag"},
		{"top level is an array", []byte{0x83, 0x01, 0x02, 0x03}, ErrCorrupt, "unexpected structure"},
		{"huge", append(bytes.Clone(good), make([]byte, DefaultOptions.MaxSize)...), ErrCorrupt, "larger than 262144 bytes"},
	}
}

func TestBadFileMovedAside(t *testing.T) {
	for _, tt := range badFiles(t) {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := f.Load()
			if s != nil || !errors.Is(err, tt.kind) {
				t.Fatalf("Load = %v, %v; want an error wrapping %v", s, err, tt.kind)
			}
			aside := fmt.Sprintf("%s.corrupt-%d", path, fixedNow.Unix())
			msg := err.Error()
			checkNoSecret(t, "error", msg)
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "tokencache: "+path+" ") {
				t.Errorf("error %q: want one line starting with tokencache: and the path", msg)
			}
			for _, want := range []string{tt.reason, "moved it to " + aside} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if got, err := os.ReadFile(aside); err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("moved-aside file: %v; content kept = %v", err, bytes.Equal(got, tt.data))
			}
			// The cache is now empty and works again.
			if s, err := f.Load(); s != nil || err != nil {
				t.Errorf("second Load = %v, %v; want nil, nil", s, err)
			}
			if written, err := f.Save(sample()); !written || err != nil {
				t.Fatalf("Save after corruption = %v, %v", written, err)
			}
			if s, err := New(path).Load(); err != nil || !reflect.DeepEqual(s, sample()) {
				t.Errorf("Load after Save = %v, %v", s, err)
			}
		})
	}
}

// Peek reports a bad file as Load does but changes nothing: the file stays
// where it is, byte for byte, with no moved-aside copy, and the owner's
// Load still finds it.
func TestPeekLeavesBadFileInPlace(t *testing.T) {
	for _, tt := range badFiles(t) {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := f.Peek()
			if s != nil || !errors.Is(err, tt.kind) {
				t.Fatalf("Peek = %v, %v; want an error wrapping %v", s, err, tt.kind)
			}
			msg := err.Error()
			checkNoSecret(t, "error", msg)
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "tokencache: "+path+" ") || !strings.Contains(msg, tt.reason) {
				t.Errorf("error %q: want one line naming the path and %q", msg, tt.reason)
			}
			if strings.Contains(msg, "moved") {
				t.Errorf("error %q speaks of a move Peek did not make", msg)
			}
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("file after Peek: %v; unchanged = %v", err, bytes.Equal(got, tt.data))
			}
			if aside := f.asideFiles(); len(aside) != 0 {
				t.Errorf("Peek moved the file aside: %q", aside)
			}
			if _, err := New(path).Load(); !errors.Is(err, tt.kind) {
				t.Errorf("Load after Peek = %v; want an error wrapping %v", err, tt.kind)
			}
		})
	}
}

func TestPeek(t *testing.T) {
	f, path := newFile(t)
	if s, err := f.Peek(); s != nil || err != nil {
		t.Fatalf("Peek of a missing file = %v, %v; want nil, nil", s, err)
	}
	if _, err := New(path).Save(sample()); err != nil {
		t.Fatal(err)
	}
	s, err := f.Peek()
	if err != nil || !reflect.DeepEqual(s, sample()) {
		t.Fatalf("Peek = %v, %v; want the saved snapshot", s, err)
	}
	// A temporary file left by a crash is the owner's to clean up.
	stale := filepath.Join(filepath.Dir(path), ".cache.cbor.tmp-123")
	if err := os.WriteFile(stale, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Peek(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Errorf("Peek removed a temporary file: %v", err)
	}
	// A file others may read is refused, as by Load.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := f.Peek(); s != nil || !errors.Is(err, ErrInsecureMode) {
		t.Errorf("Peek of a 0644 file = %v, %v; want ErrInsecureMode", s, err)
	}
}

func crc(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

func TestKeepCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.cbor")
	now := fixedNow
	f := NewWithOptions(path, &Options{KeepCorrupt: 2, Now: func() time.Time { return now }})
	for i := range 5 {
		if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Load(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Load %d: %v", i, err)
		}
		if i != 2 { // two in the same second get a -1 suffix
			now = now.Add(time.Second)
		}
	}
	got, _ := filepath.Glob(path + ".corrupt-*")
	want := []string{
		fmt.Sprintf("%s.corrupt-%d-1", path, fixedNow.Unix()+2),
		fmt.Sprintf("%s.corrupt-%d", path, fixedNow.Unix()+3),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept %q, want %q", got, want)
	}
}

func TestNotARegularFile(t *testing.T) {
	tests := []struct {
		name string
		make func(path string) error
	}{
		{"folder", func(path string) error { return os.Mkdir(path, 0o700) }},
		// Without O_NONBLOCK, opening a FIFO would hang until a writer came.
		{"fifo", func(path string) error { return syscall.Mkfifo(path, 0o600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			if err := tt.make(path); err != nil {
				t.Fatal(err)
			}
			_, err := f.Load()
			if err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("Load = %v; want a not-a-regular-file error", err)
			}
			if _, err := os.Lstat(path); err != nil {
				t.Errorf("it must stay: %v", err)
			}
		})
	}
}

func TestSaveRejects(t *testing.T) {
	badUTF8 := sample()
	badUTF8.RefreshToken = "SECRET\xff"
	badScope := sample()
	badScope.AccessTokens["graph"] = AccessToken{Token: "SECRET", Scopes: []string{"\xfe"}}
	tooBig := &Snapshot{RefreshToken: strings.Repeat("x", 300<<10)}
	tests := []struct {
		name string
		in   *Snapshot
		want string
	}{
		{"nil", nil, "use Remove"},
		{"invalid UTF-8", badUTF8, "refresh token is not valid UTF-8"},
		{"invalid UTF-8 scope", badScope, `a scope of profile "graph" is not valid UTF-8`},
		{"too large", tooBig, "over the 262144-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			written, err := f.Save(tt.in)
			if written || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Save = %v, %v; want an error containing %q", written, err, tt.want)
			}
			checkNoSecret(t, "error", err.Error())
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused snapshot must write nothing: %v", err)
			}
		})
	}
}

// syncRecorder records folder syncs and can fail them.
type syncRecorder struct {
	mu   sync.Mutex
	dirs []string
	fail error
}

func (r *syncRecorder) syncDir(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirs = append(r.dirs, dir)
	if r.fail != nil {
		return r.fail
	}
	return syncDir(dir)
}

func (r *syncRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.dirs
	r.dirs = nil
	return d
}

func TestFolderSync(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "state")
	path := filepath.Join(dir, "cache.cbor")
	f := New(path)
	var rec syncRecorder
	f.syncDir = rec.syncDir

	// A new folder is synced into its parent, then the rename into the folder.
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{root, dir}; !reflect.DeepEqual(got, want) {
		t.Errorf("first Save synced %q, want %q", got, want)
	}
	// No write, no sync.
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("unchanged Save synced %q", got)
	}
	// A failed folder sync is an error, and the next Save tries again.
	rec.fail = errors.New("input/output error")
	changed := sample()
	changed.RefreshToken = "rotated"
	written, err := f.Save(changed)
	if written || err == nil || !strings.Contains(err.Error(), "sync folder "+dir) {
		t.Errorf("Save with a failing folder sync = %v, %v", written, err)
	}
	rec.fail = nil
	rec.take()
	changed.RefreshToken = "rotated again"
	if written, err := f.Save(changed); !written || err != nil {
		t.Errorf("Save after the failure = %v, %v", written, err)
	}
	if got := rec.take(); !reflect.DeepEqual(got, []string{dir}) {
		t.Errorf("Save synced %q, want %q", got, []string{dir})
	}
	// The same after a failed folder sync, but the caller retries the
	// very snapshot: the file already holds it, yet its rename is not
	// durable until the folder is synced. Unchanged content must still
	// sync the folder once, then no more.
	rec.fail = errors.New("input/output error")
	changed.RefreshToken = "rotated a third time"
	if _, err := f.Save(changed); err == nil {
		t.Fatal("want the folder sync error")
	}
	rec.fail = nil
	rec.take()
	if written, err := f.Save(changed); written || err != nil {
		t.Errorf("retry of the same snapshot = %v, %v; want nothing written, no error", written, err)
	}
	if got := rec.take(); !reflect.DeepEqual(got, []string{dir}) {
		t.Errorf("retry of the same snapshot synced %q, want %q", got, []string{dir})
	}
	if _, err := f.Save(changed); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("a second unchanged Save synced %q", got)
	}
	// Remove syncs the folder so sign-out survives a power cut.
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !reflect.DeepEqual(got, []string{dir}) {
		t.Errorf("Remove synced %q, want %q", got, []string{dir})
	}
}

// Folders created on the way to the cache are each synced into their
// parent, top down: a power cut must not lose a/ with b/ and the file in it.
func TestNestedFoldersAreSynced(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	b := filepath.Join(a, "b")
	f := New(filepath.Join(b, "cache.cbor"))
	var rec syncRecorder
	f.syncDir = rec.syncDir
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{root, a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("Save synced %q, want %q", got, want)
	}
}

// Save refuses what Load would refuse, instead of writing a file the next
// start takes for corrupt.
func TestSaveRefusesWhatLoadWouldRefuse(t *testing.T) {
	manyScopes := sample()
	at := manyScopes.AccessTokens["graph"]
	at.Scopes = make([]string, maxEntries+1)
	for i := range at.Scopes {
		at.Scopes[i] = fmt.Sprintf("api://x/s%d", i)
	}
	manyScopes.AccessTokens["graph"] = at
	f, path := newFile(t)
	if written, err := f.Save(manyScopes); written || err == nil || !strings.Contains(err.Error(), `profile "graph" has 1025 scopes, more than the 1024`) {
		t.Fatalf("Save of 1025 scopes = %v, %v", written, err)
	}
	at.Scopes = at.Scopes[:maxEntries]
	manyScopes.AccessTokens["graph"] = at
	if _, err := f.Save(manyScopes); err != nil {
		t.Fatal(err)
	}
	if s, err := New(path).Load(); err != nil || !reflect.DeepEqual(s, manyScopes) {
		t.Errorf("Load of 1024 scopes: %v", err)
	}
}

// damagedCache writes a cache file that does not decode ("garbage") and
// returns its path.
func damagedCache(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.cbor")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A Load beside a running writer (it holds the writer lock) finds the file
// damaged. It must not move it: the writer may be renaming a fresh cache
// into place at that moment. Only the writer moves its file aside.
func TestLoadBesideTheWriterLeavesItsFile(t *testing.T) {
	path := damagedCache(t)
	writer := New(path)
	release, err := writer.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	reader := NewWithOptions(path, &Options{Now: func() time.Time {
		t.Error("the reader went on to move the file aside")
		return fixedNow
	}})
	_, err = reader.Load()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "left in place") {
		t.Fatalf("reader Load = %v; want ErrCorrupt, left in place", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "garbage" {
		t.Errorf("the reader changed the file")
	}
	// The writer itself moves it aside.
	if _, err := writer.Load(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "moved it to") {
		t.Fatalf("writer Load = %v; want the file moved aside", err)
	}
	if _, err := writer.Save(sample()); err != nil {
		t.Fatal(err)
	}
	if s, err := reader.Load(); err != nil || !reflect.DeepEqual(s, sample()) {
		t.Errorf("reader Load of the fresh file = %v", err)
	}
}

// With no writer holding the lock, a Load may move a damaged file aside,
// but only the file it read: here a writer that takes no lock renamed a
// fresh cache into place between the read and the move. Nothing is moved.
func TestLoadDoesNotMoveAFileThatChanged(t *testing.T) {
	path := damagedCache(t)
	reader := NewWithOptions(path, &Options{Now: func() time.Time { return fixedNow }})
	data, info, err := reader.read()
	if err != nil || string(data) != "garbage" {
		t.Fatal(data, err)
	}
	if _, err := New(path).Save(sample()); err != nil {
		t.Fatal(err)
	}
	reader.mu.Lock()
	err = reader.moveAside(&formatError{kind: ErrCorrupt, reason: "corrupt"}, info)
	reader.mu.Unlock()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("moveAside = %v; want it to refuse", err)
	}
	if s, err := New(path).Load(); err != nil || !reflect.DeepEqual(s, sample()) {
		t.Errorf("the fresh cache is gone: %v", err)
	}
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".cache.cbor.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFailedWriteLeavesOldFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *File, path string)
		want  string
	}{
		{"file sync fails", func(t *testing.T, f *File, path string) {
			f.syncFile = func(*os.File) error { return errors.New("input/output error") }
		}, "sync "},
		{"rename fails", func(t *testing.T, f *File, path string) {
			// A non-empty folder where the file should go refuses the rename.
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, "rename"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := newFile(t)
			if _, err := f.Save(sample()); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, f, path)
			before, _ := os.ReadFile(path)
			changed := sample()
			changed.RefreshToken = "new SECRET"
			written, err := f.Save(changed)
			if written || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Save = %v, %v; want an error containing %q", written, err, tt.want)
			}
			checkNoSecret(t, "error", err.Error())
			if left := tempFiles(t, filepath.Dir(path)); len(left) != 0 {
				t.Errorf("temporary files left: %q", left)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("a failed write changed the file")
			}
		})
	}
}

func TestLoadRemovesStaleTemps(t *testing.T) {
	f, path := newFile(t)
	dir := filepath.Dir(path)
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".cache.cbor.tmp-123", ".cache.cbor.tmp-"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Files of other caches or programs stay.
	others := []string{".other.cbor.tmp-1", "cache.cbor.tmp-1", ".cache.cbor.tmpx", "notes.txt"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := New(path).Load(); err != nil || !reflect.DeepEqual(s, sample()) {
		t.Fatalf("Load = %v, %v", s, err)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("stale temporary files left: %q", left)
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
}

// A temporary file that another process is writing (it holds the lock) is
// not stale: Load from a second process must not delete it.
func TestLoadKeepsTempInUse(t *testing.T) {
	f, path := newFile(t)
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(filepath.Dir(path), ".cache.cbor.tmp-live")
	w, err := os.OpenFile(live, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !lockTemp(w) {
		t.Fatal("lockTemp failed on a new file")
	}
	if _, err := New(path).Load(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("Load removed a temporary file in use: %v", err)
	}
	w.Close() // the writer is gone: its lock with it
	if _, err := New(path).Load(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load kept a stale temporary file: %v", err)
	}
}

func TestRemove(t *testing.T) {
	f, path := newFile(t)
	dir := filepath.Dir(path)
	if err := f.Remove(); err != nil {
		t.Fatalf("Remove without a file: %v", err)
	}
	if err := New(filepath.Join(dir, "missing", "cache.cbor")).Remove(); err != nil {
		t.Fatalf("Remove without a folder: %v", err)
	}
	if _, err := f.Save(sample()); err != nil {
		t.Fatal(err)
	}
	// Moved-aside copies and temporary files may hold tokens: sign-out
	// removes them too.
	for _, name := range []string{"cache.cbor.corrupt-1", "cache.cbor.corrupt-2-1", ".cache.cbor.tmp-9"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(secretRefresh), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "keep.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after Remove the folder holds %q, want only keep.txt", names)
	}
	if s, err := f.Load(); s != nil || err != nil {
		t.Errorf("Load after Remove = %v, %v; want nil, nil", s, err)
	}
	// Saving the same snapshot again writes it: it is gone.
	if written, err := f.Save(sample()); !written || err != nil {
		t.Errorf("Save after Remove = %v, %v; want a write", written, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	f, _ := newFile(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				s := sample()
				s.RefreshToken = fmt.Sprintf("r-%d-%d", i, j%3)
				if _, err := f.Save(s); err != nil {
					t.Error(err)
					return
				}
				if _, err := f.Load(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
