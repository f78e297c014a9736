package objstoretest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// testChunked: an object sent as a chunked upload (the shipper's streaming
// path) is, byte for byte, its chunks and tail, and visible only after
// Finish; a chunk whose body fails half way is sent again from a fresh
// body and the object still comes out exact; an object smaller than a
// quantum goes up with Finish alone; an aborted upload leaves nothing; the
// store refuses bytes that are not the declared CRC32C's; a Finish whose
// sum is not what the store computed leaves nothing. A store
// without chunked uploads says ErrNotSupported.
func testChunked(t *testing.T, h Harness) {
	c := ctx(t, 3*time.Minute)
	b := h.Bucket
	if _, ok := b.Driver().(objstore.ChunkedUploader); !ok {
		if _, err := b.NewChunkedUpload(c, "chunked/none", nil); !errors.Is(err, objstore.ErrNotSupported) {
			t.Fatalf("chunked upload on a store without them: %v, want ErrNotSupported", err)
		}
		return
	}
	probe, err := b.NewChunkedUpload(c, "chunked/probe", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := probe.Quantum()
	_ = probe.Abort()
	unit := (int64(h.minPart()) + q - 1) / q * q // a chunk of a few parts' size
	data := randomBytes(7, int(3*unit+q/2+100))
	sum := objstore.Sum{Size: int64(len(data)), CRC32C: crc(data)}
	tailAt := int64(len(data)) / q * q
	start := func(key string) *objstore.BucketChunkedUpload {
		u, err := b.NewChunkedUpload(c, key, &objstore.WriterOptions{Size: sum.Size, HasCRC32C: true, CRC32C: sum.CRC32C})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	put := func(u *objstore.BucketChunkedUpload, off, n int64) {
		t.Helper()
		if err := u.PutChunk(c, off, n, bytes.NewReader(data[off:off+n])); err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
	}

	t.Run("exact", func(t *testing.T) {
		u := start("chunked/whole")
		put(u, 0, 2*unit)
		// The next chunk fails half way through its body, then goes again.
		broken := io.MultiReader(bytes.NewReader(data[2*unit:2*unit+unit/2]), errReader{})
		if err := u.PutChunk(c, 2*unit, tailAt-2*unit, broken); err == nil {
			t.Fatal("a chunk whose body failed was accepted")
		}
		put(u, 2*unit, tailAt-2*unit)
		checkAbsent(t, c, b, "chunked/whole")
		if err := u.Finish(c, tailAt, data[tailAt:], sum); err != nil {
			t.Fatal(err)
		}
		equalBytes(t, "chunked object", readAll(t, c, b, "chunked/whole"), data)
	})
	t.Run("small", func(t *testing.T) {
		small := data[:100]
		u, err := b.NewChunkedUpload(c, "chunked/small", &objstore.WriterOptions{Size: 100, HasCRC32C: true, CRC32C: crc(small)})
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Finish(c, 0, small, objstore.Sum{Size: 100, CRC32C: crc(small)}); err != nil {
			t.Fatal(err)
		}
		equalBytes(t, "small chunked object", readAll(t, c, b, "chunked/small"), small)
	})
	t.Run("aborted", func(t *testing.T) {
		u := start("chunked/aborted")
		put(u, 0, unit)
		if err := u.Abort(); err != nil {
			t.Fatal(err)
		}
		checkAbsent(t, c, b, "chunked/aborted")
	})
	t.Run("declared wrong", func(t *testing.T) {
		// The store itself refuses bytes that are not the declared CRC32C's.
		h.skipGap(t, GapDeclaredCRC32CMultipart)
		u, err := b.NewChunkedUpload(c, "chunked/declared", &objstore.WriterOptions{Size: sum.Size, HasCRC32C: true, CRC32C: sum.CRC32C ^ 1})
		if err != nil {
			t.Fatal(err)
		}
		put(u, 0, tailAt)
		var ce *objstore.ChecksumError
		if err := u.Finish(c, tailAt, data[tailAt:], sum); !errors.As(err, &ce) {
			t.Fatalf("finish against a wrong declared CRC32C: %v, want a checksum error", err)
		}
		checkAbsent(t, c, b, "chunked/declared")
	})
	t.Run("wrong sum", func(t *testing.T) {
		// Declares nothing to the store, so only the Bucket's check after
		// Finish can catch the caller's wrong sum.
		u, err := b.NewChunkedUpload(c, "chunked/wrong", &objstore.WriterOptions{Size: sum.Size})
		if err != nil {
			t.Fatal(err)
		}
		put(u, 0, tailAt)
		bad := sum
		bad.CRC32C++
		var ce *objstore.ChecksumError
		if err := u.Finish(c, tailAt, data[tailAt:], bad); !errors.As(err, &ce) {
			t.Fatalf("finish with a wrong sum: %v, want a checksum error", err)
		}
		checkAbsent(t, c, b, "chunked/wrong")
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("source failed (test)") }
