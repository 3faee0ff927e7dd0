package sysroots

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
)

// parsePEM is what x509.CertPool.AppendCertsFromPEM keeps from b.
func parsePEM(b []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(b) > 0 {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) != 0 {
			continue
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// scanAll runs the scanner over data asking for every subject x509 finds
// there, and returns what it kept and what x509 keeps.
func scanAll(t *testing.T, data []byte) (got, want []*x509.Certificate) {
	want = parsePEM(data)
	var subjects [][]byte
	for _, c := range want {
		subjects = append(subjects, c.RawSubject)
	}
	sc := scanner{want: subjects, keep: func(c *x509.Certificate) { got = append(got, c) }}
	if err := sc.scan(bufio.NewReaderSize(bytes.NewReader(data), 4096)); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return got, want
}

func rawsOf(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, string(c.Raw))
	}
	return out
}

// pemVariants are files a CA store may hold, well formed or damaged in the
// ways tools damage them.
func pemVariants(p *pkiFixture) map[string]string {
	one := string(pemOf(p.root.cert))
	two := string(pemOf(p.fillers[0], p.fillers[1]))
	return map[string]string{
		"one":                 one,
		"two":                 two,
		"three":               one + two,
		"CRLF":                strings.ReplaceAll(one+two, "\n", "\r\n"),
		"text around":         "# comment\n" + one + "junk between\n" + two + "junk after",
		"headers":             strings.Replace(one, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1) + two,
		"nested BEGIN":        strings.Replace(one, "-----\n", "-----\n"+strings.TrimSuffix(two, "\n")+"\n", 1),
		"one long body line":  strings.Replace(one, "\n", "", 3) + strings.Repeat(" ", 5000) + "\n" + two,
		"trailing blanks":     strings.ReplaceAll(one, "\n", " \t\n"),
		"indented BEGIN":      " " + one + two,
		"no final newline":    strings.TrimSuffix(one+two, "\n"),
		"junk after END":      strings.Replace(one, "-----END CERTIFICATE-----", "-----END CERTIFICATE----- x", 1) + two,
		"END of another type": strings.Replace(one, "-----END CERTIFICATE-----", "-----END FOO-----", 1) + two,
		"empty block":         "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" + two,
		"bad base64":          strings.Replace(one, "M", "*", 1) + two,
		"a key block":         "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" + two,
		"missing END":         strings.Replace(one, "-----END CERTIFICATE-----", "", 1) + two,
	}
}

// TestScanMatchesPEM: on every ordinary or damaged file, the scanner keeps
// exactly the certificates crypto/x509 keeps.
func TestScanMatchesPEM(t *testing.T) {
	for name, data := range pemVariants(pki(t)) {
		t.Run(name, func(t *testing.T) {
			got, want := scanAll(t, []byte(data))
			if g, w := rawsOf(got), rawsOf(want); !slices.Equal(g, w) {
				t.Errorf("the scanner kept %d certificates, crypto/x509 %d (or others)", len(g), len(w))
			}
		})
	}
}

// FuzzScanMatchesPEM: for any file, every certificate the scanner keeps is
// one crypto/x509 keeps, in the same order. (On malformed BEGIN/END lines
// it may keep fewer; see scan.)
func FuzzScanMatchesPEM(f *testing.F) {
	for _, s := range pemVariants(pki(f)) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := scanAll(t, data)
		w := rawsOf(want)
		for _, g := range rawsOf(got) {
			i := slices.Index(w, g)
			if i < 0 {
				t.Fatalf("the scanner kept a certificate crypto/x509 does not (x509 keeps %d)", len(want))
			}
			w = w[i+1:]
		}
	})
}

// FuzzRawSubject: rawSubject never panics and, on whatever crypto/x509
// parses, finds the same subject bytes.
func FuzzRawSubject(f *testing.F) {
	p := pki(f)
	for _, c := range []*x509.Certificate{p.root.cert, p.inter.cert, p.leaf, p.ipLeaf} {
		f.Add(c.Raw)
	}
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		got, ok := rawSubject(der)
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		if !ok || !bytes.Equal(got, c.RawSubject) {
			t.Errorf("rawSubject = %x, %v; x509 says %x", got, ok, c.RawSubject)
		}
	})
}
