package objstore

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Chunked uploads to S3 are multipart uploads whose parts the caller
// streams: each chunk is one UploadPart with the caller's body, so a
// chunk of any size costs no memory here, and a failed chunk is sent
// again as the same part number from a fresh body (S3 keeps the last
// upload of a part number). The bytes after the last whole quantum go up
// as the last part with Finish, which completes the object with the
// whole object's CRC32C (FULL_OBJECT), so the store refuses other bytes.
// An object smaller than a quantum is one PutObject.
//
// A streamed body cannot be read twice, so the SDK can neither hash it for
// the signature nor compute a part checksum before sending: over HTTPS the
// part's CRC32C goes in a trailer computed while it streams; over plain
// HTTP (local S3-compatible servers) the part is sent with an unsigned
// payload and no part checksum, and the whole object's CRC32C, checked by
// the store at completion and by the caller after, catches damage.

var _ ChunkedUploader = (*s3Driver)(nil)

type s3Chunked struct {
	d    *s3Driver
	key  string
	opts WriterOptions

	uploadID *string
	numbers  map[int64]int32 // chunk offset -> part number
	parts    map[int32]types.CompletedPart
	crc      chunkCRC // of the bytes sent, for a store told no CRC32C
}

// NewChunkedUpload starts a chunked upload; the multipart upload itself is
// created by the first chunk.
func (d *s3Driver) NewChunkedUpload(ctx context.Context, key string, opts WriterOptions) (ChunkedUpload, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &s3Chunked{d: d, key: key, opts: opts, numbers: map[int64]int32{}, parts: map[int32]types.CompletedPart{}}, nil
}

// Quantum is S3's smallest part: every part but the last must be at
// least this big, and the last (Finish's) is less than a quantum.
func (u *s3Chunked) Quantum() int64 { return s3MinPartSize }

func (u *s3Chunked) create(ctx context.Context) error {
	if u.uploadID != nil {
		return nil
	}
	in := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(u.d.bucket), Key: aws.String(u.d.full(u.key)),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumType: types.ChecksumTypeFullObject,
	}
	if u.opts.ContentType != "" {
		in.ContentType = aws.String(u.opts.ContentType)
	}
	if u.opts.StorageClass != "" {
		in.StorageClass = types.StorageClass(u.opts.StorageClass)
	}
	out, err := u.d.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return s3Err("start multipart upload of", u.key, err)
	}
	u.uploadID = out.UploadId
	return nil
}

// number is the part number of the chunk at off: the same for a chunk
// sent again, the next one for a new chunk.
func (u *s3Chunked) number(off int64) (int32, error) {
	if n, ok := u.numbers[off]; ok {
		return n, nil
	}
	n := int32(len(u.numbers) + 1)
	if n > s3MaxParts {
		return 0, fmt.Errorf("write %s: more than %d parts; use larger chunks", u.key, s3MaxParts)
	}
	u.numbers[off] = n
	return n, nil
}

func (u *s3Chunked) PutChunk(ctx context.Context, off, n int64, body io.Reader) error {
	if n <= 0 || n%s3MinPartSize != 0 {
		return fmt.Errorf("write %s: chunk of %d bytes is not a positive multiple of %d", u.key, n, s3MinPartSize)
	}
	if err := u.create(ctx); err != nil {
		return err
	}
	num, err := u.number(off)
	if err != nil {
		return err
	}
	if err := u.crc.start(u.key, off); err != nil {
		return err
	}
	return u.uploadPart(ctx, num, n, io.NopCloser(io.TeeReader(body, &u.crc)), true)
}

// uploadPart sends one part; streamed says body cannot be read twice.
func (u *s3Chunked) uploadPart(ctx context.Context, num int32, n int64, body io.Reader, streamed bool) error {
	in := &s3.UploadPartInput{
		Bucket: aws.String(u.d.bucket), Key: aws.String(u.d.full(u.key)), UploadId: u.uploadID,
		PartNumber: aws.Int32(num), Body: body, ContentLength: aws.Int64(n),
	}
	in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	var optFns []func(*s3.Options)
	if streamed {
		optFns = append(optFns, u.d.streamOptions(in)...)
	}
	out, err := u.d.client.UploadPart(ctx, in, optFns...)
	if err != nil {
		return s3Err(fmt.Sprintf("upload part %d of", num), u.key, err)
	}
	u.parts[num] = types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C}
	return nil
}

// streamOptions are the request options of a part whose body streams.
// Over plain HTTP there is no trailer: no part checksum, unsigned payload.
func (d *s3Driver) streamOptions(in *s3.UploadPartInput) []func(*s3.Options) {
	if !d.plainHTTP() {
		return nil
	}
	in.ChecksumAlgorithm = ""
	return []func(*s3.Options){func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	}}
}

func (u *s3Chunked) Finish(ctx context.Context, off int64, tail []byte) error {
	if u.uploadID == nil {
		if off != 0 {
			return fmt.Errorf("write %s: finish at byte %d of an upload that sent no chunk", u.key, off)
		}
		w := &s3Writer{d: u.d, key: u.key, opts: u.opts, ctx: ctx, buf: tail, crc: crc32.Checksum(tail, Castagnoli)}
		return w.putObject()
	}
	total := off + int64(len(tail))
	if err := u.crc.start(u.key, off); err != nil {
		return err
	}
	u.crc.Write(tail)
	whole := u.crc.v
	if u.opts.HasCRC32C {
		whole = u.opts.CRC32C
	}
	if len(tail) > 0 {
		num, err := u.number(off)
		if err != nil {
			return err
		}
		if err := u.uploadPart(ctx, num, int64(len(tail)), bytes.NewReader(tail), false); err != nil {
			return err
		}
	}
	parts := make([]types.CompletedPart, 0, len(u.parts))
	for _, p := range u.parts {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.d.bucket), Key: aws.String(u.d.full(u.key)), UploadId: u.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		MpuObjectSize:   aws.Int64(total),
		ChecksumCRC32C:  s3CRC32C(whole),
		ChecksumType:    types.ChecksumTypeFullObject,
	}
	if u.opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := u.d.client.CompleteMultipartUpload(ctx, in); err != nil {
		_ = u.Abort()
		if isBadDigest(err) {
			return checksumRefused(u.key, u.opts.HasCRC32C, whole, u.crc.v, maskSecrets(err))
		}
		return s3Err("complete multipart upload of", u.key, err)
	}
	u.uploadID = nil
	return nil
}

// Abort discards the parts sent, even when the caller's context is done.
func (u *s3Chunked) Abort() error {
	if u.uploadID == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := u.d.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.d.bucket), Key: aws.String(u.d.full(u.key)), UploadId: u.uploadID,
	})
	u.uploadID = nil
	if err != nil {
		return s3Err("abort multipart upload of", u.key, err)
	}
	return nil
}

// plainHTTP says the endpoint is http://, where the SDK sends no trailers.
func (d *s3Driver) plainHTTP() bool { return strings.HasPrefix(d.endpoint, "http://") }
