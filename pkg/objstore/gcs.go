package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
)

// The Google Cloud Storage backend: gs://bucket/prefix, no parameters.
// Credentials come from Application Default Credentials; the SDK itself
// honours STORAGE_EMULATOR_HOST.
//
// Writes are resumable uploads in chunks of PartSize (one chunk buffered,
// so memory is bounded), or one request when the object fits in a chunk.
// A declared CRC32C is sent with the upload so the service refuses other
// bytes; without one, the SDK sends the CRC32C it computes. IfAbsent is
// ifGenerationMatch=0. Every GCS object has a service-computed CRC32C.

func init() { Register("gs", nil, openGCS) }

type gcsDriver struct {
	client *storage.Client
	bucket *storage.BucketHandle
	prefix string // "" or ending in "/"
	name   string // the bucket's

	// The resumable-upload client of chunked uploads, made on first use.
	upOnce   sync.Once
	upClient *http.Client
	upBase   string
	upErr    error
}

var (
	_ Driver = (*gcsDriver)(nil)
	_ Copier = (*gcsDriver)(nil)
)

var gcsBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9._\-]{1,220}[a-z0-9]$`)

func openGCS(ctx context.Context, loc *Location) (Driver, error) {
	if !gcsBucketName.MatchString(loc.Bucket) {
		return nil, fmt.Errorf("%w: %q is not a valid GCS bucket name", ErrBadURL, loc.Bucket)
	}
	client, err := storage.NewClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("gcs: create client: %w", err)
	}
	prefix := loc.Prefix
	if prefix != "" {
		prefix += "/"
	}
	return &gcsDriver{client: client, bucket: client.Bucket(loc.Bucket), prefix: prefix, name: loc.Bucket}, nil
}

func (d *gcsDriver) obj(key string) *storage.ObjectHandle { return d.bucket.Object(d.prefix + key) }

func (d *gcsDriver) Close() error { return d.client.Close() }

// gcsErr maps an SDK error to objstore's errors.
func gcsErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	what := op + " " + key
	if errors.Is(err, storage.ErrObjectNotExist) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	err = maskSecrets(err)
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch {
		case ge.Code == http.StatusNotFound:
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		case ge.Code == http.StatusPreconditionFailed:
			return fmt.Errorf("%s: %w", what, ErrExists)
		case ge.Code == http.StatusUnauthorized || ge.Code == http.StatusForbidden:
			return fmt.Errorf("%s: %w (HTTP %d): %w", what, ErrPermission, ge.Code, err)
		case ge.Code == http.StatusTooManyRequests || ge.Code == http.StatusRequestTimeout || ge.Code >= 500:
			return Retryable(fmt.Errorf("%s: %w", what, err))
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if isNetErr(err) {
		return Retryable(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isRangeNotSatisfiable(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusRequestedRangeNotSatisfiable
}

func (d *gcsDriver) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if length == 0 {
		if _, err := d.Attributes(ctx, key); err != nil {
			return nil, err
		}
		return emptyReader(), nil
	}
	r, err := d.obj(key).NewRangeReader(ctx, offset, length)
	if err != nil {
		if isRangeNotSatisfiable(err) {
			// Starts at or past the end; the object exists.
			return emptyReader(), nil
		}
		return nil, gcsErr("get", key, err)
	}
	return &gcsReader{r: r, key: key}, nil
}

type gcsReader struct {
	r   *storage.Reader
	key string
}

func (r *gcsReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = gcsErr("read", r.key, err)
	}
	return n, err
}

func (r *gcsReader) Close() error { return r.r.Close() }

func (d *gcsDriver) Attributes(ctx context.Context, key string) (Attrs, error) {
	a, err := d.obj(key).Attrs(ctx)
	if err != nil {
		return Attrs{}, gcsErr("stat", key, err)
	}
	return Attrs{
		Key:          key,
		Size:         a.Size,
		CRC32C:       a.CRC32C,
		HasCRC32C:    true,
		ModTime:      a.Updated,
		StorageClass: a.StorageClass,
	}, nil
}

func (d *gcsDriver) ListPage(ctx context.Context, prefix, delimiter, pageToken string, pageSize int) (Page, error) {
	q := &storage.Query{Prefix: d.prefix + prefix, Delimiter: delimiter}
	if err := q.SetAttrSelection([]string{"Name", "Size"}); err != nil {
		return Page{}, fmt.Errorf("list %s: %w", prefix, err)
	}
	pager := iterator.NewPager(d.bucket.Objects(ctx, q), min(pageSize, 1000), pageToken)
	var items []*storage.ObjectAttrs
	next, err := pager.NextPage(&items)
	if err != nil {
		return Page{}, gcsErr("list", prefix, err)
	}
	var p Page
	for _, it := range items {
		if it.Prefix != "" {
			if k, ok := strings.CutPrefix(it.Prefix, d.prefix); ok {
				p.Prefixes = append(p.Prefixes, k)
			}
			continue
		}
		if k, ok := strings.CutPrefix(it.Name, d.prefix); ok {
			p.Objects = append(p.Objects, Object{Key: k, Size: it.Size})
		}
	}
	p.NextPageToken = next
	return p, nil
}

func (d *gcsDriver) Delete(ctx context.Context, key string) error {
	return gcsErr("delete", key, d.obj(key).Delete(ctx))
}

type gcsWriter struct {
	w      *storage.Writer
	opts   WriterOptions
	cancel context.CancelFunc
	key    string
	done   bool
}

func (d *gcsDriver) NewWriter(ctx context.Context, key string, opts WriterOptions) (DriverWriter, error) {
	o := d.obj(key)
	if opts.IfAbsent {
		o = o.If(storage.Conditions{DoesNotExist: true})
	}
	wctx, cancel := context.WithCancel(ctx)
	w := o.NewWriter(wctx)
	w.ChunkSize = gcsChunkSize(opts)
	w.ContentType = opts.ContentType
	w.StorageClass = opts.StorageClass
	if opts.HasCRC32C {
		w.SendCRC32C = true
		w.CRC32C = opts.CRC32C
	}
	return &gcsWriter{w: w, opts: opts, cancel: cancel, key: key}, nil
}

// gcsChunkSize is the resumable chunk (a multiple of 256 KiB). An object
// known to be smaller gets a chunk just large enough, so it goes up in
// one request and small writes do not each hold a 16 MiB buffer.
func gcsChunkSize(opts WriterOptions) int {
	const quantum = 256 << 10
	size := opts.PartSize
	if size <= 0 {
		size = defaultPartSize
	}
	if opts.Size > 0 && opts.Size < int64(size) {
		size = int(opts.Size) + 1
	}
	return (size + quantum - 1) / quantum * quantum
}

func (w *gcsWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: writer closed", w.key)
	}
	n, err := w.w.Write(p)
	if err != nil {
		err = gcsErr("write", w.key, err)
	}
	return n, err
}

func (w *gcsWriter) Close() error {
	if w.done {
		return fmt.Errorf("close %s: writer already closed", w.key)
	}
	w.done = true
	defer w.cancel()
	err := w.w.Close()
	var ge *googleapi.Error
	if err != nil && w.opts.HasCRC32C && errors.As(err, &ge) && ge.Code == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(ge.Message), "crc32c") {
		// The service refused bytes that do not match the declared CRC32C.
		return &ChecksumError{Key: w.key, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", w.opts.CRC32C), Got: "another value computed by the store",
			Detail: "refused by the store: " + maskSecrets(err).Error()}
	}
	return gcsErr("write", w.key, err)
}

// StoredAttrs returns the object's size and CRC32C from the service's
// answer to the completing request (the SDK keeps the object resource).
func (w *gcsWriter) StoredAttrs() (Attrs, bool) {
	a := w.w.Attrs()
	if a == nil {
		return Attrs{}, false
	}
	return Attrs{Key: w.key, Size: a.Size, CRC32C: a.CRC32C, HasCRC32C: true, ModTime: a.Updated, StorageClass: a.StorageClass}, true
}

// Abort cancels the upload before it is finalised: nothing becomes
// visible (an unfinished resumable session expires on its own).
func (w *gcsWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	_ = w.w.Close()
	return nil
}

// CopyFrom implements Copier with the rewrite API (the SDK loops until a
// large rewrite is done). The service computes the copy's CRC32C.
func (d *gcsDriver) CopyFrom(ctx context.Context, src Driver, srcKey, dstKey string, opts WriterOptions) error {
	s, ok := src.(*gcsDriver)
	if !ok {
		return fmt.Errorf("server-side copy to %s: %w", dstKey, ErrNotSupported)
	}
	dst := d.obj(dstKey)
	if opts.IfAbsent {
		dst = dst.If(storage.Conditions{DoesNotExist: true})
	}
	c := dst.CopierFrom(s.obj(srcKey))
	c.ContentType = opts.ContentType
	c.StorageClass = opts.StorageClass
	if _, err := c.Run(ctx); err != nil {
		err = gcsErr("copy to", dstKey, err)
		if errors.Is(err, ErrNotFound) {
			// Which end is missing? The destination never is.
			return fmt.Errorf("copy %s: %w", srcKey, ErrNotFound)
		}
		return err
	}
	return nil
}
