package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// NewResumingReader streams a whole object like NewReader, but when a read
// fails part way (a connection reset mid-body), it reopens the object at
// the offset reached and goes on, up to attempts times in all. It is for
// objects that never change once written (dump parts), whose bytes the
// caller verifies against their checksums anyway: a splice of two
// versions would fail that check, never pass silently.
func (b *Bucket) NewResumingReader(ctx context.Context, key string, attempts int) (io.ReadCloser, error) {
	r, err := b.NewReader(ctx, key)
	if err != nil {
		return nil, err
	}
	return &resumingReader{ctx: ctx, b: b, key: key, r: r, left: max(attempts, 1) - 1}, nil
}

type resumingReader struct {
	ctx  context.Context
	b    *Bucket
	key  string
	r    io.ReadCloser
	off  int64
	left int
	try  int
}

func (rr *resumingReader) Read(p []byte) (int, error) {
	for {
		n, err := rr.r.Read(p)
		rr.off += int64(n)
		if err == nil || err == io.EOF || n > 0 {
			if err != nil && err != io.EOF && n > 0 {
				// Hand over what arrived; the error comes back on the
				// next Read, from the same reader.
				return n, nil
			}
			return n, err
		}
		if rr.left == 0 || rr.ctx.Err() != nil || errors.Is(err, ErrNotFound) {
			return 0, err
		}
		rr.left--
		rr.try++
		select {
		case <-rr.ctx.Done():
			return 0, err
		case <-time.After(time.Duration(rr.try) * 200 * time.Millisecond):
		}
		_ = rr.r.Close()
		r, oerr := rr.b.NewRangeReader(rr.ctx, rr.key, rr.off, -1)
		if oerr != nil {
			return 0, fmt.Errorf("%w (resuming at byte %d: %v)", err, rr.off, oerr)
		}
		rr.r = r
	}
}

func (rr *resumingReader) Close() error { return rr.r.Close() }
