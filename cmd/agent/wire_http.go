package main

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/boardlogin/boardlogin/devicecode"
)

// engineOpts are the non-configuration parts of the engine: the cache,
// the roots of ca-file (nil: the system's, read per handshake by
// devicecode's default client), the log.
type engineOpts struct {
	cache devicecode.Cache
	roots *x509.CertPool
	logf  func(format string, args ...any)
}

// loadRoots reads a PEM file of root certificates, the only ones trusted
// when ca-file is set.
func loadRoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca-file: %v", unwrapPath(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca-file: %s holds no PEM certificate", path)
	}
	return pool, nil
}
