package ship

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

const (
	mib = 1 << 20
	// minPartSize and maxPartSize bound a multipart chunk (S3's limits,
	// which are the tightest of the services).
	minPartSize = 5 * mib
	maxPartSize = 5 << 30
	// maxParts is S3's limit on parts per upload, with a margin.
	maxParts = 9000
	// copyBufSize is the buffer each streamed transfer copies through.
	copyBufSize = 1 * mib
	// maxConcurrency caps the parts one upload sends at once.
	maxConcurrency = 4
)

// budget is the memory that all transfers share: a transfer reserves what
// its buffers will hold before it starts and returns it when it ends.
type budget struct {
	sem *semaphore.Weighted
	max int64
}

func newBudget(max int64) *budget {
	return &budget{sem: semaphore.NewWeighted(max), max: max}
}

// reserve blocks until n bytes are free (n is capped at the whole budget,
// so one transfer can always run) and returns the release function.
func (b *budget) reserve(ctx context.Context, n int64) (func(), error) {
	n = min(n, b.max)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { b.sem.Release(n) }) }, nil
}

// upload is how one streamed transfer writes: its chunk size and the
// chunks it sends at once. It buffers at most concurrency+1 chunks.
type upload struct {
	partSize    int64
	concurrency int
}

// memory is what a streamed transfer holds: its copy buffer and the
// upload's chunks.
func (u upload) memory() int64 { return copyBufSize + int64(u.concurrency+1)*u.partSize }

// uploadFor picks how to upload a file of size bytes so that the transfer
// fits its share of the memory budget. The chunk size is the configured
// one, or the largest whole MiB from 5 to 16 MiB that leaves room for two
// chunks (one filling, one in flight: larger chunks mean fewer requests,
// which matters more than parallel chunks for resumable uploads), raised
// if needed so the file fits in maxParts chunks. Then as many chunks go
// in flight (1 to 4) as the share holds.
func uploadFor(c Config, size int64) upload {
	share := c.MaxMemory / int64(c.Transfers)
	ps := c.PartSize
	if ps == 0 {
		ps = min(max((share-copyBufSize)/2/mib*mib, minPartSize), 16*mib)
	}
	if need := (size + maxParts - 1) / maxParts; ps < need {
		ps = (need + mib - 1) / mib * mib
	}
	ps = min(ps, maxPartSize)
	conc := int((share-copyBufSize)/ps) - 1
	return upload{partSize: ps, concurrency: min(max(conc, 1), maxConcurrency)}
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}
