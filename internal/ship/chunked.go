package ship

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// defaultStreamChunk is the chunk of a chunked upload when --part-size is
// not given. Memory does not depend on it (a chunk streams from the source
// into its request and is re-read from the source for a retry), so it is
// large: fewer requests, and services that rework the partial object per
// chunk (as the GCS emulator does) do less of it. A failed chunk costs at
// most this much sent again.
const defaultStreamChunk = 256 * mib

// maxChunks is the most chunks an object is cut into: S3's limit of parts.
const maxChunks = 10000

// chunkedMemory is what a chunked transfer holds: the last bytes of the
// object, which are read, verified with the rest and only then sent with
// the request that completes the object (less than one quantum), and a
// margin for the HTTP stack's buffers.
func chunkedMemory(quantum int64) int64 { return quantum + copyBufSize }

// sumState is the measure of the bytes sent so far: size, CRC32C and
// SHA-256, with the SHA-256 state saved at a chunk's start so that a
// failed chunk's bytes can be taken back out.
type sumState struct {
	n   int64
	crc uint32
	sha hash.Hash
}

func (s *sumState) save() (int64, uint32, []byte) {
	st, _ := s.sha.(encoding.BinaryMarshaler).MarshalBinary()
	return s.n, s.crc, st
}

func (s *sumState) restore(n int64, crc uint32, st []byte) {
	s.n, s.crc = n, crc
	_ = s.sha.(encoding.BinaryUnmarshaler).UnmarshalBinary(st)
}

// chunkBody is a chunk's body: the ranged source read, metered, measured
// into the running sum, and held to exactly n bytes. Its err is the
// source's failure, told apart from the destination's.
type chunkBody struct {
	m    *meter
	sum  *sumState
	n    int64
	read int64
	err  error
}

func (b *chunkBody) Read(p []byte) (int, error) {
	if left := b.n - b.read; int64(len(p)) > left {
		p = p[:left]
	}
	if len(p) == 0 {
		return 0, io.EOF
	}
	k, err := b.m.Read(p)
	b.read += int64(k)
	b.sum.n += int64(k)
	b.sum.crc = crcUpdate(b.sum.crc, p[:k])
	b.sum.sha.Write(p[:k])
	if err == io.EOF && b.read < b.n {
		err = fault.Verify(fmt.Errorf("the source ended at byte %d of a %d-byte chunk: it changed while being copied", b.read, b.n))
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return k, err
}

// streamChunked copies key as a chunked upload: each chunk streams from a
// ranged read of the source into its request, and a failed chunk reads its
// range from the source again. The size, CRC32C and SHA-256 of exactly the
// bytes the destination accepted are checked against the manifest before
// the request that completes the object is sent, so wrong bytes (a source
// that changed between reads, damage on the way) are never made visible:
// the session is abandoned instead. The destination also checks the
// declared CRC32C, and its own CRC32C is compared after.
func (c *copier) streamChunked(ctx context.Context, key string, f manifest.File, want uint32, srcChecked bool) error {
	w, err := c.dst.NewChunkedUpload(ctx, key, &objstore.WriterOptions{
		CRC32C: want, HasCRC32C: true, Size: f.StoredBytes, StorageClass: c.cfg.StorageClass,
	})
	if err != nil {
		return fmt.Errorf("write destination: %w", err)
	}
	release, err := c.mem.reserve(ctx, chunkedMemory(w.Quantum()))
	if err != nil {
		_ = w.Abort()
		return err
	}
	defer release()
	sum := &sumState{sha: sha256.New()}
	counted := int64(0)
	fail := func(err error) error {
		_ = w.Abort()
		c.run.Add("bytes", -counted)
		return err
	}

	size, q := f.StoredBytes, w.Quantum()
	chunk := max(c.chunkSize()/q*q, q)
	// S3 takes at most 10,000 parts an object: larger chunks for a huge
	// object (memory does not depend on the chunk).
	for size/chunk >= maxChunks {
		chunk *= 2
	}
	aligned := size / q * q
	firstCRC := map[int64]uint32{} // a chunk's CRC32C as first read in full
	for off := int64(0); off < aligned; off += chunk {
		n := min(chunk, aligned-off)
		if err := c.putChunk(ctx, w, key, off, n, sum, firstCRC); err != nil {
			return fail(err)
		}
		counted += n
	}

	tail, err := c.readTail(ctx, key, aligned, size-aligned)
	if err != nil {
		return fail(err)
	}
	sum.n += int64(len(tail))
	sum.crc = crcUpdate(sum.crc, tail)
	sum.sha.Write(tail)
	c.run.Add("bytes", int64(len(tail)))
	counted += int64(len(tail))
	gotSHA := hex.EncodeToString(sum.sha.Sum(nil))
	if sum.n != size || sum.crc != want || gotSHA != f.SHA256 {
		err := fault.Verify(&MismatchError{Key: key, Where: "source", WantSize: size, GotSize: sum.n,
			WantCRC32C: f.CRC32C, GotCRC32C: crcHex(sum.crc), WantSHA256: f.SHA256, GotSHA256: gotSHA,
			Detail: "as read from the source; the upload was abandoned, nothing stored at the destination"})
		if srcChecked {
			return fail(storeMismatch{err})
		}
		return fail(err)
	}
	s := objstore.Sum{Size: sum.n, CRC32C: sum.crc}
	if err := w.Finish(ctx, aligned, tail, s); err != nil {
		c.run.Add("bytes", -counted)
		var ce *objstore.ChecksumError
		if errors.As(err, &ce) {
			// The bytes were right when sent: damaged on the way in.
			return storeMismatch{err}
		}
		return fmt.Errorf("write destination: %w", err)
	}
	return nil
}

// chunkSize is the chunk of a chunked upload: --part-size, or the default.
func (c *copier) chunkSize() int64 {
	if c.cfg.PartSize > 0 {
		return c.cfg.PartSize
	}
	return defaultStreamChunk
}

// putChunk sends the n bytes at off, reading them from the source again
// for each retry. sum covers the bytes before off on entry and through
// off+n on success. A chunk read in full more than once must read the same
// every time (firstCRC keeps the first): a source that changed is a
// verification failure, not retried.
func (c *copier) putChunk(ctx context.Context, w *objstore.BucketChunkedUpload, key string, off, n int64, sum *sumState, firstCRC map[int64]uint32) error {
	sn, scrc, ssha := sum.save()
	op := fmt.Sprintf("copy %s bytes %d-%d", key, off, off+n-1)
	attempt := 0
	// An incomplete chunk ends the session: copyFile's retry starts anew.
	retryChunk := func(err error) bool { return isRetryable(err) && !errors.Is(err, objstore.ErrIncompleteChunk) }
	return throttle.Retry(ctx, c.cfg.Retry, retryChunk, c.log, c.run, op, func(ctx context.Context) error {
		if attempt++; attempt > 1 {
			sum.restore(sn, scrc, ssha)
			c.run.Add("chunk_rereads", 1)
		}
		r, err := c.src.NewRangeReader(ctx, key, off, n)
		if err != nil {
			return sourceReadErr(key, err)
		}
		defer r.Close()
		body := &chunkBody{m: newMeter(ctx, r, c.limit, c.run), sum: sum, n: n}
		err = w.PutChunk(ctx, off, n, body)
		// Only a read the source completed without error is the source's
		// content: one that failed with its last bytes (an S3 read whose
		// checksum did not match) was damaged on the way, and the next
		// read is not held to it.
		if body.read == n && body.err == nil {
			crc := body.m.crc.Sum32()
			if first, ok := firstCRC[off]; ok && first != crc {
				body.m.uncount()
				return fault.Verify(fmt.Errorf("%s: the source's bytes %d-%d read differently when read again (crc32c %s, then %s): it changed while being copied; the upload was abandoned, nothing stored at the destination",
					key, off, off+n-1, crcHex(first), crcHex(crc)))
			} else if !ok {
				firstCRC[off] = crc
			}
		}
		if err != nil {
			body.m.uncount()
			if body.err != nil {
				// The source failed, not the destination.
				if fault.IsVerify(body.err) {
					return body.err
				}
				return fmt.Errorf("read source: %w", body.err)
			}
			return fmt.Errorf("write destination: %w", err)
		}
		return nil
	})
}

// readTail reads the last n (< one quantum) bytes of key from off.
func (c *copier) readTail(ctx context.Context, key string, off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	if n == 0 {
		return buf, nil
	}
	err := throttle.Retry(ctx, c.cfg.Retry, isRetryable, c.log, c.run, "read "+key+" tail", func(ctx context.Context) error {
		r, err := c.src.NewRangeReader(ctx, key, off, n)
		if err != nil {
			return sourceReadErr(key, err)
		}
		defer r.Close()
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fault.Verify(fmt.Errorf("%s: the source ended before byte %d: it changed while being copied", key, off+n))
			}
			return fmt.Errorf("read source: %w", err)
		}
		return nil
	})
	return buf, err
}

func crcUpdate(crc uint32, p []byte) uint32 { return crc32.Update(crc, objstore.Castagnoli, p) }

// sourceReadErr names a failed source read; a file that vanished from the
// source after its manifest listed it fails verification, as in stream.
func sourceReadErr(key string, err error) error {
	if errors.Is(err, objstore.ErrNotFound) {
		return fault.Verify(fmt.Errorf("%s: listed in the manifest but missing at the source: %w", key, err))
	}
	return fmt.Errorf("read source: %w", err)
}
