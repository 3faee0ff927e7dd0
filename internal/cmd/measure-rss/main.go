// Command measure-rss runs the identity provider and the MQTT broker for
// scripts/measure-rss and scripts/measure-rss-arm, starts the agent against
// them, and reports the agent's peak resident memory.
//
// The provider (devicecode/entratest, over TLS as localhost) and the broker
// (mochi-mqtt) run in this process, so the agent's figures are its own.
//
//	measure-rss AGENT WORKDIR system|pinned REFRESHES
//
// It runs the agent through a device code sign-in (3 pending polls) and
// REFRESHES refreshes, with the system roots or with one pinned root
// (ca-file), and prints its VmHWM, the anonymous/file split and how many
// pages of each section of its binary are resident.
//
// MEASURE_RSS_DEBUG=smaps (or smaps_rollup, status, ...) prints that file
// of the agent's /proc directory at the end of each run.
//
// Started as PID 1 (scripts/measure-rss-arm boots it as the init of an ARM
// virtual machine), it mounts /proc and /dev, brings up the loopback
// interface, runs the runs named by the kernel command line's
// measure= parameter (the kernel passes it in the environment), and powers
// the machine off. There, a run may also name a bench/cmd contender
// (bench/internal/harness: -auth, -ca, -roots), which goes through the same
// sign-in and reports its own VmHWM, for a comparison on the same machine.
package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/boardlogin/boardlogin/devicecode/entratest"
	"github.com/boardlogin/boardlogin/internal/testenv"
)

func main() {
	if os.Getpid() == 1 {
		initMain()
		return
	}
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: measure-rss AGENT WORKDIR system|pinned REFRESHES")
		os.Exit(2)
	}
	refreshes, err := strconv.Atoi(os.Args[4])
	if err == nil {
		err = measureAgent(os.Stdout, os.Args[1], os.Args[2], os.Args[3], refreshes)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// provider is the identity provider and broker of one run.
type provider struct {
	idp     *entratest.Server
	url     string // https://localhost:port
	rootPEM string // the test CA
	broker  string // tcp://127.0.0.1:port
	close   func()
}

func startProvider(work string, lifetime time.Duration) (*provider, error) {
	idp := entratest.New(entratest.Options{TokenLifetime: lifetime, Interval: time.Second, ApproveAfterPolls: 3})
	// The provider is reached by name, as on a board (the agent checks the
	// system roots against the dialled name; a provider by IP needs
	// ca-file), with a certificate from a CA of this process's own.
	serverTLS, rootPEM, err := testenv.LocalhostTLS(work)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(idp)
	ts.TLS = serverTLS
	ts.StartTLS()

	b := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.AddHook(new(auth.AllowHook), nil)
	tcp := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := b.AddListener(tcp); err != nil {
		ts.Close()
		return nil, err
	}
	if err := b.Serve(); err != nil {
		ts.Close()
		return nil, err
	}
	return &provider{
		idp: idp, url: strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), rootPEM: rootPEM,
		broker: "tcp://" + tcp.Address(),
		close:  func() { b.Close(); ts.Close() },
	}, nil
}

// systemRootsEnv trusts the system's roots plus the test CA, as on a board
// that trusts the system roots.
func systemRootsEnv(work, rootPEM string) ([]string, error) {
	certDir := filepath.Join(work, "certs")
	if err := os.MkdirAll(certDir, 0o755); err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(rootPEM)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(certDir, "entratest.pem"), pem, 0o644); err != nil {
		return nil, err
	}
	return []string{"SSL_CERT_DIR=/etc/ssl/certs:" + certDir}, nil
}

func measureAgent(out io.Writer, bin, work, mode string, refreshes int) error {
	lifetime := 2 * time.Second
	if refreshes > 10 {
		lifetime = time.Second // shortest whole-second lifetime: a refresh every 0.5 s
	}
	work = filepath.Join(work, mode)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	p, err := startProvider(work, lifetime)
	if err != nil {
		return err
	}
	defer p.close()

	args := []string{"run", "-config", "none", "-tenant", entratest.TenantDomain, "-client-id", entratest.DefaultClientID,
		"-authority-host", p.url, "-profile.graph=https://graph.microsoft.com/.default", "-cache", filepath.Join(work, "tokens.cbor"),
		"-mqtt-broker", p.broker, "-display", "terminal", "-log-level", "info"}
	env := append(os.Environ(), "GOMAXPROCS=1")
	switch mode {
	case "system":
		extra, err := systemRootsEnv(work, p.rootPEM)
		if err != nil {
			return err
		}
		env = append(env, extra...)
	case "pinned":
		args = append(args, "-ca-file", p.rootPEM)
	default:
		return fmt.Errorf("mode %q: want system or pinned", mode)
	}
	if ml := os.Getenv("AGENT_GOMEMLIMIT"); ml != "" {
		args = append(args, "-gomemlimit", ml)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	signedIn := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			l := sc.Text()
			if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
				fmt.Fprintln(os.Stderr, "agent:", l)
			}
			if !once && strings.Contains(l, `msg="signed in"`) {
				once = true
				close(signedIn)
			}
		}
	}()
	select {
	case <-signedIn:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("the agent did not sign in within 3 minutes")
	}
	issued0 := p.idp.Issued()
	var anonMid string
	for p.idp.Issued()-issued0 < refreshes {
		time.Sleep(20 * time.Millisecond)
		if anonMid == "" && p.idp.Issued()-issued0 >= refreshes/10 {
			anonMid = status(cmd.Process.Pid, "RssAnon")
		}
	}
	pid := cmd.Process.Pid
	// The last token is issued, but the agent is still at work on it
	// (saving, publishing, trimming): the figures are read once it has
	// used no CPU for 100 ms, that is, once it sleeps until the next
	// refresh. Under emulation a refresh takes about 0.1 s of CPU.
	quiet := waitQuiet(pid, 100*time.Millisecond, 3*time.Second)
	// The binary's pages are RssFile, or RssShmem where it lives on tmpfs
	// (the initramfs of scripts/measure-rss-arm).
	hwm, anon, file := status(pid, "VmHWM"), status(pid, "RssAnon"), status(pid, "RssFile", "RssShmem")
	if f := os.Getenv("MEASURE_RSS_DEBUG"); f != "" {
		// e.g. smaps_rollup, or smaps for the mappings one by one
		// (an error is printed, not returned: the agent must still be
		// stopped below)
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, filepath.Base(f)))
		if err != nil {
			fmt.Fprintln(out, "MEASURE_RSS_DEBUG:", err)
		}
		out.Write(b)
	}
	sections, err := residentSections(pid, bin)
	if err != nil {
		sections = "? (" + err.Error() + ")"
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	asleep := "asleep"
	if !quiet {
		asleep = "still busy"
	}
	fmt.Fprintf(out, "%-12s peak RSS (VmHWM) %s; at end (%s) %s anon + %s file (anon after 10%% of refreshes: %s); %d refreshes, %s, cpu %s, exit %v\n",
		"flow-"+mode, hwm, asleep, anon, file, anonMid, p.idp.Issued()-issued0, time.Since(start).Round(time.Second), cpu.Round(time.Millisecond), err)
	fmt.Fprintf(out, "%-12s binary pages resident at end: %s\n", "", sections)
	return nil
}

// measureContender runs a bench/cmd contender through one sign-in against
// the same provider and prints the peak RSS it reports.
func measureContender(out io.Writer, bin, work, mode string) error {
	work = filepath.Join(work, "contender-"+mode)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	p, err := startProvider(work, time.Hour)
	if err != nil {
		return err
	}
	defer p.close()
	cmd := exec.Command(bin, "-auth", p.url, "-ca", p.rootPEM, "-roots", mode)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %v", filepath.Base(bin), err)
	}
	var result, kb string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "vmhwm_kb="); ok {
			kb = v
		}
		if i := strings.Index(l, "result="); i >= 0 {
			result = l[i+len("result="):]
		}
	}
	n, err := strconv.Atoi(kb)
	if err != nil || result != `"ok"` {
		return fmt.Errorf("%s: no sign-in (result %s, vmhwm_kb %q)", filepath.Base(bin), result, kb)
	}
	fmt.Fprintf(out, "%-12s peak RSS (VmHWM) %s\n", filepath.Base(bin)+"-"+mode, mib(n))
	return nil
}

// residentSections says, for each loaded section of the binary, how many of
// its pages the process has mapped (/proc/<pid>/pagemap, present bit), e.g.
// ".text 964/964". It shows where the file part of the RSS comes from.
func residentSections(pid int, bin string) (string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pagemap, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return "", err
	}
	defer pagemap.Close()
	page := uint64(os.Getpagesize())
	var out []string
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS || s.Size < page {
			continue
		}
		// A static Go binary is not relocated: section addresses are the
		// mapped addresses.
		first, last := s.Addr/page, (s.Addr+s.Size-1)/page
		buf := make([]byte, 8*(last-first+1))
		if _, err := pagemap.ReadAt(buf, int64(first*8)); err != nil {
			return "", err
		}
		present := 0
		for i := 0; i < len(buf); i += 8 {
			if binary.LittleEndian.Uint64(buf[i:])>>63 == 1 {
				present++
			}
		}
		out = append(out, fmt.Sprintf("%s %d/%d", s.Name, present, len(buf)/8))
	}
	return strings.Join(out, ", "), nil
}

// status reads fields of /proc/<pid>/status, given in kB, and shows their
// sum as MiB.
// waitQuiet waits until the process has used no CPU time for quiet (as
// /proc/<pid>/stat counts it, in clock ticks), for at most limit, and says
// whether it saw that.
func waitQuiet(pid int, quiet, limit time.Duration) bool {
	cpu := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return ""
		}
		// utime and stime are fields 14 and 15; the command name (field
		// 2) is in parentheses and may hold spaces.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return ""
		}
		return f[11] + " " + f[12]
	}
	deadline := time.Now().Add(limit)
	last, since := cpu(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if now := cpu(); now != last || now == "" {
			last, since = now, time.Now()
			continue
		}
		if time.Since(since) >= quiet {
			return true
		}
	}
	return false
}

func status(pid int, fields ...string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	sum, found := 0, 0
	for _, l := range strings.Split(string(b), "\n") {
		for _, field := range fields {
			if v, ok := strings.CutPrefix(l, field+":"); ok {
				kb, _ := strconv.Atoi(strings.Fields(v)[0])
				sum += kb
				found++
			}
		}
	}
	if found != len(fields) {
		return "?"
	}
	return mib(sum)
}

// mib shows a figure in kB as MiB with one decimal, and the kB.
func mib(kb int) string {
	return fmt.Sprintf("%.1f MiB (%d kB)", float64(kb)/1024, kb)
}

// initMain is the init process of scripts/measure-rss-arm's virtual
// machine: /agent, /contenders/* and /etc (hosts, ssl/certs) are in its
// initramfs, and measure= on the kernel command line lists the runs, e.g.
// measure=system:3,pinned:3,soak:1000,msal.
func initMain() {
	defer poweroff()
	for _, m := range []struct{ source, target, fstype string }{
		{"proc", "/proc", "proc"}, {"devtmpfs", "/dev", "devtmpfs"}, {"tmpfs", "/tmp", "tmpfs"},
	} {
		os.MkdirAll(m.target, 0o755)
		if err := syscall.Mount(m.source, m.target, m.fstype, 0, ""); err != nil {
			fmt.Printf("error: mount %s: %v\n", m.target, err)
			return
		}
	}
	if err := loopbackUp(); err != nil {
		fmt.Println("error: loopback:", err)
		return
	}
	os.Setenv("PATH", "/")
	fmt.Println("measure-rss: begin")
	if v, err := os.ReadFile("/proc/version"); err == nil {
		fmt.Print(string(v))
	}
	for _, run := range strings.Split(os.Getenv("measure"), ",") {
		name, arg, _ := strings.Cut(run, ":")
		var err error
		switch name {
		case "system", "pinned":
			n, _ := strconv.Atoi(arg)
			err = measureAgent(os.Stdout, "/agent", "/tmp", name, n)
		case "soak":
			n, _ := strconv.Atoi(arg)
			var b strings.Builder
			err = measureAgent(&b, "/agent", "/tmp/soak", "pinned", n)
			fmt.Print(strings.Replace(b.String(), "flow-pinned ", fmt.Sprintf("soak-%-7d", n), 1))
		default:
			for _, mode := range []string{"system", "pinned"} {
				if err = measureContender(os.Stdout, "/contenders/"+name, "/tmp", mode); err != nil {
					break
				}
			}
		}
		if err != nil {
			fmt.Printf("error: %s: %v\n", run, err)
		}
	}
	fmt.Println("measure-rss: end")
}

// loopbackUp sets IFF_UP on lo; the kernel then gives it 127.0.0.1.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr [40]byte // struct ifreq: name[16], then the union (flags: short)
	copy(ifr[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	flags := binary.NativeEndian.Uint16(ifr[16:]) | syscall.IFF_UP
	binary.NativeEndian.PutUint16(ifr[16:], flags)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	return nil
}

func poweroff() {
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}
