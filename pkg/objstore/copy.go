package objstore

import (
	"context"
	"errors"
	"fmt"
)

// CopyFrom copies srcKey of src to dstKey of b inside the service (S3
// CopyObject/UploadPartCopy, GCS rewrite), without the bytes passing
// through this process. It returns an error matching ErrNotSupported when
// the two buckets are not on the same service (the caller then streams
// the object through a Writer), ErrNotFound when srcKey is missing, and
// ErrExists when opts.IfAbsent is set and dstKey exists.
//
// After the copy, the destination's store-computed CRC32C must equal
// opts.CRC32C when declared, else the source's store-computed CRC32C when
// it has one; on a mismatch the copy is deleted and a *ChecksumError
// returned.
func (b *Bucket) CopyFrom(ctx context.Context, src *Bucket, srcKey, dstKey string, opts *WriterOptions) error {
	if err := ValidateKey(srcKey); err != nil {
		return err
	}
	if err := ValidateKey(dstKey); err != nil {
		return err
	}
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	what := fmt.Sprintf("copy %s to %s", src.loc.Join(srcKey), b.loc.Join(dstKey))
	c, ok := b.d.(Copier)
	if !ok {
		return fmt.Errorf("%s: %w", what, ErrNotSupported)
	}
	want, hasWant := o.CRC32C, o.HasCRC32C
	if !hasWant {
		sa, err := src.d.Attributes(ctx, srcKey)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		want, hasWant = sa.CRC32C, sa.HasCRC32C
	}
	if err := c.CopyFrom(ctx, src.d, srcKey, dstKey, o); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !hasWant {
		return nil
	}
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	a, err := b.d.Attributes(vctx, dstKey)
	if err != nil {
		return fmt.Errorf("verify %s: %w", what, err)
	}
	if a.HasCRC32C && a.CRC32C == want {
		return nil
	}
	got := "none"
	if a.HasCRC32C {
		got = fmt.Sprintf("%08x", a.CRC32C)
	}
	detail := "store-computed checksum of the copy differs; copy deleted"
	if err := b.d.Delete(vctx, dstKey); err != nil && !errors.Is(err, ErrNotFound) {
		detail = "store-computed checksum of the copy differs; delete failed: " + err.Error()
	}
	return &ChecksumError{Key: dstKey, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", want), Got: got, Detail: detail}
}
