package tokencache

import (
	"bytes"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"
)

// FuzzDecode checks that decoding arbitrary bytes never panics, fails only
// with ErrCorrupt or ErrUnknownVersion and without quoting the input, and
// that anything that decodes re-encodes to a file that decodes to the same
// snapshot, byte for byte stable from then on.
//
// Each input is tried twice: as a whole file, and as the payload of a valid
// envelope with the right checksum, since random bytes almost never get past
// the CRC to reach the payload decoder.
func FuzzDecode(f *testing.F) {
	good, err := encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	empty, _ := encode(&Snapshot{})
	f.Add(good)
	f.Add(empty)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte{0xa1, 0x01, 0x02})                         // {1: 2}
	f.Add([]byte{0xa3, 0x01, 0x01, 0x02, 0x40, 0x03, 0x00}) // version 1, empty payload, crc 0
	payload, err := encMode.Marshal(&payloadV1{RefreshToken: "r", AccessTokens: map[string]accessTokenV1{"p": {Scopes: []string{"s"}, ExpiresAt: -1}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		wrapped, err := encMode.Marshal(&envelopeOut{Version: FormatVersion, Payload: data, CRC: crc32.Checksum(data, crcTable)})
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, wrapped)
	})
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	s, err := decode(data)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion) {
			t.Fatalf("decode error %q wraps neither ErrCorrupt nor ErrUnknownVersion", err)
		}
		if s != nil {
			t.Fatal("decode returned a snapshot with an error")
		}
		// Reasons are fixed phrases: a long one quotes the input.
		if len(err.Error()) > 120 {
			t.Fatalf("decode error is %d bytes long; reasons must not quote the input", len(err.Error()))
		}
		return
	}
	again, err := encode(s)
	if err != nil {
		t.Fatalf("a decoded snapshot does not encode: %v", err)
	}
	s2, err := decode(again)
	if err != nil {
		t.Fatalf("re-encoded snapshot does not decode: %v", err)
	}
	if !reflect.DeepEqual(s, s2) {
		t.Fatalf("round trip changed the snapshot:\n%v\n%v", s, s2)
	}
	third, err := encode(s2)
	if err != nil || !bytes.Equal(again, third) {
		t.Fatalf("encoding is not stable: %v", err)
	}
}
