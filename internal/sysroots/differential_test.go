package sysroots

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

// Each case is one handshake through the Verifier and one through
// crypto/tls with crypto/x509's pool built from the same store: they must
// agree, accepting or refusing, on every chain a server may send.
func TestVerifierAgreesWithCryptoX509(t *testing.T) {
	f := pki(t)
	now := time.Now()
	root := f.root
	ca := func(name string, parent *authority, tmpl x509.Certificate) *authority {
		key := newKey(t)
		tmpl.Subject = pkix.Name{CommonName: name}
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		}
		tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, x509.KeyUsageCertSign
		return &authority{key: key, cert: sign(t, &tmpl, parent, key)}
	}
	leafWith := func(parent *authority, tmpl x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl.Subject, tmpl.DNSNames = pkix.Name{CommonName: "idp.test"}, []string{"idp.test"}
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		return sign(t, &tmpl, parent, key), key
	}

	nonCA := ca("Not a CA", root, x509.Certificate{IsCA: false})
	leafNonCA, kNonCA := leafFor(t, "idp.test", nonCA, time.Time{}, time.Time{})
	constrained := ca("Constrained CA", root, x509.Certificate{IsCA: true, PermittedDNSDomains: []string{"other.test"}})
	leafConstrained, kConstrained := leafFor(t, "idp.test", constrained, time.Time{}, time.Time{})
	leafClientAuth, kClientAuth := leafWith(f.inter, x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	clientAuthCA := ca("Client Auth CA", root, x509.Certificate{IsCA: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	leafUnderClientAuth, kUnderClientAuth := leafFor(t, "idp.test", clientAuthCA, time.Time{}, time.Time{})
	leafFuture, kFuture := leafFor(t, "idp.test", f.inter, now.Add(time.Hour), now.Add(48*time.Hour))
	self, kSelf := leafWith(nil, x509.Certificate{})
	// A root with the real root's name and another key, and what it signs.
	fakeInter := newCA(t, "Test Issuing CA", f.sameSubject)
	fakeLeaf, kFake := leafFor(t, "idp.test", fakeInter, time.Time{}, time.Time{})
	fakeDirect, kFakeDirect := leafFor(t, "idp.test", f.sameSubject, time.Time{}, time.Time{})
	// A new root, cross-signed by the trusted one.
	newRoot := newCA(t, "New Root", nil)
	cross := sign(t, &x509.Certificate{Subject: newRoot.cert.Subject, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, root, newRoot.key)
	newInter := newCA(t, "New Issuing CA", newRoot)
	crossLeaf, kCross := leafFor(t, "idp.test", newInter, time.Time{}, time.Time{})
	// A server certificate an administrator put in the store, issued by a
	// CA that is not there.
	private := newCA(t, "Private CA", nil)
	pinnedLeaf, kPinned := leafFor(t, "idp.test", private, time.Time{}, time.Time{})
	oldRoot := ca("Old Root", nil, x509.Certificate{IsCA: true, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	oldLeaf, kOld := leafFor(t, "idp.test", oldRoot, time.Time{}, time.Time{})

	tests := []struct {
		name  string
		store []*x509.Certificate
		host  string
		chain []*x509.Certificate
		key   *ecdsa.PrivateKey
	}{
		{"good chain", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{f.leaf, f.inter.cert}, f.leafKey},
		{"wrong host", []*x509.Certificate{root.cert}, "evil.test", []*x509.Certificate{f.leaf, f.inter.cert}, f.leafKey},
		{"host with a trailing dot", []*x509.Certificate{root.cert}, "idp.test.", []*x509.Certificate{f.leaf, f.inter.cert}, f.leafKey},
		{"host in upper case", []*x509.Certificate{root.cert}, "IDP.TEST", []*x509.Certificate{f.leaf, f.inter.cert}, f.leafKey},
		{"intermediate that is no CA", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{leafNonCA, nonCA.cert}, kNonCA},
		{"name constraints", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{leafConstrained, constrained.cert}, kConstrained},
		{"leaf for client auth only", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{leafClientAuth, f.inter.cert}, kClientAuth},
		{"intermediate for client auth only", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{leafUnderClientAuth, clientAuthCA.cert}, kUnderClientAuth},
		{"leaf not yet valid", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{leafFuture, f.inter.cert}, kFuture},
		{"self-signed leaf", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{self}, kSelf},
		{"self-signed leaf in the store", []*x509.Certificate{root.cert, self}, "idp.test", []*x509.Certificate{self}, kSelf},
		{"fake root of the same name sent along", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{fakeLeaf, fakeInter.cert, f.sameSubject.cert}, kFake},
		{"leaf signed by a fake root", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{fakeDirect, f.sameSubject.cert}, kFakeDirect},
		{"cross-signed new root", []*x509.Certificate{root.cert}, "idp.test", []*x509.Certificate{crossLeaf, newInter.cert, cross}, kCross},
		{"cross-signed, both roots in the store", []*x509.Certificate{root.cert, newRoot.cert}, "idp.test", []*x509.Certificate{crossLeaf, newInter.cert, cross}, kCross},
		{"server certificate itself in the store", []*x509.Certificate{root.cert, pinnedLeaf}, "idp.test", []*x509.Certificate{pinnedLeaf}, kPinned},
		{"expired root", []*x509.Certificate{oldRoot.cert}, "idp.test", []*x509.Certificate{oldLeaf}, kOld},
		// Not here: "idp.test.." (crypto/tls strips every trailing dot from
		// the name it reports, so the Verifier would accept what crypto/tls
		// refuses). Go's resolver refuses such names before any handshake,
		// and the agent's configuration refuses empty labels.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			v := &Verifier{Files: []string{filepath.Join(base, "bundle.crt")}, Dirs: []string{filepath.Join(base, "certs")}}
			writeFile(t, v.Files[0], pemOf(tt.store...))
			got := handshake(t, v.ClientConfig(&tls.Config{MinVersion: tls.VersionTLS12}), tt.host, tt.key, tt.chain...)
			want := handshake(t, &tls.Config{RootCAs: referencePool(v.Files, v.Dirs), MinVersion: tls.VersionTLS12}, tt.host, tt.key, tt.chain...)
			if (got == nil) != (want == nil) {
				t.Errorf("Verifier: %v\ncrypto/x509's pool: %v", got, want)
			}
		})
	}
}

// BEGIN and END lines are read as encoding/pem reads them: a line ending
// in "\r\r\n" or "\r \n" is no BEGIN or END line there, so the scanner must
// not keep the certificate either (it may keep fewer than crypto/x509,
// never more).
func TestScannerLineEndsMatchPEM(t *testing.T) {
	f := pki(t)
	one := string(pemOf(f.root.cert))
	const begin, end = "-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n"
	for name, data := range map[string]string{
		"END \\r\\r\\n":   strings.Replace(one, end, "-----END CERTIFICATE-----\r\r\n", 1),
		"END \\r \\n":     strings.Replace(one, end, "-----END CERTIFICATE-----\r \n", 1),
		"END \\r\\n":      strings.Replace(one, end, "-----END CERTIFICATE-----\r\n", 1),
		"END  \\t\\r\\n":  strings.Replace(one, end, "-----END CERTIFICATE-----  \t\r\n", 1),
		"BEGIN \\r \\n":   strings.Replace(one, begin, "-----BEGIN CERTIFICATE-----\r \n", 1),
		"BEGIN \\r\\r\\n": strings.Replace(one, begin, "-----BEGIN CERTIFICATE-----\r\r\n", 1),
		"BEGIN \\t\\n":    strings.Replace(one, begin, "-----BEGIN CERTIFICATE-----\t\n", 1),
	} {
		t.Run(name, func(t *testing.T) {
			want := len(parsePEM([]byte(data)))
			got := 0
			sc := scanner{want: [][]byte{f.root.cert.RawSubject}, keep: func(*x509.Certificate) { got++ }}
			if err := sc.scan(bufio.NewReader(strings.NewReader(data))); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("scanner keeps %d certificates, crypto/x509 %d", got, want)
			}
		})
	}
}

// The Verifier runs on resumed handshakes too (TLS 1.2 and 1.3 with a
// session cache): a root removed from the store is noticed on resumption.
func TestVerifierRunsOnResumption(t *testing.T) {
	f := pki(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			base := t.TempDir()
			v := &Verifier{Files: []string{filepath.Join(base, "bundle.crt")}, Dirs: []string{filepath.Join(base, "none")}}
			writeFile(t, v.Files[0], pemOf(f.root.cert))
			srv := &tls.Config{MaxVersion: version, Certificates: []tls.Certificate{{Certificate: [][]byte{f.leaf.Raw, f.inter.cert.Raw}, PrivateKey: f.leafKey}}}
			addr := testenv.ServeTLS(t, srv)
			calls := 0
			cfg := v.ClientConfig(&tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(4), ServerName: "idp.test"})
			verify := cfg.VerifyConnection
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { calls++; return verify(cs) }
			dial := func() (resumed bool, err error) {
				conn, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					return false, err
				}
				defer conn.Close()
				// TLS 1.3 sends the ticket after the handshake: read it.
				_, _ = conn.Write([]byte("x"))
				_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				_, _ = conn.Read(make([]byte, 1))
				return conn.ConnectionState().DidResume, nil
			}
			if _, err := dial(); err != nil {
				t.Fatal(err)
			}
			resumed, err := dial()
			if err != nil || !resumed || calls != 2 {
				t.Fatalf("second handshake: resumed %v, err %v, verifier calls %d; want a resumption the verifier saw", resumed, err, calls)
			}
			if err := os.WriteFile(v.Files[0], pemOf(f.other.cert), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := dial(); err == nil {
				t.Error("a resumed handshake was accepted after its root left the store")
			}
		})
	}
}
