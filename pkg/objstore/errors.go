package objstore

import (
	"errors"
	"fmt"
)

// Errors callers act on. Compare with errors.Is.
var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrExists: a conditional create found the object already there.
	ErrExists = errors.New("object already exists")
	// ErrNotSupported: the backend cannot do this (e.g. server-side copy
	// between different services).
	ErrNotSupported = errors.New("not supported by this store")
	// ErrBadKey: a key that would leave the bucket's prefix, or is empty.
	ErrBadKey = errors.New("invalid object key")
	// ErrBadURL: a store URL that cannot be used (unknown scheme, unknown
	// parameter, missing bucket). Bad usage: retrying will not help.
	ErrBadURL = errors.New("invalid store URL")
	// ErrPermission: the store refused the credentials or denied the
	// request (S3 AccessDenied and bad keys, HTTP 401/403, a file the
	// process may not read or write). Retrying will not help.
	ErrPermission = errors.New("permission denied by the store")
)

// ChecksumError reports bytes that do not match their checksum. The
// object has been deleted (for a write) or must not be trusted (for a
// read). It is permanent: retrying the same bytes will not help.
type ChecksumError struct {
	Key       string
	Algorithm string // "crc32c" or "sha256"
	Want, Got string // hex
	// Detail says where the mismatch was seen ("store computed", "declared").
	Detail string
}

func (e *ChecksumError) Error() string {
	s := fmt.Sprintf("%s: %s mismatch: want %s, got %s", e.Key, e.Algorithm, e.Want, e.Got)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// retryable marks an error worth retrying (throttling, 5xx, resets).
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// Retryable wraps err so that IsRetryable reports true. Drivers use it for
// errors that outlived the SDK's own retries but may pass later.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return retryable{err}
}

// IsRetryable reports whether err was marked retryable.
func IsRetryable(err error) bool {
	var r retryable
	return errors.As(err, &r)
}
