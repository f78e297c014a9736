package objstoretest

import (
	"errors"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// testCopy checks Bucket.CopyFrom: a server-side copy verified against
// the declared (or the source's) CRC32C, conditional, and refused between
// different services with ErrNotSupported.
func testCopy(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	src := h.Bucket
	dst := h.Other
	if dst == nil {
		dst = h.Bucket
	}
	data := randomBytes(11, 300_000)
	sum := mustWrite(t, c, src, "copy/src.bin", data)

	err := dst.CopyFrom(c, src, "copy/src.bin", "copy/dst.bin", &objstore.WriterOptions{HasCRC32C: true, CRC32C: sum.CRC32C})
	if _, ok := dst.Driver().(objstore.Copier); !ok {
		if !errors.Is(err, objstore.ErrNotSupported) {
			t.Fatalf("copy on a backend without server-side copy: got %v, want ErrNotSupported", err)
		}
		t.Log("backend has no server-side copy; callers stream instead")
		return
	}
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	equalBytes(t, "copy", readAll(t, c, dst, "copy/dst.bin"), data)
	checkAttrs(t, c, dst, "copy/dst.bin", sum)

	// Without a declared CRC32C the source's store-computed one is the reference.
	if err := dst.CopyFrom(c, src, "copy/src.bin", "copy/dst2.bin", nil); err != nil {
		t.Fatalf("copy without a declared CRC32C: %v", err)
	}
	checkAttrs(t, c, dst, "copy/dst2.bin", sum)

	// A declared CRC32C the bytes do not have: the copy is deleted.
	err = dst.CopyFrom(c, src, "copy/src.bin", "copy/bad.bin", &objstore.WriterOptions{HasCRC32C: true, CRC32C: sum.CRC32C ^ 1})
	var ce *objstore.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("copy with a wrong declared CRC32C: got %v, want *ChecksumError", err)
	}
	checkAbsent(t, c, dst, "copy/bad.bin")

	t.Run("IfAbsent", func(t *testing.T) {
		h.skipGap(t, GapIfAbsentCopy)
		if err := dst.CopyFrom(c, src, "copy/src.bin", "copy/fresh", &objstore.WriterOptions{IfAbsent: true}); err != nil {
			t.Fatalf("conditional copy to a new key: %v", err)
		}
		checkAttrs(t, c, dst, "copy/fresh", sum)
		mustWrite(t, c, dst, "copy/taken", []byte("taken"))
		err := dst.CopyFrom(c, src, "copy/src.bin", "copy/taken", &objstore.WriterOptions{IfAbsent: true})
		if !errors.Is(err, objstore.ErrExists) {
			t.Errorf("conditional copy onto an existing key: got %v, want ErrExists", err)
		}
		equalBytes(t, "object after a lost conditional copy", readAll(t, c, dst, "copy/taken"), []byte("taken"))
	})

	if err := dst.CopyFrom(c, src, "copy/missing", "copy/x", nil); !isNotFound(err) {
		t.Fatalf("copy of a missing source: got %v, want ErrNotFound", err)
	}
	checkAbsent(t, c, dst, "copy/x")

	// Another service: the caller must stream.
	other, err := objstore.Open(c, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, other, "f", []byte("file"))
	if err := dst.CopyFrom(c, other, "f", "copy/from-file", nil); !errors.Is(err, objstore.ErrNotSupported) {
		t.Fatalf("copy from another service: got %v, want ErrNotSupported", err)
	}
}
