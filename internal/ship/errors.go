package ship

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/objstore"
)

// MismatchError reports bytes that do not match the manifest: a source
// file that was changed, truncated or damaged, or a copy that arrived
// different. It names the file and both sides' measures.
type MismatchError struct {
	// Key is the object relative to the store root (dump prefix included).
	Key string
	// Where the bytes were measured: "source", "destination" or "store".
	Where string
	// Size, CRC32C and SHA-256 from the manifest and as measured; a
	// measured value is "" when it was not computed.
	WantSize, GotSize     int64
	WantCRC32C, GotCRC32C string
	WantSHA256, GotSHA256 string
	// Detail adds what was done about it (e.g. "deleted at the destination").
	Detail string
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s bytes do not match the manifest:", e.Key, e.Where)
	var diffs []string
	if e.WantSize != e.GotSize {
		diffs = append(diffs, fmt.Sprintf("size manifest %d, %s %d", e.WantSize, e.Where, e.GotSize))
	}
	if e.GotCRC32C != "" {
		diffs = append(diffs, fmt.Sprintf("crc32c manifest %s, %s %s", e.WantCRC32C, e.Where, e.GotCRC32C))
	}
	if e.GotSHA256 != "" {
		diffs = append(diffs, fmt.Sprintf("sha256 manifest %s, %s %s", e.WantSHA256, e.Where, e.GotSHA256))
	}
	b.WriteString(" " + strings.Join(diffs, "; "))
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	return b.String()
}

// storeMismatch marks a write whose store-computed checksum differed from
// bytes that were right when sent: damage in transit, worth retrying.
type storeMismatch struct{ err error }

func (s storeMismatch) Error() string { return s.err.Error() }
func (s storeMismatch) Unwrap() error { return s.err }

// isRetryable decides which failed file copies are tried again: transient
// store and network errors, and damage in transit; not bad input, not
// bytes that are wrong at the source, not a missing object.
func isRetryable(err error) bool {
	var sm storeMismatch
	if errors.As(err, &sm) {
		return true
	}
	if errors.Is(err, objstore.ErrNotFound) || errors.Is(err, objstore.ErrNotSupported) {
		return false
	}
	return throttle.IsRetryable(err)
}
