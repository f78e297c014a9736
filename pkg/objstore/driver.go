package objstore

import (
	"context"
	"io"
	"time"
)

// Driver is what a backend implements (one file per backend: file.go,
// s3.go, gcs.go). Users never call a Driver directly: Bucket wraps it,
// validates keys, computes and verifies checksums, and maps errors.
//
// Keys handed to a Driver are already validated and relative to the
// Bucket's prefix; the Driver joins them to its own prefix. Errors for a
// missing object must satisfy errors.Is(err, ErrNotFound); a failed
// conditional create must satisfy errors.Is(err, ErrExists). A driver
// retries transient network errors itself (the SDKs do) and returns
// errors that are worth retrying at a higher level wrapped so that
// IsRetryable reports true.
type Driver interface {
	// NewRangeReader streams length bytes of key from offset (length < 0:
	// to the end).
	NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)

	// NewWriter starts a streaming write of key. Nothing is visible at key
	// until Close returns nil; Abort discards the write. Memory use must
	// be bounded by opts.PartSize (times the upload concurrency), whatever
	// the object's size. With opts.IfAbsent, Close fails with ErrExists if
	// key already exists and leaves the existing object untouched, and
	// the check and the write are one atomic step on the server. With
	// opts.CRC32C set, the store is told the checksum so it refuses other
	// bytes (where the service supports declaring it).
	NewWriter(ctx context.Context, key string, opts WriterOptions) (DriverWriter, error)

	// Attributes returns size and the store-computed CRC32C of key (never
	// a value lading wrote as metadata).
	Attributes(ctx context.Context, key string) (Attrs, error)

	// ListPage lists keys starting with prefix in byte order. With
	// delimiter "/", keys with a further "/" after the prefix are rolled
	// up into Prefixes (each ending in "/"). pageToken is "" for the first
	// page; Page.NextPageToken is "" after the last.
	ListPage(ctx context.Context, prefix, delimiter, pageToken string, pageSize int) (Page, error)

	// Delete removes key. Deleting a missing key returns ErrNotFound.
	Delete(ctx context.Context, key string) error

	// Close releases the driver's resources.
	Close() error
}

// DriverWriter is a write in progress.
type DriverWriter interface {
	io.Writer
	// Close completes the write and makes the object visible.
	Close() error
	// Abort discards the write; nothing becomes visible.
	Abort() error
}

// Copier is implemented by drivers that can copy an object server-side
// from another Driver of the same service (S3 CopyObject/UploadPartCopy,
// GCS rewrite). CopyFrom returns ErrNotSupported when src is not a driver
// it can copy from.
type Copier interface {
	CopyFrom(ctx context.Context, src Driver, srcKey, dstKey string, opts WriterOptions) error
}

// WriterOptions shape a write.
type WriterOptions struct {
	// IfAbsent makes the write a conditional create.
	IfAbsent bool
	// CRC32C, when HasCRC32C is set, is the Castagnoli CRC of the whole
	// object, known before the write (the shipper knows it from the
	// manifest). The store is asked to verify it.
	CRC32C    uint32
	HasCRC32C bool
	// Size, when > 0, is the object's size if known in advance.
	Size int64
	// ContentType of the object; "" means application/octet-stream.
	ContentType string
	// StorageClass for the object, in the service's own words; "" is the
	// bucket's default.
	StorageClass string
	// PartSize is the multipart/resumable chunk size; 0 is the backend's
	// default (16 MiB).
	PartSize int
	// Concurrency is how many parts a multipart write sends at once; 0 is
	// the backend's default. A write buffers at most Concurrency+1 parts,
	// so callers that budget memory set both.
	Concurrency int
}

// Attrs are an object's attributes as the store reports them.
type Attrs struct {
	Key  string
	Size int64
	// CRC32C is the whole-object Castagnoli CRC that the store itself
	// computed (S3 FULL_OBJECT checksum, GCS crc32c, a re-read for
	// file://); HasCRC32C is false when the store has none for this
	// object (e.g. an S3 object uploaded without a checksum).
	CRC32C    uint32
	HasCRC32C bool
	ModTime   time.Time
	// StorageClass as the service names it ("" when it has none).
	StorageClass string
	// Archived is set when the object must be restored before it can be
	// read (S3 Glacier/Deep Archive, GCS archive without access).
	Archived bool
}

// Object is one key in a listing.
type Object struct {
	Key  string
	Size int64
}

// Page is one page of a listing.
type Page struct {
	Objects       []Object
	Prefixes      []string
	NextPageToken string
}
