// Package sysroots verifies TLS servers against the operating system's
// trusted roots without holding them in memory.
//
// On Linux, crypto/x509 loads the system pool by parsing every certificate
// in /etc/ssl/certs/ca-certificates.crt and then every file in
// /etc/ssl/certs again (on Debian that directory holds the bundle itself and
// a .pem link per root, so each root is parsed three times). That allocates
// about 4 MB and leaves about 3 MB of resident memory on a board whose whole
// agent needs less. A server chain can only end at a root whose subject is
// the issuer of one of the certificates the server sent, so this package
// reads the same files in the same order, at each handshake, keeps only the
// roots with such a subject, and verifies the chain against those with
// crypto/x509, exactly as crypto/tls would against the full pool. Passing
// over a root allocates nothing; a scan of Debian's store allocates about
// 177 KB in all, most of it listing /etc/ssl/certs, and keeps none of it. A
// handshake happens once per connection (the HTTP clients keep theirs
// alive).
package sysroots

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// systemFiles and systemDirs are where crypto/x509 looks for roots on
// Linux (its certFiles and certDirectories): the first file that exists,
// then every file in every directory. SSL_CERT_FILE and SSL_CERT_DIR
// override them, as they do for crypto/x509.
var (
	systemFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian, Raspberry Pi OS, Ubuntu
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // openSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine
	}
	systemDirs = []string{
		"/etc/ssl/certs",
		"/etc/pki/tls/certs",
	}
)

// Verifier checks server certificates against the system roots, reading
// them anew at each handshake. The zero value reads where crypto/x509 reads
// on Linux (/etc/ssl/certs/ca-certificates.crt or the other distributions'
// bundle, then /etc/ssl/certs and /etc/pki/tls/certs), with SSL_CERT_FILE
// and SSL_CERT_DIR taken into account.
type Verifier struct {
	// Files, when set, replaces the candidate bundle files (the first one
	// that can be read is used). Tests set it; the agent leaves it empty.
	Files []string
	// Dirs, when set, replaces the directories whose files are all read.
	Dirs []string
}

// ClientConfig returns a copy of base (which may be nil) that verifies
// servers with v instead of crypto/x509's system pool. crypto/tls's own
// verification is turned off only because VerifyConnection does the same
// verification in its place. A base that pins RootCAs, or verifies nothing
// already, is returned as a plain copy.
func (v *Verifier) ClientConfig(base *tls.Config) *tls.Config {
	var c *tls.Config
	if base == nil {
		c = &tls.Config{}
	} else {
		c = base.Clone()
		if c.RootCAs != nil || c.InsecureSkipVerify {
			return c
		}
	}
	c.InsecureSkipVerify = true // verified in VerifyConnection, below
	c.VerifyConnection = v.VerifyConnection
	return c
}

// VerifyConnection verifies the server's chain and name as crypto/tls does
// with the system pool (server authentication, the current time), for
// tls.Config.VerifyConnection. Errors are crypto/tls's
// *tls.CertificateVerificationError wrapping crypto/x509's, so callers that
// look for x509.UnknownAuthorityError, x509.HostnameError or
// x509.CertificateInvalidError find them.
//
// A server addressed by IP is refused: crypto/tls sends no server name for
// an IP and so does not report which address was dialled, and a chain cannot
// be checked against a name it does not know. Such servers need a pinned
// CA (the agent's ca-file).
func (v *Verifier) VerifyConnection(cs tls.ConnectionState) error {
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	if cs.ServerName == "" {
		return errors.New("tls: a server addressed by IP cannot be verified against the system roots; give its CA with ca-file")
	}
	// The roots that may have issued a sent certificate, and the leaf's own
	// subject: crypto/x509 also accepts a leaf that is itself in the store
	// (an administrator's pinned server certificate).
	subjects := make([][]byte, 0, len(certs)+1)
	for _, c := range certs {
		subjects = append(subjects, c.RawIssuer)
	}
	subjects = append(subjects, certs[0].RawSubject)
	roots, err := v.Roots(subjects)
	if err != nil {
		return err
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		DNSName:       cs.ServerName,
		Intermediates: x509.NewCertPool(),
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	return nil
}

// Roots returns a pool of the system roots whose subject is one of
// subjects (raw DER names, as in Certificate.RawIssuer). It reads the same
// sources as crypto/x509 and fails only when none of them holds a single
// certificate, which means the CA bundle is missing.
func (v *Verifier) Roots(subjects [][]byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	s := scanner{want: subjects, keep: pool.AddCert}
	files, dirs := v.sources()
	var firstErr error
	for _, f := range files {
		err := s.scanFile(f)
		if err == nil {
			break
		}
		if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
			continue
		}
		for _, e := range entries {
			if sameDirSymlink(d, e) {
				continue // the file it names is read under its own name
			}
			_ = s.scanFile(d + "/" + e.Name()) // unreadable entries are skipped, as crypto/x509 does
		}
	}
	if s.seen == 0 {
		if firstErr != nil {
			return nil, fmt.Errorf("tls: reading the system CA certificates: %w", firstErr)
		}
		return nil, fmt.Errorf("tls: no system CA certificates in %s or %s; install ca-certificates or give a CA with ca-file",
			strings.Join(files, ", "), strings.Join(dirs, ", "))
	}
	return pool, nil
}

func (v *Verifier) sources() (files, dirs []string) {
	files, dirs = v.Files, v.Dirs
	if files == nil {
		files = systemFiles
		if f := os.Getenv("SSL_CERT_FILE"); f != "" {
			files = []string{f}
		}
	}
	if dirs == nil {
		dirs = systemDirs
		if d := os.Getenv("SSL_CERT_DIR"); d != "" {
			dirs = strings.Split(d, ":") // OpenSSL's separator, as crypto/x509 uses
		}
	}
	return files, dirs
}

// sameDirSymlink reports a symlink to another file of the same directory
// (the c_rehash links), which crypto/x509 skips.
func sameDirSymlink(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(filepath.Join(dir, e.Name()))
	return err == nil && !strings.Contains(target, "/")
}

// scanner reads PEM files a line at a time and hands keep each
// certificate whose subject is wanted. Buffers are reused from one
// certificate to the next, so a scan allocates the same few kilobytes
// however many roots the system has.
type scanner struct {
	want [][]byte
	keep func(*x509.Certificate)
	seen int // certificates read, wanted or not

	rd   *bufio.Reader
	long []byte // a line longer than rd's buffer, gathered
	b64  []byte // the current block's base64 text
	der  []byte // the current block, decoded
	fail bool   // the current block has a header line: skip it
}

const (
	pemBegin = "-----BEGIN CERTIFICATE-----"
	pemEnd   = "-----END CERTIFICATE-----"
)

func (s *scanner) scanFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if s.rd == nil {
		s.rd = bufio.NewReaderSize(f, 4096)
	} else {
		s.rd.Reset(f)
	}
	return s.scan(s.rd)
}

// scan reads PEM certificate blocks as encoding/pem does for
// x509.CertPool.AppendCertsFromPEM: CERTIFICATE blocks without headers,
// spaces and tabs ignored, anything between blocks ignored, a BEGIN line
// inside a block starting a new one. It is stricter than encoding/pem in
// one way only: BEGIN and END must each be a line of their own (pem.Decode
// also finds a BEGIN glued to the end of a malformed END line), so on a
// damaged file it may keep fewer certificates than crypto/x509, never
// more: verification then fails closed.
func (s *scanner) scan(rd *bufio.Reader) error {
	in := false
	for {
		frag, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			s.long = append(s.long, frag...) // a line longer than the buffer
			continue
		}
		line := frag
		if len(s.long) > 0 {
			s.long = append(s.long, frag...)
			line = s.long
		}
		// As encoding/pem's getLine: the newline, one carriage return
		// before it, then spaces and tabs; not any mix of them, or a
		// BEGIN or END line pem.Decode refuses would count here.
		t := line
		if n := len(t); n > 0 && t[n-1] == '\n' {
			t = t[:n-1]
			if n := len(t); n > 0 && t[n-1] == '\r' {
				t = t[:n-1]
			}
		}
		t = bytes.TrimRight(t, " \t")
		switch {
		case bytes.Equal(t, []byte(pemBegin)):
			in, s.fail, s.b64 = true, false, s.b64[:0]
		case !in:
		case bytes.Equal(t, []byte(pemEnd)):
			in = false
			s.block()
		case bytes.IndexByte(t, ':') >= 0:
			s.fail = true // a header (pem.Decode returns it, x509 skips the block) or undecodable
		default:
			for _, c := range t {
				if c != ' ' && c != '\t' && c != '\r' {
					s.b64 = append(s.b64, c)
				}
			}
		}
		s.long = s.long[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// block handles one complete PEM block.
func (s *scanner) block() {
	if s.fail || len(s.b64) == 0 {
		return
	}
	n := base64.StdEncoding.DecodedLen(len(s.b64))
	if cap(s.der) < n {
		s.der = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(s.der[:n], s.b64)
	if err != nil {
		return
	}
	der := s.der[:n]
	subject, ok := rawSubject(der)
	if !ok {
		return
	}
	wanted := false
	for _, w := range s.want {
		if bytes.Equal(w, subject) {
			wanted = true
			break
		}
	}
	if !wanted {
		s.seen++ // parsing every certificate to count it would cost what this package saves
		return
	}
	cert, err := x509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return // crypto/x509 skips certificates it cannot parse, too
	}
	s.seen++
	s.keep(cert)
}
