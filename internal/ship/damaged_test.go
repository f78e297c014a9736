package ship

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/objstore"
)

// damagedOnce is a source whose first read of each part's range delivers
// every byte with one bit flipped and fails with the last ones, as an S3
// read does when the bytes do not match the object's checksum: damage on the way, not a
// source that changed.
type damagedOnce struct {
	objstore.Driver
	mu   sync.Mutex
	seen map[string]bool // key and range
	// silent: the damaged read ends without an error (damage no check
	// on the way caught).
	silent bool
}

func (d *damagedOnce) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	r, err := d.Driver.NewRangeReader(ctx, key, off, n)
	if err != nil || !strings.Contains(key, "part-") {
		return r, err
	}
	d.mu.Lock()
	at := fmt.Sprint(key, off, n)
	first := !d.seen[at]
	d.seen[at] = true
	d.mu.Unlock()
	if !first {
		return r, nil
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data[len(data)/2] ^= 0x10
	end := objstore.Retryable(errors.New("checksum did not match (test)"))
	if d.silent {
		end = io.EOF
	}
	return io.NopCloser(&failAtEnd{data: data, err: end}), nil
}

// failAtEnd returns data, and err with its last bytes (as the S3 SDK's
// checksum check does when it reaches the end of the body).
type failAtEnd struct {
	data []byte
	err  error
}

func (f *failAtEnd) Read(p []byte) (int, error) {
	n := copy(p, f.data)
	f.data = f.data[n:]
	if len(f.data) == 0 {
		return n, f.err
	}
	return n, nil
}

// TestShipChunkDamagedReadRetried: a chunk's source read that delivered
// all its bytes, damaged, and then failed its checksum is read again and
// the copy completes exact; the damaged read is not taken for the source
// having changed between reads (that is exit 3).
func TestShipChunkDamagedReadRetried(t *testing.T) {
	td := newTestDump(t, "b1", 1, 6<<20+1000)
	// file:// to file:// streams (no server-side copy) in chunks.
	src, dst := fileStore(t), fileStore(t)
	td.write(t, src.b, true)
	run := report.New("shipper")
	s := openShipper(t, Config{From: src.url, To: dst.url, PartSize: 5 << 20, Transfers: 1, Retry: fastRetry, NoServerSide: true}, testLogger(t), run)
	s.c.src = objstore.NewBucket(&damagedOnce{Driver: s.c.src.Driver(), seen: map[string]bool{}}, s.c.src.Location())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.loop(ctx); err != nil {
		t.Fatalf("ship: %v", err)
	}
	td.assertShipped(t, dst.b)
	if got := run.Counter("chunk_rereads"); got == 0 {
		t.Fatalf("no chunk was read again from the source")
	}
}

// TestShipSingleDamagedReadRetried: a single-request copy whose source
// read delivered damaged bytes (and then failed its checksum, or said
// nothing) is abandoned with nothing stored, the source's own checksum
// shows the source is intact, and the file is read and sent again: the
// copy completes exact.
func TestShipSingleDamagedReadRetried(t *testing.T) {
	for _, silent := range []bool{false, true} {
		t.Run(map[bool]string{false: "read fails", true: "silent"}[silent], func(t *testing.T) {
			td := newTestDump(t, "b1", 1, 3<<20+1000, 100<<10)
			src, dst := fileStore(t), gcsStore(t)
			td.write(t, src.b, true)
			run := report.New("shipper")
			s := openShipper(t, Config{From: src.url, To: dst.url, Transfers: 1, Retry: fastRetry}, testLogger(t), run)
			s.c.src = objstore.NewBucket(&damagedOnce{Driver: s.c.src.Driver(), seen: map[string]bool{}, silent: silent}, s.c.src.Location())
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := s.loop(ctx); err != nil {
				t.Fatalf("ship: %v", err)
			}
			td.assertShipped(t, dst.b)
			if got := run.Counter("retries"); got != 2 {
				t.Fatalf("retries = %d, want 2 (each file's damaged read, once)", got)
			}
			if got, want := run.Counter("bytes"), int64(3<<20+1000+100<<10); got != want {
				t.Fatalf("bytes = %d, want %d (the damaged reads not counted)", got, want)
			}
		})
	}
}
