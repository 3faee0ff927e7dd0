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
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// span is one mapping of /proc/self/smaps.
type span struct {
	start, end uint64 // addresses
	perms      string // "r-xp"
	file       string // device and inode: "fe:00 247278"
	rss        int64  // bytes resident
	anonymous  int64  // bytes of private copies (copy-on-write)
	locked     bool   // VmFlags has "lo" (mlock)
}

// errNoMapping means no mapping of smaps holds the given code address.
var errNoMapping = errors.New("no file mapping holds this program's code")

// releasable parses smaps and returns the mappings Release may unmap: those
// of the file that holds the code at pc (the executable), private, never
// writable, with no private copy of any page and not locked, and the bytes
// resident in them.
//
// The checks are what makes MADV_DONTNEED harmless: it throws away private
// copies of pages, so a mapping that was ever written (a writable data
// segment, or a RELRO segment the dynamic loader relocated and then made
// read-only) must be left alone, and its Anonymous count says whether it
// holds any. Locked mappings were locked for a reason, and the kernel
// refuses them anyway.
func releasable(smaps io.Reader, pc uint64) ([]span, int64, error) {
	all, err := parseSmaps(smaps)
	if err != nil {
		return nil, 0, err
	}
	file := ""
	for _, s := range all {
		if s.start <= pc && pc < s.end && s.file != "" {
			file = s.file
			break
		}
	}
	if file == "" {
		return nil, 0, errNoMapping
	}
	var out []span
	var rss int64
	for _, s := range all {
		if s.file != file || s.perms[1] == 'w' || s.perms[3] != 'p' || s.anonymous != 0 || s.locked {
			continue
		}
		out = append(out, s)
		rss += s.rss
	}
	return out, rss, nil
}

// parseSmaps reads the mappings of a /proc/<pid>/smaps file. A mapping's
// file is "" when it is anonymous (inode 0).
func parseSmaps(r io.Reader) ([]span, error) {
	var out []span
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 64<<10) // a line holds at most a path
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		key, value, isField := strings.Cut(text, ":")
		if isField && !strings.ContainsAny(key, " -") {
			// "Rss:    8 kB", "VmFlags: rd ex mr mw me", ...
			if len(out) == 0 {
				return nil, fmt.Errorf("smaps line %d: a field before any mapping", line)
			}
			cur := &out[len(out)-1]
			switch key {
			case "Rss", "Anonymous":
				n, err := kilobytes(value)
				if err != nil {
					return nil, fmt.Errorf("smaps line %d: %s: %w", line, key, err)
				}
				if key == "Rss" {
					cur.rss = n
				} else {
					cur.anonymous = n
				}
			case "VmFlags":
				for _, f := range strings.Fields(value) {
					if f == "lo" {
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

// parseHeader parses a mapping's first line:
//
//	00400000-00452000 r-xp 00000000 fe:01 1234   /usr/bin/boardlogin
func parseHeader(text string) (span, error) {
	f := strings.Fields(text)
	if len(f) < 5 {
		return span{}, fmt.Errorf("not a mapping: %q", text)
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if !ok || err1 != nil || err2 != nil || end <= start {
		return span{}, fmt.Errorf("bad address range %q", f[0])
	}
	if len(f[1]) != 4 {
		return span{}, fmt.Errorf("bad permissions %q", f[1])
	}
	s := span{start: start, end: end, perms: f[1]}
	if f[4] != "0" {
		s.file = f[3] + " " + f[4]
	}
	return s, nil
}

// kilobytes parses "     8 kB".
func kilobytes(v string) (int64, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || unit != "kB" {
		return 0, fmt.Errorf("want a size in kB, got %q", strings.TrimSpace(v))
	}
	k, err := strconv.ParseInt(n, 10, 64)
	if err != nil || k < 0 || k > 1<<40 {
		return 0, fmt.Errorf("bad size %q", n)
	}
	return k << 10, nil
}
