// Package objstore is lading's one door to object storage: a portable
// Bucket over small per-backend drivers (file.go, s3.go, gcs.go),
// selected by URL scheme.
//
// Every command writes and reads dumps through it. The Bucket validates
// keys (nothing leaves the URL's prefix), computes CRC32C and SHA-256 of
// every byte written, and after each write compares its CRC32C with the
// one the store itself computed; a mismatch deletes the object and
// returns a *ChecksumError. Conditional creates (IfAbsent) are atomic on
// every backend and fail with ErrExists.
package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"strings"
	"time"
)

// Castagnoli is the CRC32C table used everywhere in lading.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sum is what a Writer measured of the bytes it wrote.
type Sum struct {
	Size   int64
	CRC32C uint32
	SHA256 [32]byte
}

// SHA256Hex returns the SHA-256 as lower-case hex.
func (s Sum) SHA256Hex() string { return hex.EncodeToString(s.SHA256[:]) }

// CRC32CHex returns the CRC32C as 8 lower-case hex digits.
func (s Sum) CRC32CHex() string { return fmt.Sprintf("%08x", s.CRC32C) }

// Bucket is a store location that keys are relative to.
type Bucket struct {
	d   Driver
	loc *Location
}

// NewBucket wraps a driver. Backends' tests use it; users call Open.
func NewBucket(d Driver, loc *Location) *Bucket { return &Bucket{d: d, loc: loc} }

// Location returns the bucket's location.
func (b *Bucket) Location() *Location { return b.loc }

// String returns the bucket's URL without credentials.
func (b *Bucket) String() string { return b.loc.String() }

// Driver returns the backend driver (for server-side copy).
func (b *Bucket) Driver() Driver { return b.d }

// Close releases the backend.
func (b *Bucket) Close() error { return b.d.Close() }

// ValidateKey checks that key names an object below the bucket's prefix:
// not empty, not absolute, no backslash, no empty, "." or ".." segment,
// no control characters.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrBadKey)
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("%w: %q: leading or trailing slash", ErrBadKey, key)
	}
	if strings.ContainsRune(key, '\\') {
		return fmt.Errorf("%w: %q: backslash", ErrBadKey, key)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] == 0x7f {
			return fmt.Errorf("%w: %q: control character", ErrBadKey, key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q: segment %q", ErrBadKey, key, seg)
		}
	}
	return nil
}

func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidateKey(strings.TrimSuffix(prefix, "/"))
}

func (b *Bucket) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, b.loc.Join(key), err)
}

// NewReader streams the whole object.
func (b *Bucket) NewReader(ctx context.Context, key string) (io.ReadCloser, error) {
	return b.NewRangeReader(ctx, key, 0, -1)
}

// NewRangeReader streams length bytes from offset (length < 0: to the end).
func (b *Bucket) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("read %s: negative offset", key)
	}
	r, err := b.d.NewRangeReader(ctx, key, offset, length)
	return r, b.wrap("read", key, err)
}

// ReadAll reads a whole (small) object.
func (b *Bucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	r, err := b.NewReader(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return data, b.wrap("read", key, err)
}

// Attributes returns an object's size and store-computed CRC32C.
func (b *Bucket) Attributes(ctx context.Context, key string) (Attrs, error) {
	if err := ValidateKey(key); err != nil {
		return Attrs{}, err
	}
	a, err := b.d.Attributes(ctx, key)
	return a, b.wrap("stat", key, err)
}

// Exists reports whether key exists.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.Attributes(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Delete removes key; a missing key returns ErrNotFound.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return b.wrap("delete", key, b.d.Delete(ctx, key))
}

// ListPage returns one page of a listing (see Driver.ListPage).
func (b *Bucket) ListPage(ctx context.Context, prefix, delimiter, pageToken string, pageSize int) (Page, error) {
	if err := validatePrefix(prefix); err != nil {
		return Page{}, err
	}
	if delimiter != "" && delimiter != "/" {
		return Page{}, fmt.Errorf("list %s: delimiter must be \"/\" or empty", prefix)
	}
	if pageSize <= 0 {
		pageSize = 1000
	}
	p, err := b.d.ListPage(ctx, prefix, delimiter, pageToken, pageSize)
	return p, b.wrap("list", prefix, err)
}

// List calls fn for every page of a listing, in key order. Each common
// prefix is handed to fn once, even when a store repeats it on a later
// page (fake-gcs-server does).
func (b *Bucket) List(ctx context.Context, prefix, delimiter string, fn func(Page) error) error {
	token, last := "", ""
	for {
		p, err := b.ListPage(ctx, prefix, delimiter, token, 1000)
		if err != nil {
			return err
		}
		fresh := p.Prefixes[:0:0]
		for _, pre := range p.Prefixes {
			if last != "" && pre <= last {
				continue
			}
			fresh = append(fresh, pre)
			last = pre
		}
		p.Prefixes = fresh
		if err := fn(p); err != nil {
			return err
		}
		if p.NextPageToken == "" {
			return nil
		}
		token = p.NextPageToken
	}
}

// ListAll collects a whole listing; for small prefixes (state, markers).
func (b *Bucket) ListAll(ctx context.Context, prefix, delimiter string) ([]Object, []string, error) {
	var objs []Object
	var prefixes []string
	err := b.List(ctx, prefix, delimiter, func(p Page) error {
		objs = append(objs, p.Objects...)
		prefixes = append(prefixes, p.Prefixes...)
		return nil
	})
	return objs, prefixes, err
}

// Writer streams an object to the store, measuring what it writes.
type Writer struct {
	ctx    context.Context
	b      *Bucket
	key    string
	opts   WriterOptions
	w      DriverWriter
	crc    hash.Hash32
	sha    hash.Hash
	n      int64
	sum    Sum
	closed bool
}

// NewWriter starts a streaming write. Close commits it and verifies the
// store's checksum; Abort discards it.
func (b *Bucket) NewWriter(ctx context.Context, key string, opts *WriterOptions) (*Writer, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	dw, err := b.d.NewWriter(ctx, key, o)
	if err != nil {
		return nil, b.wrap("write", key, err)
	}
	return &Writer{ctx: ctx, b: b, key: key, opts: o, w: dw, crc: crc32.New(Castagnoli), sha: sha256.New()}, nil
}

// Write implements io.Writer.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: writer closed", w.key)
	}
	n, err := w.w.Write(p)
	w.crc.Write(p[:n])
	w.sha.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Abort discards the write.
func (w *Writer) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.w.Abort()
}

// Close commits the write, then checks the store-computed CRC32C against
// the bytes written (and the declared one, if any). On a mismatch the
// object is deleted and a *ChecksumError returned. A conditional create
// that lost returns ErrExists and touches nothing.
func (w *Writer) Close() error {
	if w.closed {
		return fmt.Errorf("close %s: writer already closed", w.key)
	}
	w.closed = true
	w.sum = Sum{Size: w.n, CRC32C: w.crc.Sum32()}
	copy(w.sum.SHA256[:], w.sha.Sum(nil))
	if w.opts.HasCRC32C && w.opts.CRC32C != w.sum.CRC32C {
		_ = w.w.Abort()
		return &ChecksumError{Key: w.key, Algorithm: "crc32c", Want: fmt.Sprintf("%08x", w.opts.CRC32C), Got: w.sum.CRC32CHex(), Detail: "bytes written differ from the declared checksum; nothing stored"}
	}
	if err := w.w.Close(); err != nil {
		return w.b.wrap("write", w.key, err)
	}
	return w.b.checkReported(w.ctx, w.key, w.sum, w.w)
}

// checkStored checks a just committed object against what was written:
// the store-computed CRC32C and size must be sum's, else the object is
// deleted and a *ChecksumError returned.
func (b *Bucket) checkStored(ctx context.Context, key string, sum Sum) error {
	// Not cancelled with the caller's ctx: the write is committed, and the
	// check (and the delete on failure) must happen even if ctx is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	a, err := b.d.Attributes(ctx, key)
	if err != nil {
		return b.wrap("verify", key, err)
	}
	return b.compareStored(ctx, key, sum, a)
}

// storedReporter is implemented by a driver's writes whose store answers
// the request that completes the object with the object's attributes
// (GCS returns the object resource): the Bucket checks those, without
// asking the store again.
type storedReporter interface {
	// StoredAttrs returns the attributes the store reported, false when
	// it reported none.
	StoredAttrs() (Attrs, bool)
}

// checkReported is checkStored with the attributes the store reported
// when it completed the write, if w has them.
func (b *Bucket) checkReported(ctx context.Context, key string, sum Sum, w any) error {
	r, ok := w.(storedReporter)
	if !ok {
		return b.checkStored(ctx, key, sum)
	}
	a, ok := r.StoredAttrs()
	if !ok {
		return b.checkStored(ctx, key, sum)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
	defer cancel()
	return b.compareStored(ctx, key, sum, a)
}

// compareStored checks a's store-computed CRC32C and size (of a just
// committed object) against sum, deleting the object on a mismatch.
func (b *Bucket) compareStored(ctx context.Context, key string, sum Sum, a Attrs) error {
	if !a.HasCRC32C || a.CRC32C != sum.CRC32C || a.Size != sum.Size {
		got := "none"
		if a.HasCRC32C {
			got = fmt.Sprintf("%08x", a.CRC32C)
		}
		if a.Size != sum.Size {
			got += fmt.Sprintf(" (size %d, wrote %d)", a.Size, sum.Size)
		}
		delErr := b.d.Delete(ctx, key)
		detail := "store-computed checksum differs; object deleted"
		if delErr != nil && !errors.Is(delErr, ErrNotFound) {
			detail = "store-computed checksum differs; delete failed: " + delErr.Error()
		}
		return &ChecksumError{Key: key, Algorithm: "crc32c", Want: sum.CRC32CHex(), Got: got, Detail: detail}
	}
	return nil
}

// Sum returns what was written; valid after Close.
func (w *Writer) Sum() Sum { return w.sum }

// WriteAll writes data as key and returns its sum.
func (b *Bucket) WriteAll(ctx context.Context, key string, data []byte, opts *WriterOptions) (Sum, error) {
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	o.Size = int64(len(data))
	w, err := b.NewWriter(ctx, key, &o)
	if err != nil {
		return Sum{}, err
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		_ = w.Abort()
		return Sum{}, b.wrap("write", key, err)
	}
	if err := w.Close(); err != nil {
		return Sum{}, err
	}
	return w.Sum(), nil
}

// CreateIfAbsent writes data as key only if key does not exist, as one
// atomic step; otherwise it returns an error matching ErrExists and the
// existing object is untouched. Callers that may be retrying their own
// earlier attempt read the object back to tell the two apart.
func (b *Bucket) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	_, err := b.WriteAll(ctx, key, data, &WriterOptions{IfAbsent: true, ContentType: contentTypeFor(key)})
	return err
}

func contentTypeFor(key string) string {
	if strings.HasSuffix(key, ".json") {
		return "application/json"
	}
	return ""
}

// verifyTimeout bounds the post-write checksum check.
const verifyTimeout = 2 * time.Minute
