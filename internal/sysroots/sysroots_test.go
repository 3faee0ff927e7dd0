package sysroots

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pkiFixture is one run's certificates: unrelated roots to bury the right
// one among, a root with an intermediate, leaves for a host name and an IP.
type pkiFixture struct {
	fillers     []*x509.Certificate
	root, other *authority
	inter       *authority
	leaf        *x509.Certificate // idp.test, issued by inter
	leafKey     *ecdsa.PrivateKey
	direct      *x509.Certificate // idp.test, issued by root itself
	directKey   *ecdsa.PrivateKey
	expired     *x509.Certificate
	expiredKey  *ecdsa.PrivateKey
	ipLeaf      *x509.Certificate // 127.0.0.1
	ipKey       *ecdsa.PrivateKey
	sameSubject *authority // a root with the root's name and another key
}

var (
	fixtureOnce sync.Once
	fixture     pkiFixture
)

func pki(t testing.TB) *pkiFixture {
	fixtureOnce.Do(func() {
		f := &fixture
		for i := range 40 {
			f.fillers = append(f.fillers, newCA(t, "Filler Root "+string(rune('A'+i%26))+string(rune('a'+i/26)), nil).cert)
		}
		f.root = newCA(t, "Test Root", nil)
		f.other = newCA(t, "Other Root", nil)
		f.inter = newCA(t, "Test Issuing CA", f.root)
		f.leaf, f.leafKey = leafFor(t, "idp.test", f.inter, time.Time{}, time.Time{})
		f.direct, f.directKey = leafFor(t, "idp.test", f.root, time.Time{}, time.Time{})
		f.expired, f.expiredKey = leafFor(t, "idp.test", f.inter, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
		f.ipLeaf, f.ipKey = leafFor(t, "127.0.0.1", f.inter, time.Time{}, time.Time{})
		f.sameSubject = newCA(t, "Test Root", nil)
	})
	return &fixture
}

// referencePool builds the pool crypto/x509's loadSystemRoots would build
// from the same files and directories (it caches the real one for the
// whole process, so it cannot be pointed at each case's files).
func referencePool(files, dirs []string) *x509.CertPool {
	p := x509.NewCertPool()
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			p.AppendCertsFromPEM(b)
			break
		}
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if sameDirSymlink(d, e) {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil {
				p.AppendCertsFromPEM(b)
			}
		}
	}
	return p
}

// TestVerifyConnection runs real TLS handshakes against roots laid out in
// a bundle and a directory, and checks each outcome against crypto/tls
// verifying the same chain with the pool crypto/x509 would have loaded.
func TestVerifyConnection(t *testing.T) {
	f := pki(t)
	bundleWith := func(extra ...*x509.Certificate) []byte {
		certs := append([]*x509.Certificate{}, f.fillers[:20]...)
		certs = append(certs, extra...)
		return pemOf(append(certs, f.fillers[20:]...)...)
	}
	tests := []struct {
		name    string
		bundle  []byte            // nil: no bundle file at all
		dir     map[string][]byte // files in the certificate directory
		links   map[string]string // symlinks in the directory: name -> target
		host    string
		chain   []*x509.Certificate
		key     *ecdsa.PrivateKey
		wantErr string // "" (verified), or what the error must say
		wantAs  any    // an x509 error type the error must hold
		noRef   bool   // crypto/tls's own verification is not comparable
	}{
		{name: "root in the bundle, intermediate sent", bundle: bundleWith(f.root.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey},
		{name: "root in the bundle, leaf issued by it", bundle: bundleWith(f.root.cert), host: "idp.test", chain: []*x509.Certificate{f.direct}, key: f.directKey},
		{name: "the intermediate not sent", bundle: bundleWith(f.root.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf}, key: f.leafKey,
			wantErr: "certificate signed by unknown authority", wantAs: &x509.UnknownAuthorityError{}},
		{name: "root only in the directory", bundle: bundleWith(), dir: map[string][]byte{"local.pem": pemOf(f.root.cert)}, host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey},
		{name: "root only through a link out of the directory", bundle: bundleWith(), links: map[string]string{"Test_Root.pem": "../share/test-root.crt"}, host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey},
		{name: "no bundle file, directory only", dir: map[string][]byte{"a.pem": pemOf(f.fillers...), "b.pem": pemOf(f.root.cert)}, host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey},
		{name: "root not trusted", bundle: bundleWith(f.other.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey,
			wantErr: "certificate signed by unknown authority", wantAs: &x509.UnknownAuthorityError{}},
		{name: "a root with the same name and another key", bundle: bundleWith(f.sameSubject.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey,
			wantErr: "unknown authority", wantAs: &x509.UnknownAuthorityError{}},
		{name: "both roots with that name", bundle: bundleWith(f.sameSubject.cert, f.root.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey},
		{name: "the root sent by the server is not trusted", bundle: bundleWith(f.other.cert), host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert, f.root.cert}, key: f.leafKey,
			wantErr: "unknown authority", wantAs: &x509.UnknownAuthorityError{}},
		{name: "wrong host name", bundle: bundleWith(f.root.cert), host: "evil.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey,
			wantErr: "not evil.test", wantAs: &x509.HostnameError{}},
		{name: "expired leaf", bundle: bundleWith(f.root.cert), host: "idp.test", chain: []*x509.Certificate{f.expired, f.inter.cert}, key: f.expiredKey,
			wantErr: "expired", wantAs: &x509.CertificateInvalidError{}},
		{name: "root in a block with headers, which x509 ignores", bundle: append(bundleWith(), []byte(strings.Replace(string(pemOf(f.root.cert)), "-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1))...),
			host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey,
			wantErr: "unknown authority", wantAs: &x509.UnknownAuthorityError{}},
		{name: "server dialled by IP", bundle: bundleWith(f.root.cert), host: "127.0.0.1", chain: []*x509.Certificate{f.ipLeaf, f.inter.cert}, key: f.ipKey,
			wantErr: "addressed by IP", noRef: true},
		{name: "no CA certificates on the system", host: "idp.test", chain: []*x509.Certificate{f.leaf, f.inter.cert}, key: f.leafKey,
			wantErr: "no system CA certificates", noRef: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			v := &Verifier{Files: []string{filepath.Join(base, "missing.crt"), filepath.Join(base, "certs", "ca-certificates.crt")}, Dirs: []string{filepath.Join(base, "certs")}}
			if err := os.MkdirAll(filepath.Join(base, "certs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.bundle != nil {
				writeFile(t, v.Files[1], tt.bundle)
				// As on Debian: the hash link to the bundle's neighbour is skipped.
				if err := os.Symlink("ca-certificates.crt", filepath.Join(base, "certs", "ca-certificates.0")); err != nil {
					t.Fatal(err)
				}
			}
			for name, data := range tt.dir {
				writeFile(t, filepath.Join(base, "certs", name), data)
			}
			for name, target := range tt.links {
				writeFile(t, filepath.Join(base, "certs", target), pemOf(f.root.cert))
				if err := os.Symlink(target, filepath.Join(base, "certs", name)); err != nil {
					t.Fatal(err)
				}
			}

			err := handshake(t, v.ClientConfig(&tls.Config{MinVersion: tls.VersionTLS12}), tt.host, tt.key, tt.chain...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("handshake failed: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("handshake succeeded, want an error saying %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			if tt.wantAs != nil {
				if !errors.As(err, tt.wantAs) {
					t.Errorf("error %v does not hold a %T", err, tt.wantAs)
				}
				var cve *tls.CertificateVerificationError
				if !errors.As(err, &cve) || len(cve.UnverifiedCertificates) != len(tt.chain) {
					t.Errorf("error %v is not a tls.CertificateVerificationError with the chain", err)
				}
			}
			if tt.noRef {
				return
			}
			ref := handshake(t, &tls.Config{RootCAs: referencePool(v.Files, v.Dirs), MinVersion: tls.VersionTLS12}, tt.host, tt.key, tt.chain...)
			if (ref == nil) != (err == nil) {
				t.Errorf("crypto/tls with the full pool says %v, the verifier %v", ref, err)
			}
		})
	}
}

// TestRootsReadsTheSystemLikeX509: on this machine's real CA store, Roots
// asked for every subject there is returns the very pool crypto/x509's
// loader builds, so nothing Go would trust is missed and nothing is added.
func TestRootsReadsTheSystemLikeX509(t *testing.T) {
	v := &Verifier{}
	files, dirs := v.sources()
	ref := referencePool(files, dirs)
	var subjects [][]byte
	for _, c := range allCerts(files, dirs) {
		subjects = append(subjects, c.RawSubject)
	}
	if len(subjects) < 50 {
		t.Fatalf("only %d CA certificates on this machine: install ca-certificates", len(subjects))
	}
	got, err := v.Roots(subjects)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(ref) {
		t.Errorf("the pool read for %d subjects differs from crypto/x509's", len(subjects))
	}
	// And one subject gives at most a few roots (cross-signed names).
	one, err := v.Roots(subjects[:1])
	if err != nil {
		t.Fatal(err)
	}
	if one.Equal(ref) || one.Equal(x509.NewCertPool()) {
		t.Error("a pool read for one subject is empty or holds every root")
	}
}

// allCerts parses every certificate crypto/x509 would read.
func allCerts(files, dirs []string) []*x509.Certificate {
	var out []*x509.Certificate
	add := func(b []byte) {
		for _, c := range parsePEM(b) {
			out = append(out, c)
		}
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			add(b)
			break
		}
	}
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if !sameDirSymlink(d, e) {
				if b, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil {
					add(b)
				}
			}
		}
	}
	return out
}

// TestRootsAllocationsDoNotGrowWithTheStore: passing over a root costs no
// allocation, so a store of 200 roots costs what a store of 5 does.
func TestRootsAllocationsDoNotGrowWithTheStore(t *testing.T) {
	f := pki(t)
	allocs := func(n int) float64 {
		dir := t.TempDir()
		var certs []*x509.Certificate
		for i := range n {
			certs = append(certs, f.fillers[i%len(f.fillers)])
		}
		certs = append(certs, f.root.cert)
		v := &Verifier{Files: []string{writeFile(t, filepath.Join(dir, "bundle.crt"), pemOf(certs...))}, Dirs: []string{}}
		want := [][]byte{f.root.cert.RawSubject}
		return testing.AllocsPerRun(20, func() {
			if _, err := v.Roots(want); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(5), allocs(200)
	if large > small+2 {
		t.Errorf("Roots allocates %.0f times over 200 roots and %.0f over 5: passing over a root allocates", large, small)
	}
}

// TestThroughNetHTTP: net/http clones the config for each connection and
// sets the server name from the URL; the verifier sees that name, so a
// client reaches the server under the certificate's name and is refused
// under another.
func TestThroughNetHTTP(t *testing.T) {
	f := pki(t)
	v := &Verifier{Files: []string{writeFile(t, filepath.Join(t.TempDir(), "bundle.crt"), pemOf(append(f.fillers, f.root.cert)...))}, Dirs: []string{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{f.leaf.Raw, f.inter.cert.Raw}, PrivateKey: f.leafKey}}}
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: v.ClientConfig(&tls.Config{MinVersion: tls.VersionTLS12}),
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	defer client.CloseIdleConnections()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	resp, err := client.Get(fmt.Sprintf("https://idp.test:%d/", port))
	if err != nil {
		t.Fatalf("GET under the certificate's name: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("body %q", body)
	}
	var he x509.HostnameError
	if _, err := client.Get(fmt.Sprintf("https://other.test:%d/", port)); !errors.As(err, &he) {
		t.Errorf("GET under another name: err = %v, want an x509.HostnameError", err)
	}
	// A pinned pool is left to crypto/tls.
	if c := v.ClientConfig(&tls.Config{RootCAs: x509.NewCertPool()}); c.InsecureSkipVerify || c.VerifyConnection != nil {
		t.Error("ClientConfig took over a config with pinned roots")
	}
}
