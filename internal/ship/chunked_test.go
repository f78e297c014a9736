package ship

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
	"github.com/lading-dev/lading/pkg/objstore"
)

// rangeLog records the ranged reads of a source's parts; before is called
// (when set) before each read with how many times that range was read.
type rangeLog struct {
	objstore.Driver
	mu     sync.Mutex
	reads  map[[2]int64]int
	before func(src *objstore.Bucket, key string, off int64, nth int)
	src    *objstore.Bucket // the unwrapped source, for before
}

func (l *rangeLog) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if strings.Contains(key, "part-") {
		l.mu.Lock()
		l.reads[[2]int64{off, n}]++
		nth := l.reads[[2]int64{off, n}]
		l.mu.Unlock()
		if l.before != nil {
			l.before(l.src, key, off, nth)
		}
	}
	return l.Driver.NewRangeReader(ctx, key, off, n)
}

func (l *rangeLog) count(off, n int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads[[2]int64{off, n}]
}

// shipChunkedThroughResets ships td from a file:// source to dest ("gcs"
// or "s3") with 5 MiB chunks through a proxy that resets any connection
// once 7 MiB have passed (so some chunk upload fails part way), logging
// the source's range reads.
func shipChunkedThroughResets(t *testing.T, dest string, td *testDump, before func(*objstore.Bucket, string, int64, int)) (*rangeLog, *faultproxy.Proxy, store, *report.Run, error) {
	t.Helper()
	// The GCS client keeps its connection: each is cut at 7 MiB, in the
	// second chunk. The S3 client opens one a request: the first to pass
	// 3 MiB (the first part's) is cut, and the ones after pass.
	var started atomic.Pointer[faultproxy.Proxy]
	resets := faultproxy.Options{Plan: func(n int64) faultproxy.Fault {
		if dest == "gcs" {
			return faultproxy.Fault{ResetAfter: 7 << 20}
		}
		if p := started.Load(); p != nil && p.Stats().Resets > 0 {
			return faultproxy.Fault{}
		}
		return faultproxy.Fault{ResetAfter: 3 << 20}
	}}
	src := fileStore(t)
	td.write(t, src.b, true)
	// The shipper's destination goes through the proxy; dst (opened
	// before) inspects the store directly.
	var dst store
	var proxy *faultproxy.Proxy
	to := ""
	switch dest {
	case "gcs":
		host, _ := testenv.GCS(t)
		dst = gcsStore(t)
		proxy = faultproxy.Start(t, strings.TrimPrefix(host, "http://"), resets)
		t.Setenv("STORAGE_EMULATOR_HOST", proxy.Addr())
		to = dst.url
	case "s3":
		endpoint, bucket := testenv.S3(t)
		dst = cleanStore(t, s3URLAt(t, endpoint, bucket))
		proxy = faultproxy.Start(t, strings.TrimPrefix(endpoint, "http://"), resets)
		to = strings.Replace(dst.url, url.QueryEscape(endpoint), url.QueryEscape("http://"+proxy.Addr()), 1)
	default:
		t.Fatalf("unknown destination %q", dest)
	}
	started.Store(proxy)
	run := report.New("shipper")
	s := openShipper(t, Config{From: src.url, To: to, PartSize: 5 << 20, Transfers: 1, Retry: fastRetry}, testLogger(t), run)
	log := &rangeLog{Driver: s.c.src.Driver(), reads: map[[2]int64]int{}, before: before, src: s.c.src}
	s.c.src = objstore.NewBucket(log, s.c.src.Location())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := s.loop(ctx)
	return log, proxy, dst, run, err
}

// TestShipChunkRetryRereadsSource: a chunk upload (a GCS resumable chunk,
// an S3 part) is cut part way; the retry reads that chunk's range from the
// source again (not the whole file), and the object arrives exact.
func TestShipChunkRetryRereadsSource(t *testing.T) {
	for _, dest := range []string{"gcs", "s3"} {
		t.Run(dest, func(t *testing.T) {
			td := newTestDump(t, "b1", 1, 12<<20+1000)
			log, proxy, dst, run, err := shipChunkedThroughResets(t, dest, td, nil)
			if err != nil {
				t.Fatalf("ship: %v", err)
			}
			td.assertShipped(t, dst.b)
			if st := proxy.Stats(); st.Resets == 0 {
				t.Fatalf("no connection was reset: the test proved nothing")
			}
			if got := run.Counter("chunk_rereads"); got == 0 {
				t.Fatalf("no chunk was read again from the source")
			}
			// The cut falls in one chunk (GCS: the second, 7 MiB in; S3:
			// the first, 3 MiB in): it is read twice, the other once.
			cutAt, whole := int64(5<<20), int64(0)
			if dest == "s3" {
				cutAt, whole = 0, 5<<20
			}
			if n := log.count(cutAt, 5<<20); n < 2 {
				t.Fatalf("bytes %d-%d read %d times from the source, want a re-read", cutAt, cutAt+5<<20, n)
			}
			if n := log.count(whole, 5<<20); n != 1 {
				t.Fatalf("bytes %d-%d read %d times from the source, want once (only the failed chunk is re-read)", whole, whole+5<<20, n)
			}
		})
	}
}

// TestShipSourceChangedBetweenReads: the source part changes between the
// failed chunk's first read and its re-read. The copy must fail
// verification (exit 3) and leave nothing at the destination.
func TestShipSourceChangedBetweenReads(t *testing.T) {
	td := newTestDump(t, "b1", 1, 12<<20+1000)
	changed := false
	_, _, dst, _, err := shipChunkedThroughResets(t, "gcs", td, func(src *objstore.Bucket, key string, off int64, nth int) {
		if nth != 2 || changed {
			return
		}
		changed = true
		data := append([]byte(nil), td.parts[td.manifest.Files[0].Name]...)
		data[off+100] ^= 0xff
		if _, err := src.WriteAll(context.Background(), key, data, nil); err != nil {
			t.Errorf("change the source: %v", err)
		}
	})
	if !changed {
		t.Fatalf("the source was never read twice: the test proved nothing (err %v)", err)
	}
	if code := fault.Code(err); code != fault.ExitVerify {
		t.Fatalf("exit %d (%v), want %d (verification failed)", code, err, fault.ExitVerify)
	}
	t.Logf("error: %v", err)
	key := td.dump.Key(td.manifest.Files[0].Name)
	if _, aerr := dst.b.Attributes(context.Background(), key); !errors.Is(aerr, objstore.ErrNotFound) {
		t.Fatalf("%s at the destination: %v, want not found", key, aerr)
	}
	td.assertNotMarked(t, dst.b)
}
