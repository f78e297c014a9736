package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// s3Writer streams an object to S3. An object that fits in one part goes
// up as one PutObject carrying its CRC32C; a larger one as a multipart
// upload with a FULL_OBJECT CRC32C, parts sent opts.Concurrency
// (default s3UploadConcurrency) at a time while the next one fills.
// Memory: at most Concurrency+1 parts.
//
// The CRC32C sent to the store is the declared one when the caller gave
// one (so the store refuses other bytes), else the one computed while
// streaming. IfAbsent sends If-None-Match: * with the PutObject or the
// CompleteMultipartUpload.
type s3Writer struct {
	d        *s3Driver
	key      string // relative, for errors
	opts     WriterOptions
	partSize int
	conc     int // parts in flight

	ctx    context.Context // the upload's; cancelled by Abort or a failed part
	cancel context.CancelFunc
	parent context.Context // for the final AbortMultipartUpload

	buf  []byte // the part being filled
	crc  uint32 // of every byte written so far
	size int64

	uploadID *string
	nextPart int32
	free     chan []byte // part buffers to reuse
	nbufs    int         // part buffers allocated
	wg       sync.WaitGroup

	mu    sync.Mutex
	parts []types.CompletedPart
	err   error // first failure of a part upload

	done bool
}

func (d *s3Driver) NewWriter(ctx context.Context, key string, opts WriterOptions) (DriverWriter, error) {
	partSize := opts.PartSize
	if partSize <= 0 {
		partSize = defaultPartSize
	}
	if partSize < s3MinPartSize {
		partSize = s3MinPartSize
	}
	// Keep within S3's 10,000 parts when the size is known.
	if opts.Size > 0 {
		for opts.Size/int64(partSize) >= s3MaxParts {
			partSize *= 2
		}
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = s3UploadConcurrency
	}
	uctx, cancel := context.WithCancel(ctx)
	w := &s3Writer{
		d: d, key: key, opts: opts, partSize: partSize, conc: conc,
		ctx: uctx, cancel: cancel, parent: ctx,
		nextPart: 1,
		free:     make(chan []byte, conc+1),
	}
	if opts.Size > 0 && opts.Size <= int64(partSize) {
		w.buf = make([]byte, 0, opts.Size)
		w.nbufs = 1
	}
	return w, nil
}

func (w *s3Writer) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *s3Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cancel()
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: writer closed", w.key)
	}
	written := 0
	for len(p) > 0 {
		if err := w.firstErr(); err != nil {
			return written, err
		}
		if len(w.buf) == w.partSize {
			// Only now that more bytes come is the full part sent: an
			// object of exactly one part stays a single PutObject.
			if err := w.sendPart(); err != nil {
				return written, err
			}
		}
		if w.buf == nil {
			b, err := w.getBuf()
			if err != nil {
				return written, err
			}
			w.buf = b
		}
		n := min(len(p), w.partSize-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		w.crc = crc32.Update(w.crc, Castagnoli, p[:n])
		w.size += int64(n)
		written += n
		p = p[n:]
	}
	return written, nil
}

// getBuf returns an empty part buffer, waiting for an upload to finish
// when all conc+1 are taken.
func (w *s3Writer) getBuf() ([]byte, error) {
	select {
	case b := <-w.free:
		return b, nil
	default:
	}
	if w.nbufs == 0 {
		// The first buffer grows with the data: small objects stay small.
		w.nbufs++
		return make([]byte, 0, min(w.partSize, 64<<10)), nil
	}
	if w.nbufs < w.conc+1 {
		w.nbufs++
		return make([]byte, 0, w.partSize), nil
	}
	select {
	case b := <-w.free:
		return b, nil
	case <-w.ctx.Done():
		if err := w.firstErr(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("write %s: %w", w.key, w.ctx.Err())
	}
}

// sendPart starts the upload of the current buffer as the next part.
func (w *s3Writer) sendPart() error {
	if w.uploadID == nil {
		in := &s3.CreateMultipartUploadInput{
			Bucket:            aws.String(w.d.bucket),
			Key:               aws.String(w.d.full(w.key)),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
			ChecksumType:      types.ChecksumTypeFullObject,
		}
		w.setAttrs(&in.ContentType, &in.StorageClass)
		out, err := w.d.client.CreateMultipartUpload(w.ctx, in)
		if err != nil {
			return s3Err("start multipart upload of", w.key, err)
		}
		w.uploadID = out.UploadId
	}
	buf := w.buf
	w.buf = nil
	num := w.nextPart
	w.nextPart++
	if num > s3MaxParts {
		err := fmt.Errorf("write %s: more than %d parts of %d bytes; set a larger part size", w.key, s3MaxParts, w.partSize)
		w.fail(err)
		return err
	}
	partCRC := s3CRC32C(crc32.Checksum(buf, Castagnoli))
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		out, err := w.d.client.UploadPart(w.ctx, &s3.UploadPartInput{
			Bucket:            aws.String(w.d.bucket),
			Key:               aws.String(w.d.full(w.key)),
			UploadId:          w.uploadID,
			PartNumber:        aws.Int32(num),
			Body:              bytes.NewReader(buf),
			ContentLength:     aws.Int64(int64(len(buf))),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
			ChecksumCRC32C:    partCRC,
		})
		w.free <- buf[:0]
		if err != nil {
			w.fail(s3Err(fmt.Sprintf("upload part %d of", num), w.key, err))
			return
		}
		w.mu.Lock()
		w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32C: partCRC})
		w.mu.Unlock()
	}()
	return nil
}

func (w *s3Writer) setAttrs(contentType **string, class *types.StorageClass) {
	if w.opts.ContentType != "" {
		*contentType = aws.String(w.opts.ContentType)
	}
	if w.opts.StorageClass != "" {
		*class = types.StorageClass(w.opts.StorageClass)
	}
}

// sentCRC is the CRC32C told to the store: the declared one if any.
func (w *s3Writer) sentCRC() uint32 {
	if w.opts.HasCRC32C {
		return w.opts.CRC32C
	}
	return w.crc
}

func (w *s3Writer) wholeCRC() *string { return s3CRC32C(w.sentCRC()) }

// writeErr maps the error of the request that commits the object.
func (w *s3Writer) writeErr(op string, err error) error {
	if isBadDigest(err) {
		return checksumRefused(w.key, w.opts.HasCRC32C, w.sentCRC(), w.crc, maskSecrets(err))
	}
	return s3Err(op, w.key, err)
}

func (w *s3Writer) Close() error {
	if w.done {
		return fmt.Errorf("close %s: writer already closed", w.key)
	}
	w.done = true
	defer w.cancel()
	if w.uploadID == nil {
		return w.putObject()
	}
	if err := w.firstErr(); err == nil {
		if err := w.sendPart(); err != nil {
			w.fail(err)
		}
	}
	w.wg.Wait()
	if err := w.firstErr(); err != nil {
		w.abortUpload()
		return err
	}
	sort.Slice(w.parts, func(i, j int) bool { return *w.parts[i].PartNumber < *w.parts[j].PartNumber })
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(w.d.bucket),
		Key:             aws.String(w.d.full(w.key)),
		UploadId:        w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
		ChecksumCRC32C:  w.wholeCRC(),
		ChecksumType:    types.ChecksumTypeFullObject,
		MpuObjectSize:   aws.Int64(w.size),
	}
	if w.opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := w.d.client.CompleteMultipartUpload(w.ctx, in); err != nil {
		w.abortUpload()
		return w.writeErr("complete multipart upload of", err)
	}
	return nil
}

func (w *s3Writer) putObject() error {
	in := &s3.PutObjectInput{
		Bucket:            aws.String(w.d.bucket),
		Key:               aws.String(w.d.full(w.key)),
		Body:              bytes.NewReader(w.buf),
		ContentLength:     aws.Int64(int64(len(w.buf))),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
		ChecksumCRC32C:    w.wholeCRC(),
	}
	w.setAttrs(&in.ContentType, &in.StorageClass)
	if w.opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := w.d.client.PutObject(w.ctx, in)
	w.buf = nil
	if err != nil {
		return w.writeErr("put", err)
	}
	return nil
}

// abortUpload discards a multipart upload's parts, even when the caller's
// context is done (they would otherwise be billed until a lifecycle rule
// removes them).
func (w *s3Writer) abortUpload() {
	if w.uploadID == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.parent), time.Minute)
	defer cancel()
	_, _ = w.d.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(w.d.bucket), Key: aws.String(w.d.full(w.key)), UploadId: w.uploadID,
	})
	w.uploadID = nil
}

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.fail(errors.New("aborted"))
	w.wg.Wait()
	w.abortUpload()
	w.buf = nil
	return nil
}
