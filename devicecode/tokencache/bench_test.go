package tokencache

import (
	"path/filepath"
	"testing"
)

// BenchmarkSave measures a Save that writes nothing (the common case: every
// refresh of a token that did not change, every poll) and one that replaces
// the file (temp file, two fsyncs, rename).
func BenchmarkSave(b *testing.B) {
	b.Run("unchanged", func(b *testing.B) {
		f := New(filepath.Join(b.TempDir(), "cache.cbor"))
		s := sample()
		if _, err := f.Save(s); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if written, err := f.Save(s); err != nil || written {
				b.Fatalf("Save = %v, %v", written, err)
			}
		}
	})
	b.Run("changed", func(b *testing.B) {
		f := New(filepath.Join(b.TempDir(), "cache.cbor"))
		a, c := sample(), sample()
		c.RefreshToken += "-rotated"
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s := a
			if i%2 == 1 {
				s = c
			}
			i++
			if written, err := f.Save(s); err != nil || !written {
				b.Fatalf("Save = %v, %v", written, err)
			}
		}
	})
}

// BenchmarkLoad measures a Load at start-up: directory scan for stale
// temporary files, open, stat, read, decode.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cache.cbor")
	if _, err := New(path).Save(sample()); err != nil {
		b.Fatal(err)
	}
	f := New(path)
	b.ReportAllocs()
	for b.Loop() {
		if s, err := f.Load(); err != nil || s == nil {
			b.Fatalf("Load = %v, %v", s, err)
		}
	}
}
