// Package codepages hands the kernel back the resident pages of the running
// executable's own code, for a daemon that sleeps far more than it runs.
//
// A Go binary's machine code, read-only data and function tables are mapped
// from its file. The runtime and every package's init function touch code
// across nearly all of it at start-up, and the kernel maps up to 64 KB
// around each page fault (fault-around) when the file is in the page cache,
// so a process's resident memory soon holds most of its binary and keeps it
// for good, though the agent needs a fraction of it between sign-ins and
// none of it while it sleeps. Release unmaps those pages. They are clean
// copies of the file, so nothing is lost: they stay in the page cache, where
// the kernel may reuse them before any memory a process holds, and the next
// instruction that needs one maps it again with a minor fault.
package codepages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// span is one mapping of /proc/self/smaps.
type span struct {
	start, end uint64  // addresses
	perms      [4]byte // "r-xp"
	file       fileID  // zero for an anonymous mapping
	rss        int64   // bytes resident
	anonymous  int64   // bytes of private copies (copy-on-write)
	locked     bool    // VmFlags has "lo" (mlock)
}

// fileID names the file a mapping maps: its device and inode.
type fileID struct{ dev, inode uint64 }

// errNoMapping means no mapping of smaps holds the given code address.
var errNoMapping = errors.New("no file mapping holds this program's code")

// errNotExecutable means smaps shows the mapping that holds the program's
// running code as not executable, so it does not describe this process's
// memory faithfully. qemu-user does that: it reports the guest's code as
// r--p, and its ranges one page off, so that a release by them would
// throw away the first page of the data segment.
var errNotExecutable = errors.New("smaps shows this program's code as not executable (run under an emulator such as qemu-user?): its ranges cannot be trusted")

// releasable parses smaps and returns the ranges Release may unmap: the
// mappings of the file that holds the code at pc (the executable) that are
// private, never writable, hold no private copy of any page and are not
// locked, less any page that borders a writable mapping; and about how
// many bytes are resident in them (the mappings' Rss).
//
// The checks are what makes MADV_DONTNEED harmless: it throws away private
// copies of pages, so a mapping that was ever written (a writable data
// segment, or a RELRO segment the dynamic loader relocated and then made
// read-only) must be left alone, and its Anonymous count says whether it
// holds any. Locked mappings were locked for a reason, and the kernel
// refuses them anyway. The border pages are kept in case a range is
// reported a page off; the kernel's are exact, and keeping them costs a
// page or two.
func releasable(smaps io.Reader, pc uint64, pageSize uint64) ([]span, int64, error) {
	all, err := parseSmaps(smaps)
	if err != nil {
		return nil, 0, err
	}
	var file fileID
	for _, s := range all {
		if s.start <= pc && pc < s.end && s.file != (fileID{}) {
			if s.perms[2] != 'x' {
				return nil, 0, errNotExecutable
			}
			file = s.file
			break
		}
	}
	if file == (fileID{}) {
		return nil, 0, errNoMapping
	}
	var out []span
	var rss int64
	for i, s := range all {
		if s.file != file || s.perms[1] == 'w' || s.perms[3] != 'p' || s.anonymous != 0 || s.locked {
			continue
		}
		if i > 0 && all[i-1].end == s.start && all[i-1].perms[1] == 'w' {
			s.start += pageSize
		}
		if i+1 < len(all) && all[i+1].start == s.end && all[i+1].perms[1] == 'w' {
			s.end -= pageSize
		}
		if s.start >= s.end {
			continue
		}
		out = append(out, s)
		rss += s.rss
	}
	return out, rss, nil
}

// parseSmaps reads the mappings of a /proc/<pid>/smaps file. It works on
// the scanner's bytes: the agent reads the file at every quiet moment, and
// a string per line would be 850 allocations each time.
func parseSmaps(r io.Reader) ([]span, error) {
	out := make([]span, 0, 64) // a Go program has 20 to 40 mappings
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10) // a line holds at most a path
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if key, value, ok := bytes.Cut(text, []byte(":")); ok && isFieldName(key) {
			// "Rss:    8 kB", "VmFlags: rd ex mr mw me", ...
			if len(out) == 0 {
				return nil, fmt.Errorf("smaps line %d: a field before any mapping", line)
			}
			cur := &out[len(out)-1]
			switch string(key) {
			case "Rss", "Anonymous":
				n, err := kilobytes(value)
				if err != nil {
					return nil, fmt.Errorf("smaps line %d: %s: %w", line, key, err)
				}
				if string(key) == "Rss" {
					cur.rss = n
				} else {
					cur.anonymous = n
				}
			case "VmFlags":
				for f := range bytes.FieldsSeq(value) {
					if string(f) == "lo" {
						cur.locked = true
					}
				}
			}
			continue
		}
		s, err := parseHeader(text)
		if err != nil {
			return nil, fmt.Errorf("smaps line %d: %w", line, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("smaps: %w", err)
	}
	return out, nil
}

// isFieldName says whether key names a field ("Rss", "VmFlags") rather
// than being the start of a mapping's first line, which holds spaces.
func isFieldName(key []byte) bool {
	return len(key) > 0 && bytes.IndexAny(key, " -") < 0
}

// parseHeader parses a mapping's first line:
//
//	00400000-00452000 r-xp 00000000 fe:01 1234   /usr/bin/boardlogin
func parseHeader(text []byte) (span, error) {
	var f [5][]byte
	n := 0
	for field := range bytes.FieldsSeq(text) {
		if n == len(f) {
			break // the path
		}
		f[n] = field
		n++
	}
	if n < len(f) {
		return span{}, fmt.Errorf("not a mapping: %q", text)
	}
	lo, hi, ok := bytes.Cut(f[0], []byte("-"))
	start, ok1 := parseHex(lo)
	end, ok2 := parseHex(hi)
	if !ok || !ok1 || !ok2 || end <= start || start%4096 != 0 || end%4096 != 0 {
		return span{}, fmt.Errorf("bad address range %q", f[0])
	}
	if len(f[1]) != 4 {
		return span{}, fmt.Errorf("bad permissions %q", f[1])
	}
	s := span{start: start, end: end}
	copy(s.perms[:], f[1])
	major, minor, ok := bytes.Cut(f[3], []byte(":"))
	maj, ok1 := parseHex(major)
	mnr, ok2 := parseHex(minor)
	inode, ok3 := parseDecimal(f[4])
	if !ok || !ok1 || !ok2 || !ok3 || maj > 0xffffffff || mnr > 0xffffffff {
		return span{}, fmt.Errorf("bad device or inode %q %q", f[3], f[4])
	}
	if inode != 0 {
		s.file = fileID{dev: maj<<32 | mnr, inode: inode}
	}
	return s, nil
}

// kilobytes parses "     8 kB".
func kilobytes(v []byte) (int64, error) {
	n, unit, ok := bytes.Cut(bytes.TrimSpace(v), []byte(" "))
	if !ok || string(unit) != "kB" {
		return 0, fmt.Errorf("want a size in kB, got %q", bytes.TrimSpace(v))
	}
	k, ok := parseDecimal(n)
	if !ok || k > 1<<40 {
		return 0, fmt.Errorf("bad size %q", n)
	}
	return int64(k) << 10, nil
}

// parseHex parses 1 to 16 hexadecimal digits.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// parseDecimal parses 1 to 19 decimal digits.
func parseDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
