package objstore

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// SingleUploader is implemented by drivers that can store an object of
// known size in one request whose body the caller streams (GCS: a
// multipart upload), so the caller holds nothing and the store does one
// request's work.
type SingleUploader interface {
	// PutSingle stores the size bytes read from body as key, in one
	// request. The object is created only if body gives exactly size
	// bytes and then io.EOF: a body that fails first (or gives more)
	// abandons the request, and nothing is stored. So a caller that
	// checks the bytes as they pass can hold the last of them back and
	// fail instead of handing them over. The store is told
	// opts.CRC32C (when HasCRC32C) and refuses other bytes; IfAbsent,
	// ContentType and StorageClass are honoured. It returns the new
	// object's attributes as the store reported them in its answer.
	PutSingle(ctx context.Context, key string, size int64, body io.Reader, opts WriterOptions) (Attrs, error)
}

// PutSingle stores size bytes read from body as key in one request (see
// SingleUploader), or returns an error matching ErrNotSupported when the
// store has no such upload (callers then use NewChunkedUpload or
// NewWriter). The store-computed CRC32C and size in its answer are
// compared with the bytes body gave; on a mismatch the object is deleted
// and a *ChecksumError returned. It returns what body gave.
func (b *Bucket) PutSingle(ctx context.Context, key string, size int64, body io.Reader, opts *WriterOptions) (Sum, error) {
	if err := ValidateKey(key); err != nil {
		return Sum{}, err
	}
	su, ok := b.d.(SingleUploader)
	if !ok {
		return Sum{}, fmt.Errorf("single-request upload to %s: %w", b.loc, ErrNotSupported)
	}
	if size < 0 {
		return Sum{}, fmt.Errorf("write %s: negative size", key)
	}
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	o.Size = size
	m := &crcCounter{r: body}
	a, err := su.PutSingle(ctx, key, size, m, o)
	if err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			return Sum{}, err
		}
		return Sum{}, b.wrap("write", key, err)
	}
	sum := Sum{Size: m.n, CRC32C: m.crc}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	return sum, b.compareStored(ctx, key, sum, a)
}

// crcCounter measures the bytes read through it.
type crcCounter struct {
	r   io.Reader
	n   int64
	crc uint32
}

func (c *crcCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.crc = crc32.Update(c.crc, Castagnoli, p[:n])
	return n, err
}

// exactBody hands on exactly n bytes of r and then io.EOF, and fails
// instead when r ends early or has more: a driver sends the bytes that
// complete its request only after exactBody said io.EOF.
type exactBody struct {
	r    io.Reader
	n    int64
	read int64
	key  string
}

func (e *exactBody) Read(p []byte) (int, error) {
	left := e.n - e.read
	if left == 0 {
		// The caller's body must end here, and say so.
		var one [1]byte
		k, err := io.ReadFull(e.r, one[:])
		if k > 0 {
			return 0, fmt.Errorf("write %s: the body has more than the %d bytes declared", e.key, e.n)
		}
		if err != io.EOF {
			return 0, fmt.Errorf("write %s: after %d bytes: %w", e.key, e.n, err)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	k, err := e.r.Read(p)
	e.read += int64(k)
	if err == io.EOF {
		if e.read < e.n {
			return k, fmt.Errorf("write %s: the body ended at byte %d of %d: %w", e.key, e.read, e.n, io.ErrUnexpectedEOF)
		}
		err = nil // the next Read checks that the body ends here
	}
	return k, err
}
