package objstore

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// Server-side copy between two s3 locations on the same endpoint: one
// CopyObject up to s3CopyObjectMax bytes, else a multipart upload of
// UploadPartCopy ranges. The store is asked for a CRC32C of the copy, so
// the Bucket can check it afterwards.

var (
	// s3CopyObjectMax is the largest object CopyObject takes (5 GiB).
	s3CopyObjectMax int64 = 5 << 30
	// s3CopyPartSize is the range of one UploadPartCopy.
	s3CopyPartSize int64 = 512 << 20
)

// CopyFrom implements Copier.
func (d *s3Driver) CopyFrom(ctx context.Context, src Driver, srcKey, dstKey string, opts WriterOptions) error {
	s, ok := src.(*s3Driver)
	if !ok || s.endpoint != d.endpoint {
		return fmt.Errorf("server-side copy to %s: %w", dstKey, ErrNotSupported)
	}
	sa, err := s.Attributes(ctx, srcKey)
	if err != nil {
		return err
	}
	if sa.Archived {
		return fmt.Errorf("copy %s: source is archived (%s) and must be restored first", srcKey, sa.StorageClass)
	}
	source := copySource(s.bucket, s.full(srcKey))
	if sa.Size <= s3CopyObjectMax {
		in := &s3.CopyObjectInput{
			Bucket:            aws.String(d.bucket),
			Key:               aws.String(d.full(dstKey)),
			CopySource:        aws.String(source),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
		}
		if opts.ContentType != "" {
			in.ContentType = aws.String(opts.ContentType)
			in.MetadataDirective = types.MetadataDirectiveReplace
		}
		if opts.StorageClass != "" {
			in.StorageClass = types.StorageClass(opts.StorageClass)
		}
		if opts.IfAbsent {
			in.IfNoneMatch = aws.String("*")
		}
		_, err := d.client.CopyObject(ctx, in)
		return s3Err("copy to", dstKey, err)
	}
	return d.copyMultipart(ctx, source, sa, dstKey, opts)
}

// copySource renders bucket/key URL-escaped, as x-amz-copy-source wants.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}

func (d *s3Driver) copyMultipart(ctx context.Context, source string, sa Attrs, dstKey string, opts WriterOptions) error {
	partSize := s3CopyPartSize
	for (sa.Size+partSize-1)/partSize > s3MaxParts {
		partSize *= 2
	}
	create := &s3.CreateMultipartUploadInput{
		Bucket:            aws.String(d.bucket),
		Key:               aws.String(d.full(dstKey)),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
		ChecksumType:      types.ChecksumTypeFullObject,
	}
	if opts.ContentType != "" {
		create.ContentType = aws.String(opts.ContentType)
	}
	if opts.StorageClass != "" {
		create.StorageClass = types.StorageClass(opts.StorageClass)
	}
	up, err := d.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return s3Err("start multipart copy to", dstKey, err)
	}
	w := &s3Writer{d: d, key: dstKey, parent: ctx, uploadID: up.UploadId}
	var mu sync.Mutex
	var parts []types.CompletedPart
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s3UploadConcurrency)
	for num, off := int32(1), int64(0); off < sa.Size; num, off = num+1, off+partSize {
		end := min(off+partSize, sa.Size) - 1
		g.Go(func() error {
			out, err := d.client.UploadPartCopy(gctx, &s3.UploadPartCopyInput{
				Bucket:          aws.String(d.bucket),
				Key:             aws.String(d.full(dstKey)),
				UploadId:        up.UploadId,
				PartNumber:      aws.Int32(num),
				CopySource:      aws.String(source),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
			})
			if err != nil {
				return s3Err(fmt.Sprintf("copy part %d to", num), dstKey, err)
			}
			p := types.CompletedPart{PartNumber: aws.Int32(num)}
			if r := out.CopyPartResult; r != nil {
				p.ETag, p.ChecksumCRC32C = r.ETag, r.ChecksumCRC32C
			}
			mu.Lock()
			parts = append(parts, p)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		w.abortUpload()
		return err
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(d.bucket),
		Key:             aws.String(d.full(dstKey)),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		ChecksumType:    types.ChecksumTypeFullObject,
		MpuObjectSize:   aws.Int64(sa.Size),
	}
	switch {
	case opts.HasCRC32C:
		in.ChecksumCRC32C = s3CRC32C(opts.CRC32C)
	case sa.HasCRC32C:
		in.ChecksumCRC32C = s3CRC32C(sa.CRC32C)
	}
	if opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := d.client.CompleteMultipartUpload(ctx, in); err != nil {
		w.abortUpload()
		if isBadDigest(err) && in.ChecksumCRC32C != nil {
			want, _ := parseS3CRC32C(in.ChecksumCRC32C, "")
			return &ChecksumError{Key: dstKey, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", want), Got: "another value computed by the store from the copied parts",
				Detail: "refused by the store: " + maskSecrets(err).Error()}
		}
		return s3Err("complete multipart copy to", dstKey, err)
	}
	return nil
}
