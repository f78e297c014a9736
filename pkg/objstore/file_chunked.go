package objstore

import (
	"context"
	"fmt"
	"io"
)

// Chunked uploads to a directory write each chunk at its offset in the
// temporary file the object is written to, straight from the caller's
// body, so a chunk costs no memory here; a chunk sent again cuts the file
// back to its offset first. Finish writes the last bytes and commits the
// file as a streaming write does (declared CRC32C, fsync, rename).

var _ ChunkedUploader = (*fileDriver)(nil)

type fileChunked struct {
	w   *fileWriter
	crc *chunkCRC // the writer's running sum
}

func (d *fileDriver) NewChunkedUpload(ctx context.Context, key string, opts WriterOptions) (ChunkedUpload, error) {
	dw, err := d.NewWriter(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	w := dw.(*fileWriter)
	crc := &chunkCRC{}
	w.crc = crc
	return &fileChunked{w: w, crc: crc}, nil
}

// Quantum is 1: a file takes chunks of any size, so nothing is held back
// for Finish.
func (u *fileChunked) Quantum() int64 { return 1 }

// at positions the file at off: the end of the bytes written, or the
// start of a chunk written before (the file is cut back there).
func (u *fileChunked) at(off int64) error {
	w := u.w
	if w.done {
		return fmt.Errorf("write %s: upload finished", w.key)
	}
	back := off < u.crc.size
	if err := u.crc.start(w.key, off); err != nil {
		return err
	}
	if back {
		if err := w.f.Truncate(off); err != nil {
			return fmt.Errorf("write %s: %w", w.key, err)
		}
	}
	if _, err := w.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("write %s: %w", w.key, err)
	}
	return nil
}

func (u *fileChunked) PutChunk(ctx context.Context, off, n int64, body io.Reader) error {
	if n <= 0 {
		return fmt.Errorf("write %s: chunk of %d bytes", u.w.key, n)
	}
	if err := u.at(off); err != nil {
		return err
	}
	buf := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(buf)
	k, err := io.CopyBuffer(u.w, io.LimitReader(body, n), *buf)
	if err == nil && k < n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("write %s: bytes %d-%d: %w", u.w.key, off, off+n-1, err)
	}
	return nil
}

func (u *fileChunked) Finish(ctx context.Context, off int64, tail []byte) error {
	if err := u.at(off); err != nil {
		return err
	}
	if _, err := u.w.Write(tail); err != nil {
		_ = u.w.Abort()
		return fmt.Errorf("write %s: %w", u.w.key, err)
	}
	return u.w.Close()
}

func (u *fileChunked) Abort() error { return u.w.Abort() }
