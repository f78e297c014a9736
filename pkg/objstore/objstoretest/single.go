package objstoretest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// testSingle: an object sent as a single-request upload (the shipper's
// streaming path for files of up to one chunk) is, byte for byte, its
// body, and the Bucket reports the body's sum; a body that fails at its
// very last byte, ends early or runs long leaves nothing; the store
// refuses bytes that are not the declared CRC32C's; a conditional create
// over an existing object fails with ErrExists and leaves it; an empty
// object goes up. A store without single-request uploads says
// ErrNotSupported.
func testSingle(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	b := h.Bucket
	data := randomBytes(11, 3*h.minPart()+100)
	size := int64(len(data))
	declared := &objstore.WriterOptions{HasCRC32C: true, CRC32C: crc(data)}
	if _, ok := b.Driver().(objstore.SingleUploader); !ok {
		if _, err := b.PutSingle(c, "single/none", size, bytes.NewReader(data), declared); !errors.Is(err, objstore.ErrNotSupported) {
			t.Fatalf("single-request upload on a store without them: %v, want ErrNotSupported", err)
		}
		return
	}
	refused := func(t *testing.T, key string, size int64, body io.Reader) {
		t.Helper()
		if _, err := b.PutSingle(c, key, size, body, declared); err == nil {
			t.Fatalf("%s: the upload was accepted", key)
		} else {
			t.Logf("refused as expected: %v", err)
		}
		checkAbsent(t, c, b, key)
	}

	t.Run("exact", func(t *testing.T) {
		sum, err := b.PutSingle(c, "single/whole", size, bytes.NewReader(data), declared)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Size != size || sum.CRC32C != crc(data) {
			t.Fatalf("sum %+v, want size %d crc32c %08x", sum, size, crc(data))
		}
		equalBytes(t, "single-request object", readAll(t, c, b, "single/whole"), data)
		checkAttrs(t, c, b, "single/whole", sum)
	})
	t.Run("last byte held back", func(t *testing.T) {
		// What the shipper does when the bytes do not match its manifest.
		refused(t, "single/held", size, io.MultiReader(bytes.NewReader(data[:size-1]), errReader{}))
	})
	t.Run("short body", func(t *testing.T) {
		refused(t, "single/short", size, bytes.NewReader(data[:size-1]))
	})
	t.Run("long body", func(t *testing.T) {
		refused(t, "single/long", size-1, bytes.NewReader(data))
	})
	t.Run("declared wrong", func(t *testing.T) {
		h.skipGap(t, GapDeclaredCRC32C)
		_, err := b.PutSingle(c, "single/declared", size, bytes.NewReader(data), &objstore.WriterOptions{HasCRC32C: true, CRC32C: crc(data) ^ 1})
		var ce *objstore.ChecksumError
		if !errors.As(err, &ce) {
			t.Fatalf("wrong declared CRC32C: %v, want a *ChecksumError", err)
		}
		checkAbsent(t, c, b, "single/declared")
	})
	t.Run("if absent", func(t *testing.T) {
		h.skipGap(t, GapIfAbsent)
		first := mustWrite(t, c, b, "single/exists", data[:100])
		_, err := b.PutSingle(c, "single/exists", size, bytes.NewReader(data), &objstore.WriterOptions{IfAbsent: true})
		if !errors.Is(err, objstore.ErrExists) {
			t.Fatalf("conditional create over an object: %v, want ErrExists", err)
		}
		checkAttrs(t, c, b, "single/exists", first)
	})
	t.Run("empty", func(t *testing.T) {
		sum, err := b.PutSingle(c, "single/empty", 0, bytes.NewReader(nil), &objstore.WriterOptions{HasCRC32C: true, CRC32C: 0})
		if err != nil {
			t.Fatal(err)
		}
		checkAttrs(t, c, b, "single/empty", sum)
	})
}
