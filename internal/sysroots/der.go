package sysroots

// rawSubject returns the DER-encoded subject of a certificate (what
// x509.Certificate.RawSubject holds) without parsing the rest of it, so
// that the roots a chain cannot end at cost nothing to pass over. It
// reports false for anything that is not a certificate's outline.
//
//	Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
//	TBSCertificate ::= SEQUENCE {
//	    version [0] EXPLICIT Version DEFAULT v1, serialNumber INTEGER,
//	    signature AlgorithmIdentifier, issuer Name, validity Validity,
//	    subject Name, ... }
func rawSubject(der []byte) ([]byte, bool) {
	cert, rest, ok := readTLV(der, 0x30)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	tbs, _, ok := readTLV(cert, 0x30)
	if !ok {
		return nil, false
	}
	if len(tbs) > 0 && tbs[0] == 0xa0 { // explicit version
		if _, tbs, ok = readTLV(tbs, 0xa0); !ok {
			return nil, false
		}
	}
	for _, tag := range []byte{0x02, 0x30, 0x30, 0x30} { // serial, signature, issuer, validity
		if _, tbs, ok = readTLV(tbs, tag); !ok {
			return nil, false
		}
	}
	_, after, ok := readTLV(tbs, 0x30)
	if !ok {
		return nil, false
	}
	return tbs[:len(tbs)-len(after)], true
}

// readTLV reads one DER element with the given tag (single-byte tags only)
// and returns its contents and what follows it.
func readTLV(b []byte, tag byte) (contents, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		lenBytes := n & 0x7f
		if lenBytes == 0 || lenBytes > 4 || len(b) < 2+lenBytes {
			return nil, nil, false // indefinite or absurd lengths are not DER
		}
		n = 0
		for _, c := range b[2 : 2+lenBytes] {
			n = n<<8 | int(c)
		}
		hdr += lenBytes
		if n < 0x80 || n < 0 {
			return nil, nil, false // not the shortest form
		}
	}
	if n > len(b)-hdr {
		return nil, nil, false
	}
	return b[hdr : hdr+n], b[hdr+n:], true
}
