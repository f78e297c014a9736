package objstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/lading-dev/lading/pkg/objstore"
)

// TestGCSChunkedUpload: chunks streamed into a session become the object
// only at Finish, byte for byte; an aborted session leaves nothing; a
// Finish whose sum differs from what the store computed deletes the object.
func TestGCSChunkedUpload(t *testing.T) {
	b := openGCSBucket(t)
	ctx := context.Background()
	q := int64(256 << 10)
	data := make([]byte, 3*q+100)
	rand.Read(data)
	sum := objstore.Sum{Size: int64(len(data)), CRC32C: crc32.Checksum(data, objstore.Castagnoli)}
	upload := func(key string, chunks ...int64) *objstore.BucketChunkedUpload {
		u, err := b.NewChunkedUpload(ctx, key, &objstore.WriterOptions{Size: sum.Size})
		if err != nil {
			t.Fatal(err)
		}
		if u.Quantum() != q {
			t.Fatalf("quantum %d, want %d", u.Quantum(), q)
		}
		off := int64(0)
		for _, n := range chunks {
			if err := u.PutChunk(ctx, off, n, bytes.NewReader(data[off:off+n])); err != nil {
				t.Fatal(err)
			}
			off += n
		}
		if ok, err := b.Exists(ctx, key); err != nil || ok {
			t.Fatalf("%s visible before Finish: %v %v", key, ok, err)
		}
		return u
	}

	u := upload("whole", 2*q, q)
	if err := u.Finish(ctx, 3*q, data[3*q:], sum); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadAll(ctx, "whole"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}

	u = upload("aborted", q)
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(ctx, "aborted"); err != nil || ok {
		t.Fatalf("aborted upload visible: %v %v", ok, err)
	}

	u = upload("wrong", 3*q)
	bad := sum
	bad.CRC32C++
	var ce *objstore.ChecksumError
	if err := u.Finish(ctx, 3*q, data[3*q:], bad); !errors.As(err, &ce) {
		t.Fatalf("finish with a wrong sum: %v, want a checksum error", err)
	}
	if ok, err := b.Exists(ctx, "wrong"); err != nil || ok {
		t.Fatalf("object with a wrong checksum left: %v %v", ok, err)
	}
}
