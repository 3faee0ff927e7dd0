package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/internal/sysroots"
)

// engineOpts are the non-configuration parts of the engine: the cache,
// the HTTP client, the log.
type engineOpts struct {
	cache      devicecode.Cache
	httpClient *http.Client
	logf       func(format string, args ...any)
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

// newHTTPClient is devicecode's default client (one keep-alive HTTP/1.1
// connection) with the roots of caFile when it is set, else the system's.
func newHTTPClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := loadRoots(caFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	} else {
		// The system roots, read at each handshake instead of held in
		// memory (internal/sysroots): about 3 MB less resident memory.
		tc = (&sysroots.Verifier{}).ClientConfig(tc)
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		MaxIdleConnsPerHost:   1,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: devicecode.DefaultRequestTimeout,
		// A non-nil empty map disables HTTP/2: less memory per request.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}, nil
}
