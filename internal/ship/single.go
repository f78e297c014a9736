package ship

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// holdBack is how many of a file's last bytes a single-request copy reads
// and checks before handing them on: the store completes the object only
// with them, so bytes that do not match the manifest are never stored.
const holdBack = 64 << 10

// single reports whether f goes up in one request: the destination takes
// single-request uploads and the file is at most one chunk (a failed
// request costs the file sent again, as a failed chunk would).
func (c *copier) single(f manifest.File) bool {
	_, ok := c.dst.Driver().(objstore.SingleUploader)
	return ok && f.StoredBytes <= c.chunkSize()
}

// streamSingle copies key in one request whose body is one read of the
// whole source object, measured as it passes. The last bytes are held
// back until the size, CRC32C and SHA-256 of all of them match the
// manifest; on a mismatch the request is abandoned and nothing is stored.
// The manifest's CRC32C is declared to the store, which refuses other
// bytes, and the store-computed CRC32C and size it answers with are
// compared again (a wrong object is deleted).
//
// The source's attributes are not asked for up front: the bytes are
// checked anyway. Only when the read fails or the bytes do not match are
// they asked for, to tell a source that is wrong at rest (or archived)
// from damage on the way.
func (c *copier) streamSingle(ctx context.Context, key string, f manifest.File, want uint32) error {
	release, err := c.mem.reserve(ctx, holdBack+copyBufSize)
	if err != nil {
		return err
	}
	defer release()
	r, err := c.src.NewReader(ctx, key)
	if err != nil {
		if errors.Is(err, objstore.ErrNotFound) {
			return sourceReadErr(key, err)
		}
		return c.sourceFailed(ctx, key, f, want, fmt.Errorf("read source: %w", err))
	}
	defer r.Close()
	body := &heldBody{m: newMeter(ctx, r, c.limit, c.run), sha: sha256.New(), f: f, want: want, key: key}
	_, err = c.dst.PutSingle(ctx, key, f.StoredBytes, body, &objstore.WriterOptions{
		CRC32C: want, HasCRC32C: true, StorageClass: c.cfg.StorageClass,
	})
	if err == nil {
		return nil
	}
	body.m.uncount()
	switch {
	case body.mismatch != nil:
		return c.sourceFailed(ctx, key, f, want, body.mismatch)
	case body.err != nil:
		return c.sourceFailed(ctx, key, f, want, fmt.Errorf("read source: %w", body.err))
	}
	var ce *objstore.ChecksumError
	if errors.As(err, &ce) {
		// The bytes were right when sent: damaged on the way in.
		return storeMismatch{err}
	}
	return fmt.Errorf("write destination: %w", err)
}

// sourceFailed classifies a failed or wrong read of key by the source
// store's own attributes: archived, missing, or wrong at rest are the
// source's problem (not retried); a source whose store checksum matches
// the manifest delivered bytes damaged on the way, worth reading again.
func (c *copier) sourceFailed(ctx context.Context, key string, f manifest.File, want uint32, readErr error) error {
	checked, err := c.checkSource(ctx, key, f, want)
	if err != nil {
		return err
	}
	if fault.IsVerify(readErr) && checked {
		return storeMismatch{readErr}
	}
	return readErr
}

// heldBody is the body of a single-request copy: the source read,
// metered and measured, passed on but for its last bytes, which are
// handed on only once every byte matched the manifest. mismatch is set
// when they did not (the body then fails), err when the source failed.
type heldBody struct {
	m        *meter
	sha      hash.Hash
	f        manifest.File
	want     uint32
	key      string
	held     []byte // the last bytes, checked and being handed on
	checked  bool
	mismatch error
	err      error
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.checked {
		if len(b.held) == 0 {
			return 0, io.EOF
		}
		n := copy(p, b.held)
		b.held = b.held[n:]
		return n, nil
	}
	if b.mismatch != nil || b.err != nil {
		return 0, errors.Join(b.mismatch, b.err)
	}
	size := b.f.StoredBytes
	if pass := size - min(size, holdBack) - b.m.n; pass > 0 {
		if int64(len(p)) > pass {
			p = p[:pass]
		}
		n, err := b.m.Read(p)
		b.sha.Write(p[:n])
		if err == io.EOF {
			return n, b.check() // ended before the held bytes: a mismatch
		}
		if err != nil {
			b.err = err
		}
		return n, err
	}
	return 0, b.checkTail()
}

// checkTail reads the held bytes and what follows (nothing, if the
// source is the manifest's file) and checks everything read.
func (b *heldBody) checkTail() error {
	size := b.f.StoredBytes
	held := make([]byte, size-b.m.n, size-b.m.n+1)
	n, err := io.ReadFull(b.m, held[:cap(held)])
	b.sha.Write(held[:n])
	switch {
	case err == nil:
		// A byte more than the manifest's size: not the same file.
		return b.check()
	case err != io.ErrUnexpectedEOF && err != io.EOF:
		b.err = err
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	b.held, b.checked = held[:n], true
	return nil
}

// check compares what was read with the manifest: nil when it matches
// (to the last byte), else the mismatch, which is kept.
func (b *heldBody) check() error {
	f := b.f
	gotSHA := hex.EncodeToString(b.sha.Sum(nil))
	if b.m.n == f.StoredBytes && b.m.crc.Sum32() == b.want && gotSHA == f.SHA256 {
		return nil
	}
	b.mismatch = fault.Verify(&MismatchError{Key: b.key, Where: "source", WantSize: f.StoredBytes, GotSize: b.m.n,
		WantCRC32C: f.CRC32C, GotCRC32C: crcHex(b.m.crc.Sum32()), WantSHA256: f.SHA256, GotSHA256: gotSHA,
		Detail: "as read from the source; the upload was abandoned, nothing stored at the destination"})
	return b.mismatch
}
