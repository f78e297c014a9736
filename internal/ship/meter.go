package ship

import (
	"context"
	"hash"
	"hash/crc32"
	"io"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/objstore"
)

// limitChunk is the largest read a bandwidth-limited transfer makes at
// once, so that the token bucket paces transfers smoothly.
const limitChunk = 256 << 10

// meter reads a source object, counting bytes and computing their CRC32C
// on the fly, pacing reads by the shared bandwidth limiter and recording
// the bytes in the run's "bytes" counter.
type meter struct {
	ctx   context.Context
	r     io.Reader
	limit *throttle.Limiter
	run   *report.Run
	crc   hash.Hash32
	n     int64
}

func newMeter(ctx context.Context, r io.Reader, limit *throttle.Limiter, run *report.Run) *meter {
	return &meter{ctx: ctx, r: r, limit: limit, run: run, crc: crc32.New(objstore.Castagnoli)}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.limit != nil && len(p) > limitChunk {
		p = p[:limitChunk]
	}
	n, err := m.r.Read(p)
	if n > 0 {
		m.crc.Write(p[:n])
		m.n += int64(n)
		m.run.Add("bytes", int64(n))
		if werr := m.limit.Wait(m.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

// uncount removes the bytes of a failed attempt from the run's counter, so
// "bytes" is what was copied successfully.
func (m *meter) uncount() { m.run.Add("bytes", -m.n) }
