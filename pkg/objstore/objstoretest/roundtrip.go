package objstoretest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// testRoundTrip writes objects of sizes around the edges (empty, one
// byte, exactly one part, one part and a byte, several parts) and reads
// them back byte for byte.
func testRoundTrip(t *testing.T, h Harness) {
	c := ctx(t, 5*time.Minute)
	part := h.minPart()
	sizes := []int{0, 1, 4097, part, part + 1, 2*part + part/2}
	for i, size := range sizes {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			key := fmt.Sprintf("rt/%d/obj-%d.bin", i, size)
			data := randomBytes(uint64(size)+1, size)
			sum, err := writeStream(c, h.Bucket, key, newStream(uint64(size)+1, int64(size)), &objstore.WriterOptions{PartSize: part})
			if err != nil {
				t.Fatalf("write: %v", err)
			}
			if sum.Size != int64(size) || sum.CRC32C != crc(data) || sum.SHA256 != sha256.Sum256(data) {
				t.Fatalf("writer sum %+v does not describe the %d bytes written", sum, size)
			}
			checkAttrs(t, c, h.Bucket, key, sum)
			equalBytes(t, "read back", readAll(t, c, h.Bucket, key), data)
			if err := h.Bucket.Delete(c, key); err != nil {
				t.Fatalf("delete: %v", err)
			}
			checkAbsent(t, c, h.Bucket, key)
		})
	}
}

// testRoundTrip100MB streams 100 MB through the default part size and
// compares what comes back by SHA-256.
func testRoundTrip100MB(t *testing.T, h Harness) {
	c := ctx(t, 5*time.Minute)
	const size = 100_000_000
	key := "big/100MB.bin"
	start := time.Now()
	sum, err := writeStream(c, h.Bucket, key, newStream(100, size), nil)
	if err != nil {
		t.Fatalf("write 100 MB: %v", err)
	}
	wrote := time.Since(start)
	h2 := sha256.New()
	if _, err := io.Copy(h2, newStream(100, size)); err != nil {
		t.Fatal(err)
	}
	var want [32]byte
	copy(want[:], h2.Sum(nil))
	if sum.Size != size || sum.SHA256 != want {
		t.Fatalf("writer sum: size %d sha256 %x, want %d %x", sum.Size, sum.SHA256, size, want)
	}
	checkAttrs(t, c, h.Bucket, key, sum)
	start = time.Now()
	n, got, err := readSum(c, h.Bucket, key)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if n != size || got != want {
		t.Fatalf("read back %d bytes with sha256 %x, want %d bytes %x", n, got, size, want)
	}
	t.Logf("100 MB: write %v, read %v", wrote.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if err := h.Bucket.Delete(c, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
}

func testRangeRead(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	const size = 1<<20 + 17
	data := randomBytes(7, size)
	key := "range/obj"
	mustWrite(t, c, h.Bucket, key, data)
	cases := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"start", 0, 10, data[:10]},
		{"middle", 1000, 5000, data[1000:6000]},
		{"end", size - 10, 10, data[size-10:]},
		{"to end", size - 10, -1, data[size-10:]},
		{"from zero to end", 0, -1, data},
		{"length past end", size - 10, 100, data[size-10:]},
		{"zero length", 5, 0, nil},
		{"at end", size, -1, nil},
		{"past end", size + 100, 10, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := h.Bucket.NewRangeReader(c, key, tc.offset, tc.length)
			if err != nil {
				t.Fatalf("range read (%d, %d): %v", tc.offset, tc.length, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatalf("range read (%d, %d): %v", tc.offset, tc.length, err)
			}
			equalBytes(t, fmt.Sprintf("range (%d, %d)", tc.offset, tc.length), got, tc.want)
		})
	}
	if _, err := h.Bucket.NewRangeReader(c, key, -1, 5); err == nil {
		t.Error("negative offset: no error")
	}
}

func testOverwrite(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	key := "over/write.txt"
	mustWrite(t, c, h.Bucket, key, []byte("the first version, which is longer"))
	second := []byte("second")
	sum := mustWrite(t, c, h.Bucket, key, second)
	equalBytes(t, "after overwrite", readAll(t, c, h.Bucket, key), second)
	checkAttrs(t, c, h.Bucket, key, sum)
	// A larger overwrite through a multipart/resumable upload.
	third := randomBytes(3, h.minPart()+100)
	sum, err := writeStream(c, h.Bucket, key, newStream(3, int64(len(third))), &objstore.WriterOptions{PartSize: h.minPart()})
	if err != nil {
		t.Fatalf("multipart overwrite: %v", err)
	}
	equalBytes(t, "after multipart overwrite", readAll(t, c, h.Bucket, key), third)
	checkAttrs(t, c, h.Bucket, key, sum)
}

func testNotFound(t *testing.T, h Harness) {
	c := ctx(t, time.Minute)
	key := "missing/key"
	if _, err := h.Bucket.NewReader(c, key); !isNotFound(err) {
		t.Errorf("read: got %v, want ErrNotFound", err)
	}
	if _, err := h.Bucket.NewRangeReader(c, key, 5, 10); !isNotFound(err) {
		t.Errorf("range read: got %v, want ErrNotFound", err)
	}
	if _, err := h.Bucket.NewRangeReader(c, key, 0, 0); !isNotFound(err) {
		t.Errorf("zero-length read: got %v, want ErrNotFound", err)
	}
	if _, err := h.Bucket.Attributes(c, key); !isNotFound(err) {
		t.Errorf("stat: got %v, want ErrNotFound", err)
	}
	if err := h.Bucket.Delete(c, key); !isNotFound(err) {
		t.Errorf("delete: got %v, want ErrNotFound", err)
	}
	if ok, err := h.Bucket.Exists(c, key); ok || err != nil {
		t.Errorf("exists: got %v, %v, want false, nil", ok, err)
	}
	// A key that is only a prefix of other keys is not an object.
	mustWrite(t, c, h.Bucket, "missing/dir/child", []byte("x"))
	if _, err := h.Bucket.Attributes(c, "missing/dir"); !isNotFound(err) {
		t.Errorf("stat of a prefix: got %v, want ErrNotFound", err)
	}
	if _, err := h.Bucket.NewReader(c, "missing/dir"); !isNotFound(err) {
		t.Errorf("read of a prefix: got %v, want ErrNotFound", err)
	}
	if err := h.Bucket.Delete(c, "missing/dir"); !isNotFound(err) {
		t.Errorf("delete of a prefix: got %v, want ErrNotFound", err)
	}
}

func testBadKey(t *testing.T, h Harness) {
	c := ctx(t, time.Minute)
	bad := []string{"../x", "a/../../x", "/abs", "a\\b", "", "a//b", "a/", "./a", "a/./b", "a\x00b", "line\nbreak"}
	for _, key := range bad {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, objstore.ErrBadKey) {
					t.Errorf("%s %q: got %v, want ErrBadKey", op, key, err)
				}
			}
			_, err := h.Bucket.NewWriter(c, key, nil)
			check("write", err)
			check("create-if-absent", h.Bucket.CreateIfAbsent(c, key, []byte("x")))
			_, err = h.Bucket.NewReader(c, key)
			check("read", err)
			_, err = h.Bucket.NewRangeReader(c, key, 1, 2)
			check("range read", err)
			_, err = h.Bucket.Attributes(c, key)
			check("stat", err)
			check("delete", h.Bucket.Delete(c, key))
			check("copy", h.Bucket.CopyFrom(c, h.Bucket, "ok", key, nil))
		})
	}
	for _, prefix := range []string{"../", "/abs/", "a\\b/", "a//b/"} {
		if _, err := h.Bucket.ListPage(c, prefix, "/", "", 10); !errors.Is(err, objstore.ErrBadKey) {
			t.Errorf("list %q: got %v, want ErrBadKey", prefix, err)
		}
	}
	objs, _, err := h.Bucket.ListAll(c, "", "")
	if err != nil || len(objs) != 0 {
		t.Errorf("after bad keys the bucket holds %v (err %v), want nothing", objs, err)
	}
}

// testAbort checks that an aborted write, small or multipart, leaves
// nothing behind, not even in a listing.
func testAbort(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	for _, size := range []int{3, 2*h.minPart() + 1} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			key := fmt.Sprintf("abort/%d", size)
			w, err := h.Bucket.NewWriter(c, key, &objstore.WriterOptions{PartSize: h.minPart()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, newStream(9, int64(size))); err != nil {
				t.Fatalf("write: %v", err)
			}
			if err := w.Abort(); err != nil {
				t.Fatalf("abort: %v", err)
			}
			if err := w.Close(); err == nil {
				t.Error("close after abort succeeded")
			}
			checkAbsent(t, c, h.Bucket, key)
		})
	}
	objs, prefixes, err := h.Bucket.ListAll(c, "", "")
	if err != nil || len(objs)+len(prefixes) != 0 {
		t.Errorf("after aborted writes the bucket lists %v %v (err %v), want nothing", objs, prefixes, err)
	}
}

// testCancelledContext checks that a write whose context ends before
// Close does not become visible.
func testCancelledContext(t *testing.T, h Harness) {
	for _, size := range []int{3, 2*h.minPart() + 1} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			c, cancel := context.WithCancel(t.Context())
			key := fmt.Sprintf("cancel/%d", size)
			w, err := h.Bucket.NewWriter(c, key, &objstore.WriterOptions{PartSize: h.minPart()})
			if err != nil {
				t.Fatal(err)
			}
			_, werr := io.Copy(w, newStream(9, int64(size)))
			cancel()
			cerr := w.Close()
			if werr == nil && cerr == nil {
				t.Fatal("write with a cancelled context succeeded")
			}
			checkAbsent(t, ctx(t, time.Minute), h.Bucket, key)
		})
	}
}
