package sysroots

import (
	"crypto/x509"
	"testing"
)

// BenchmarkRootsForOneChain reads this machine's CA store for the roots of
// one chain, as each handshake does. Compare B/op with
// BenchmarkX509SystemPool, what crypto/x509 allocates to load the store
// (once per process, and keeps a part of for good).
func BenchmarkRootsForOneChain(b *testing.B) {
	v := &Verifier{}
	files, dirs := v.sources()
	certs := allCerts(files, dirs)
	if len(certs) == 0 {
		b.Fatal("no CA certificates on this machine: install ca-certificates")
	}
	want := [][]byte{certs[len(certs)/2].RawSubject}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Roots(want); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkX509SystemPool loads the same store the way crypto/x509's
// SystemCertPool does on Linux (which caches its result, so it cannot be
// timed itself).
func BenchmarkX509SystemPool(b *testing.B) {
	v := &Verifier{}
	files, dirs := v.sources()
	b.ReportAllocs()
	for b.Loop() {
		if p := referencePool(files, dirs); p.Equal(x509.NewCertPool()) {
			b.Fatal("empty pool")
		}
	}
}
