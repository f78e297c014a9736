package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// chunkSize is the unit of the read-twice strategy: the first read
// records a SHA-256 per chunk, the second hands a chunk on only after its
// SHA-256 matched. (A CRC32C per chunk would not do: CRC is linear, so
// bytes changed between the reads can be made to keep it.)
const chunkSize = 1 << 20

// Strategy is how a part's checksums are proven before its rows are used.
type Strategy int

const (
	// Spool downloads the part to local disk while hashing it, then reads
	// the local copy.
	Spool Strategy = iota
	// Twice reads the part once to hash it (recording a SHA-256 per
	// chunk), then again, passing on each chunk only once it matches.
	Twice
)

func (s Strategy) String() string {
	if s == Spool {
		return "spool"
	}
	return "read-twice"
}

// Verifier proves parts and hands out readers of proven bytes. It owns
// the spool budget and measures the store's read rate and the spool
// disk's write rate to choose a strategy per part.
type Verifier struct {
	dir    string
	budget int64
	sem    *semaphore.Weighted
	run    *report.Run

	mu        sync.Mutex
	storeRate rate // bytes/s read from the store
	diskRate  rate // bytes/s written to the spool disk
}

// rate is a running throughput estimate.
type rate struct {
	bytes int64
	dur   time.Duration
}

func (r *rate) add(n int64, d time.Duration) { r.bytes += n; r.dur += d }

// perSecond returns the measured rate and whether enough was measured.
func (r rate) perSecond() (float64, bool) {
	if r.bytes < 1<<20 || r.dur <= 0 {
		return 0, false
	}
	return float64(r.bytes) / r.dur.Seconds(), true
}

// NewVerifier returns a verifier spooling into dir (created if needed)
// within budget bytes (0 disables spooling).
func NewVerifier(dir string, budget int64, run *report.Run) (*Verifier, error) {
	if budget < 0 {
		return nil, fault.Usagef("--spool-bytes %d: want 0 or more", budget)
	}
	if budget > 0 {
		if dir == "" {
			dir = os.TempDir()
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fault.Usagef("--spool-dir %s: %w", dir, err)
		}
		if free, ok := freeBytes(dir); ok && free/5*4 < budget {
			budget = free / 5 * 4
		}
	}
	v := &Verifier{dir: dir, budget: budget, run: run}
	if budget > 0 {
		v.sem = semaphore.NewWeighted(budget)
	}
	run.Set("spool_budget_bytes", budget)
	return v, nil
}

// choose picks the strategy for a part of size n: spooling when the part
// fits the budget, unless measurements say the store reads faster than
// the spool disk writes (then reading twice costs less than copying).
func (v *Verifier) choose(n int64) Strategy {
	if v.sem == nil || n > v.budget {
		return Twice
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	sr, ok1 := v.storeRate.perSecond()
	dr, ok2 := v.diskRate.perSecond()
	if ok1 && ok2 && sr > dr {
		return Twice
	}
	return Spool
}

// Part is a proven part: Open returns readers of bytes that match the
// manifest's checksums.
type Part struct {
	File     *manifest.File
	Strategy Strategy
	open     func(ctx context.Context) (io.ReadCloser, error)
	release  func()
}

// Open returns a reader of the part's proven bytes.
func (p *Part) Open(ctx context.Context) (io.ReadCloser, error) { return p.open(ctx) }

// Close releases the spool file and budget.
func (p *Part) Close() {
	if p.release != nil {
		p.release()
		p.release = nil
	}
}

// CorruptError reports a part whose stored bytes do not match the
// manifest, or that changed between the two reads of read-twice.
type CorruptError struct {
	Part   string
	Detail string
	// Passed is how many chunks of a second read were handed on before
	// the one that differed (0: nothing of the part was handed on).
	Passed int
}

func (e *CorruptError) Error() string {
	if e.Passed > 0 {
		return fmt.Sprintf("part %s changed while it was loaded: %s; rows of chunks 0..%d may have been written, byte-identical to the verified part, nothing after them", e.Part, e.Detail, e.Passed-1)
	}
	return fmt.Sprintf("part %s is corrupt: %s; nothing of it was written", e.Part, e.Detail)
}

// Prove reads part key of bucket b and checks it against f. Nothing of
// the part is handed out before its size, CRC32C and SHA-256 all match;
// a mismatch is a verification failure (exit 3) naming the part.
func (v *Verifier) Prove(ctx context.Context, b *objstore.Bucket, key string, f *manifest.File) (*Part, error) {
	strategy := v.choose(f.StoredBytes)
	if strategy == Spool {
		if err := v.sem.Acquire(ctx, max(f.StoredBytes, 1)); err != nil {
			return nil, err
		}
		p, err := v.spool(ctx, b, key, f)
		if err != nil {
			v.sem.Release(max(f.StoredBytes, 1))
			return nil, err
		}
		v.run.Add("parts_spooled", 1)
		return p, nil
	}
	p, err := v.twice(ctx, b, key, f)
	if err != nil {
		return nil, err
	}
	v.run.Add("parts_read_twice", 1)
	return p, nil
}

// timedReader measures time spent reading from the store.
type timedReader struct {
	r   io.Reader
	n   int64
	dur time.Duration
}

func (t *timedReader) Read(p []byte) (int, error) {
	start := time.Now()
	n, err := t.r.Read(p)
	t.dur += time.Since(start)
	t.n += int64(n)
	return n, err
}

// timedWriter measures time spent writing to the spool disk.
type timedWriter struct {
	w   io.Writer
	dur time.Duration
}

func (t *timedWriter) Write(p []byte) (int, error) {
	start := time.Now()
	n, err := t.w.Write(p)
	t.dur += time.Since(start)
	return n, err
}

// partReadAttempts is how often a read of one part may be resumed at the
// byte it reached after the network cut it; the part's checksums still
// prove every byte.
const partReadAttempts = 5

// check compares what was read with the manifest.
func check(f *manifest.File, n int64, crc uint32, sha hash.Hash) error {
	if n != f.StoredBytes {
		return fault.Verify(&CorruptError{Part: f.Name, Detail: fmt.Sprintf("size %d bytes, manifest says %d", n, f.StoredBytes)})
	}
	if got := fmt.Sprintf("%08x", crc); got != f.CRC32C {
		return fault.Verify(&CorruptError{Part: f.Name, Detail: fmt.Sprintf("crc32c %s, manifest says %s", got, f.CRC32C)})
	}
	if got := hex.EncodeToString(sha.Sum(nil)); got != f.SHA256 {
		return fault.Verify(&CorruptError{Part: f.Name, Detail: fmt.Sprintf("sha256 %s, manifest says %s", got, f.SHA256)})
	}
	return nil
}

func (v *Verifier) spool(ctx context.Context, b *objstore.Bucket, key string, f *manifest.File) (*Part, error) {
	r, err := b.NewResumingReader(ctx, key, partReadAttempts)
	if err != nil {
		return nil, fmt.Errorf("read part %s: %w", f.Name, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(v.dir, "lading-part-*")
	if err != nil {
		return nil, fmt.Errorf("spool part %s: %w", f.Name, err)
	}
	name := tmp.Name()
	fail := func(err error) (*Part, error) {
		tmp.Close()
		os.Remove(name)
		return nil, err
	}
	crc := crc32.New(objstore.Castagnoli)
	sha := sha256.New()
	tr := &timedReader{r: r}
	tw := &timedWriter{w: tmp}
	// Read at most one byte more than the manifest says, to notice a
	// longer object without reading an unbounded one.
	n, err := io.Copy(io.MultiWriter(tw, crc, sha), io.LimitReader(tr, f.StoredBytes+1))
	if err != nil {
		return fail(fmt.Errorf("spool part %s: %w", f.Name, err))
	}
	v.mu.Lock()
	v.storeRate.add(tr.n, tr.dur)
	v.diskRate.add(n, tw.dur)
	v.mu.Unlock()
	v.run.Add("bytes_read", n)
	if err := check(f, n, crc.Sum32(), sha); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("spool part %s: %w", f.Name, err))
	}
	var once sync.Once
	return &Part{
		File:     f,
		Strategy: Spool,
		open: func(context.Context) (io.ReadCloser, error) {
			fh, err := os.Open(name)
			if err != nil {
				return nil, fmt.Errorf("spooled part %s: %w", f.Name, err)
			}
			return fh, nil
		},
		release: func() {
			once.Do(func() {
				os.Remove(name)
				v.sem.Release(max(f.StoredBytes, 1))
			})
		},
	}, nil
}

func (v *Verifier) twice(ctx context.Context, b *objstore.Bucket, key string, f *manifest.File) (*Part, error) {
	r, err := b.NewResumingReader(ctx, key, partReadAttempts)
	if err != nil {
		return nil, fmt.Errorf("read part %s: %w", f.Name, err)
	}
	crc := crc32.New(objstore.Castagnoli)
	sha := sha256.New()
	tr := &timedReader{r: io.LimitReader(r, f.StoredBytes+1)}
	var chunks [][sha256.Size]byte
	buf := make([]byte, chunkSize)
	var n int64
	for {
		k, err := io.ReadFull(tr, buf)
		if k > 0 {
			crc.Write(buf[:k])
			sha.Write(buf[:k])
			chunks = append(chunks, sha256.Sum256(buf[:k]))
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("read part %s: %w", f.Name, err)
		}
	}
	r.Close()
	v.mu.Lock()
	v.storeRate.add(tr.n, tr.dur)
	v.mu.Unlock()
	v.run.Add("bytes_read", n)
	if err := check(f, n, crc.Sum32(), sha); err != nil {
		return nil, err
	}
	return &Part{
		File:     f,
		Strategy: Twice,
		open: func(ctx context.Context) (io.ReadCloser, error) {
			r, err := b.NewResumingReader(ctx, key, partReadAttempts)
			if err != nil {
				return nil, fmt.Errorf("read part %s again: %w", f.Name, err)
			}
			return &chunkChecker{r: r, f: f, chunks: chunks, run: v.run}, nil
		},
	}, nil
}

// chunkChecker passes on the second read of a part one chunk at a time,
// each only after its SHA-256 equals the first (proven) read's.
type chunkChecker struct {
	r      io.ReadCloser
	f      *manifest.File
	chunks [][sha256.Size]byte
	run    *report.Run
	i      int
	buf    []byte
	pend   []byte
	done   bool
}

func (c *chunkChecker) Read(p []byte) (int, error) {
	for len(c.pend) == 0 {
		if c.done {
			return 0, io.EOF
		}
		if c.buf == nil {
			c.buf = make([]byte, chunkSize)
		}
		k, err := io.ReadFull(c.r, c.buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			c.done = true
		case err != nil:
			return 0, fmt.Errorf("read part %s again: %w", c.f.Name, err)
		}
		if k == 0 {
			if c.i != len(c.chunks) {
				return 0, fault.Verify(&CorruptError{Part: c.f.Name, Detail: fmt.Sprintf("the second read ended after chunk %d of %d", c.i, len(c.chunks)), Passed: c.i})
			}
			return 0, io.EOF
		}
		if c.i >= len(c.chunks) || sha256.Sum256(c.buf[:k]) != c.chunks[c.i] {
			return 0, fault.Verify(&CorruptError{Part: c.f.Name, Detail: fmt.Sprintf("its second read differs from the verified first in chunk %d", c.i), Passed: c.i})
		}
		c.run.Add("bytes_read", int64(k))
		c.i++
		c.pend = c.buf[:k]
	}
	n := copy(p, c.pend)
	c.pend = c.pend[n:]
	return n, nil
}

func (c *chunkChecker) Close() error { return c.r.Close() }
