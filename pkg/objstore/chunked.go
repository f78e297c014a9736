package objstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrIncompleteChunk: the store accepted a chunk but kept only part of
// it. The session cannot go on from the chunk's end; a new upload may.
var ErrIncompleteChunk = errors.New("the store kept only part of the chunk")

// ChunkedUploader is implemented by drivers that can take an object as a
// session of chunks whose bodies the caller streams, so that the caller,
// not the driver, holds (or re-reads) a chunk for its retry. Memory is
// then independent of the chunk size.
type ChunkedUploader interface {
	NewChunkedUpload(ctx context.Context, key string, opts WriterOptions) (ChunkedUpload, error)
}

// ChunkedUpload is an upload session in progress. Nothing is visible at
// the key until Finish returns nil.
type ChunkedUpload interface {
	// Quantum is what every chunk but the final bytes must be a multiple of.
	Quantum() int64
	// PutChunk sends the n bytes read from body as the object's bytes at
	// off, without completing the object. A failed PutChunk may be sent
	// again with the same off and a fresh body, unless it failed with
	// ErrIncompleteChunk (then the whole upload must start again).
	PutChunk(ctx context.Context, off, n int64, body io.Reader) error
	// Finish sends tail (possibly empty) as the bytes at off and completes
	// the object, of off+len(tail) bytes.
	Finish(ctx context.Context, off int64, tail []byte) error
	// Abort ends the session; nothing becomes visible.
	Abort() error
}

// BucketChunkedUpload is a Bucket's chunked upload: keys validated, errors
// named, and the store-computed checksum checked after Finish.
type BucketChunkedUpload struct {
	b    *Bucket
	key  string
	opts WriterOptions
	u    ChunkedUpload
	done bool
}

// NewChunkedUpload starts a chunked upload of key, or returns an error
// matching ErrNotSupported when the store has none (callers then use
// NewWriter). opts.Size must be the object's size.
func (b *Bucket) NewChunkedUpload(ctx context.Context, key string, opts *WriterOptions) (*BucketChunkedUpload, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	cu, ok := b.d.(ChunkedUploader)
	if !ok {
		return nil, fmt.Errorf("chunked upload to %s: %w", b.loc, ErrNotSupported)
	}
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	u, err := cu.NewChunkedUpload(ctx, key, o)
	if err != nil {
		return nil, b.wrap("write", key, err)
	}
	return &BucketChunkedUpload{b: b, key: key, opts: o, u: u}, nil
}

// Quantum is what every chunk but the final bytes must be a multiple of.
func (u *BucketChunkedUpload) Quantum() int64 { return u.u.Quantum() }

// PutChunk sends n bytes from body as the bytes at off.
func (u *BucketChunkedUpload) PutChunk(ctx context.Context, off, n int64, body io.Reader) error {
	if u.done {
		return fmt.Errorf("write %s: upload finished", u.key)
	}
	return u.b.wrap("write", u.key, u.u.PutChunk(ctx, off, n, body))
}

// Finish completes the object with tail as its last bytes, then checks
// that the store holds size bytes with the CRC32C sum (the caller's
// measure of every byte it sent): on a mismatch the object is deleted
// and a *ChecksumError returned.
func (u *BucketChunkedUpload) Finish(ctx context.Context, off int64, tail []byte, sum Sum) error {
	if u.done {
		return fmt.Errorf("write %s: upload finished", u.key)
	}
	u.done = true
	if err := u.u.Finish(ctx, off, tail); err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			return err
		}
		return u.b.wrap("write", u.key, err)
	}
	return u.b.checkReported(ctx, u.key, sum, u.u)
}

// Abort ends the session; nothing becomes visible.
func (u *BucketChunkedUpload) Abort() error {
	if u.done {
		return nil
	}
	u.done = true
	return u.u.Abort()
}

// chunkCRC is the CRC32C of the bytes of a chunked upload so far, for
// stores that are told the whole object's CRC32C at the end. A chunk may
// be sent again: the value at each chunk's start is kept to go back to.
type chunkCRC struct {
	v    uint32
	size int64
	at   map[int64]uint32 // chunk offset -> CRC32C of the bytes before it
}

// start goes back to off, the end of the bytes so far or the start of a
// chunk sent before.
func (c *chunkCRC) start(key string, off int64) error {
	if c.at == nil {
		c.at = map[int64]uint32{}
	}
	if off != c.size {
		v, ok := c.at[off]
		if !ok || off > c.size {
			return fmt.Errorf("write %s: chunk at byte %d, but %d bytes were sent", key, off, c.size)
		}
		c.v, c.size = v, off
	}
	c.at[off] = c.v
	return nil
}

// Write adds p to the sum.
func (c *chunkCRC) Write(p []byte) (int, error) {
	c.v = crc32.Update(c.v, Castagnoli, p)
	c.size += int64(len(p))
	return len(p), nil
}

// The rest of hash.Hash32, so a chunkCRC can be a writer's running sum.
func (c *chunkCRC) Sum(b []byte) []byte { return binary.BigEndian.AppendUint32(b, c.v) }
func (c *chunkCRC) Sum32() uint32       { return c.v }
func (c *chunkCRC) Reset()              { *c = chunkCRC{} }
func (c *chunkCRC) Size() int           { return 4 }
func (c *chunkCRC) BlockSize() int      { return 1 }
