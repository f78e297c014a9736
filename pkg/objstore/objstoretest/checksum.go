package objstoretest

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// testDeclaredCRC32C: through the Bucket, a write declaring a CRC32C that
// its bytes do not have fails with a *ChecksumError and stores nothing;
// one declaring the right CRC32C succeeds.
func testDeclaredCRC32C(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	for _, size := range []int{1000, 2*h.minPart() + 3} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			data := randomBytes(uint64(size), size)
			key := fmt.Sprintf("crc/bucket-%d", size)
			opts := &objstore.WriterOptions{HasCRC32C: true, CRC32C: crc(data) ^ 0x5a5a, PartSize: h.minPart()}
			_, err := writeStream(c, h.Bucket, key, newStream(uint64(size), int64(size)), opts)
			var ce *objstore.ChecksumError
			if !errors.As(err, &ce) {
				t.Fatalf("wrong declared CRC32C: got %v, want *ChecksumError", err)
			}
			checkAbsent(t, c, h.Bucket, key)
			opts.CRC32C = crc(data)
			sum, err := writeStream(c, h.Bucket, key, newStream(uint64(size), int64(size)), opts)
			if err != nil {
				t.Fatalf("right declared CRC32C: %v", err)
			}
			checkAttrs(t, c, h.Bucket, key, sum)
		})
	}
}

// testDeclaredCRC32CDriver goes around the Bucket (which catches a wrong
// declared CRC32C before it commits) to check that the store itself
// refuses bytes that do not match the CRC32C declared to it.
func testDeclaredCRC32CDriver(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	d := h.Bucket.Driver()
	cases := []struct {
		name string
		size int
		gap  Gap
	}{
		{"single", 1000, GapDeclaredCRC32C},
		{"multipart", 2*h.minPart() + 3, GapDeclaredCRC32CMultipart},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.skipGap(t, tc.gap)
			data := randomBytes(uint64(tc.size), tc.size)
			key := fmt.Sprintf("crc/driver-%d", tc.size)
			w, err := d.NewWriter(c, key, objstore.WriterOptions{HasCRC32C: true, CRC32C: crc(data) ^ 1, PartSize: h.minPart(), Size: int64(tc.size)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, newStream(uint64(tc.size), int64(tc.size))); err != nil {
				_ = w.Abort()
				t.Logf("write refused early: %v", err)
			} else if err := w.Close(); err == nil {
				t.Errorf("the store accepted %d bytes declared with a wrong CRC32C", tc.size)
				_ = d.Delete(c, key)
			} else {
				var ce *objstore.ChecksumError
				if !errors.As(err, &ce) {
					t.Errorf("refused, but with %v; want a *ChecksumError (a verification failure, not a retry)", err)
				}
				t.Logf("refused as expected: %v", err)
			}
			checkAbsent(t, c, h.Bucket, key)
		})
	}
}
