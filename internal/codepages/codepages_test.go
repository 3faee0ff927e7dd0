package codepages

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// releasable picks the executable's read-only mappings that hold no
// private copy of a page, and nothing else: not its data, not a RELRO
// segment the dynamic loader wrote, not the loader, the vDSO or the heap.
func TestReleasable(t *testing.T) {
	static := fixture(t, "static.smaps") // CGO_ENABLED=0 go build, as released
	pie := fixture(t, "pie.smaps")       // go build -buildmode=pie: ld.so, RELRO
	qemu := fixture(t, "qemu-arm.smaps") // a GOARCH=arm test binary under qemu-arm 7.2
	tests := []struct {
		name    string
		smaps   string
		pc      uint64
		want    []string // start-end perms
		wantRSS int64
		wantErr string
	}{
		{
			name:    "static binary: code and read-only data, not the data segment nor the page before it",
			smaps:   static,
			pc:      0x401234,
			want:    []string{"400000-496000 r-xp", "496000-561000 r--p"},
			wantRSS: (600 + 816) << 10,
		},
		{
			name:  "PIE: the RELRO segment holds relocated copies and stays",
			smaps: pie,
			pc:    0x560e0ad7d000,
			want:  []string{"560e0ad7c000-560e0ae12000 r-xp", "560e0ae12000-560e0aee0000 r--p"},
			wantRSS: func() int64 {
				// the two mappings' Rss lines in the fixture
				return rssOf(t, pie, "560e0ad7c000") + rssOf(t, pie, "560e0ae12000")
			}(),
		},
		{
			name: "a binary replaced on disk while it runs",
			smaps: strings.ReplaceAll(static, "/opt/board login/boardlogin",
				"/opt/board login/boardlogin (deleted)"),
			pc:      0x401234,
			want:    []string{"400000-496000 r-xp", "496000-561000 r--p"},
			wantRSS: (600 + 816) << 10,
		},
		{
			name: "a locked mapping is left alone",
			smaps: strings.Replace(static, "VmFlags: rd ex mr mw me",
				"VmFlags: rd ex mr mw me lo", 1),
			pc:      0x401234,
			want:    []string{"496000-561000 r--p"},
			wantRSS: 816 << 10,
		},
		{
			name: "a code page with a private copy (a debugger's breakpoint) keeps its mapping",
			smaps: strings.Replace(static, "Anonymous:             0 kB",
				"Anonymous:             4 kB", 1),
			pc:      0x401234,
			want:    []string{"496000-561000 r--p"},
			wantRSS: 816 << 10,
		},
		{
			name: "pages bordering writable mappings on both sides are kept; a mapping of such pages only is left",
			smaps: "00400000-00410000 r-xp 00000000 fe:00 7 /b\nRss: 64 kB\n" +
				"00410000-00411000 rw-p 00010000 fe:00 7 /b\nRss: 4 kB\nAnonymous: 4 kB\n" +
				"00411000-00414000 r--p 00011000 fe:00 7 /b\nRss: 12 kB\n" +
				"00414000-00415000 rw-p 00014000 fe:00 7 /b\nRss: 4 kB\nAnonymous: 4 kB\n" +
				"00415000-00416000 r--p 00015000 fe:00 7 /b\nRss: 4 kB\n" +
				"00416000-00417000 rw-p 00000000 00:00 0\nRss: 4 kB\nAnonymous: 4 kB\n",
			pc:      0x400010,
			want:    []string{"400000-40f000 r-xp", "412000-413000 r--p"},
			wantRSS: (64 + 12) << 10,
		},
		{
			name:    "a pc in a mapping that is not executable: smaps is not to be trusted",
			smaps:   static,
			pc:      0x4a0000,
			wantErr: errNotExecutable.Error(),
		},
		{
			// qemu-user shows the guest's code as r--p, and every range a
			// page late: its r--p 1f1000-391000 holds the data segment's
			// first page (0x390000), where a release would undo writes.
			name:    "qemu-user's emulated smaps",
			smaps:   qemu,
			pc:      0x1d2ef7,
			wantErr: errNotExecutable.Error(),
		},
		{
			name:    "a pc in no file mapping",
			smaps:   static,
			pc:      0x56b100, // the anonymous mapping after the data segment
			wantErr: errNoMapping.Error(),
		},
		{
			name:    "a field before any mapping",
			smaps:   "Rss:  4 kB\n",
			wantErr: "smaps line 1: a field before any mapping",
		},
		{
			name:    "a damaged header",
			smaps:   "00400000 r-xp 00000000 fe:00 1 /x\n",
			wantErr: `smaps line 1: bad address range "00400000"`,
		},
		{
			name:    "a damaged device",
			smaps:   "00400000-00401000 r-xp 00000000 fe00 1 /x\n",
			wantErr: `smaps line 1: bad device or inode "fe00" "1"`,
		},
		{
			name:    "a damaged size",
			smaps:   "00400000-00401000 r-xp 00000000 fe:00 1 /x\nRss: lots\n",
			wantErr: `smaps line 2: Rss: want a size in kB, got "lots"`,
		},
		{
			name:    "an empty file",
			smaps:   "",
			wantErr: errNoMapping.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rss, err := releasable(strings.NewReader(tt.smaps), tt.pc, 4096)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, fmt.Sprintf("%x-%x %s", s.start, s.end, s.perms[:]))
			}
			if strings.Join(names, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("mappings = %q, want %q", names, tt.want)
			}
			if rss != tt.wantRSS {
				t.Errorf("rss = %d, want %d", rss, tt.wantRSS)
			}
		})
	}
}

// rssOf reads the Rss line of the mapping starting at start.
func rssOf(t *testing.T, smaps, start string) int64 {
	t.Helper()
	all, err := parseSmaps(strings.NewReader(smaps))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if fmt.Sprintf("%x", s.start) == start {
			return s.rss
		}
	}
	t.Fatalf("no mapping at %s", start)
	return 0
}

// Every mapping of a real smaps file is read, with its sizes.
func TestParseSmapsReadsEveryMapping(t *testing.T) {
	all, err := parseSmaps(strings.NewReader(fixture(t, "pie.smaps")))
	if err != nil {
		t.Fatal(err)
	}
	headers := strings.Count("\n"+fixture(t, "pie.smaps"), "\nVmFlags:")
	if len(all) != headers {
		t.Fatalf("%d mappings, want %d", len(all), headers)
	}
	var anon int64
	for _, s := range all {
		anon += s.anonymous
	}
	if anon == 0 {
		t.Fatal("no Anonymous sizes read")
	}
}

// Whatever smaps holds, releasable neither panics nor hands out a mapping
// that could hold a written page.
func FuzzReleasable(f *testing.F) {
	for _, name := range []string{"static.smaps", "pie.smaps"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b[:min(len(b), 4096)]), uint64(0x401234))
	}
	f.Add("00400000-00401000 r-xp 00000000 fe:00 1 /x\nRss: 4 kB\nAnonymous: 0 kB\n", uint64(0x400000))
	f.Fuzz(func(t *testing.T, smaps string, pc uint64) {
		spans, rss, err := releasable(strings.NewReader(smaps), pc, 4096)
		if err != nil {
			return
		}
		var sum int64
		for _, s := range spans {
			if s.perms[1] == 'w' || s.perms[3] != 'p' || s.anonymous != 0 || s.locked || s.file == (fileID{}) || s.end <= s.start || s.start%4096 != 0 {
				t.Fatalf("released %+v", s)
			}
			sum += s.rss
		}
		if sum != rss {
			t.Fatalf("rss %d, mappings hold %d", rss, sum)
		}
	})
}
