// Package objstoretest is the conformance suite every objstore backend
// passes against its real server (file.go on a temporary directory, s3.go
// on the S3 test server, gcs.go on the GCS emulator). A backend's test
// calls RunConformanceTests with a function that gives each subtest a
// fresh bucket on a unique prefix.
//
// A server that is known not to enforce something the product relies on
// (an emulator's gap) declares it in Harness.Gaps; the subtests that
// depend on it log the reason and skip. The product code never
// special-cases a server: a gap is covered by the same test against a
// server that has the behaviour.
package objstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

// Gap names a behaviour a test server is known not to enforce.
type Gap string

// Gaps the suite knows how to skip.
const (
	// GapDeclaredCRC32C: a single-request upload declaring a CRC32C that
	// does not match its bytes is accepted by the store.
	GapDeclaredCRC32C Gap = "declared-crc32c"
	// GapDeclaredCRC32CMultipart: the same for a multipart / resumable
	// upload.
	GapDeclaredCRC32CMultipart Gap = "declared-crc32c-multipart"
	// GapIfAbsent: a single-request conditional create overwrites an
	// existing object.
	GapIfAbsent Gap = "if-absent"
	// GapIfAbsentMultipart: the same for a multipart / resumable upload.
	GapIfAbsentMultipart Gap = "if-absent-multipart"
	// GapIfAbsentRace: concurrent conditional creates of one key can
	// both succeed (the check and the write are not atomic).
	GapIfAbsentRace Gap = "if-absent-race"
	// GapIfAbsentCopy: a conditional server-side copy overwrites an
	// existing object.
	GapIfAbsentCopy Gap = "if-absent-copy"
	// GapListDelimiterPaging: with a delimiter, the page size limits
	// objects only and common prefixes come again on later pages; a
	// delimited listing is only right when it fits in one page.
	GapListDelimiterPaging Gap = "list-delimiter-paging"
	// GapSlowLargeUpload: the server takes minutes for a 1 GB upload
	// (e.g. work quadratic in the number of chunks), so the memory test
	// writes SmallMemoryTestSize bytes instead, still many times the
	// part size and with a bound scaled to it.
	GapSlowLargeUpload Gap = "slow-large-upload"
)

// Harness is one backend under test.
type Harness struct {
	// Bucket is scoped to a unique prefix that nothing else uses. The
	// harness removes what is left there when the test ends.
	Bucket *objstore.Bucket
	// Other, when set, is a second bucket of the same service, also on a
	// fresh prefix, for server-side copies between buckets.
	Other *objstore.Bucket
	// MinPartSize is the smallest PartSize the backend honours; the
	// suite writes objects of a few parts of it to exercise multipart or
	// resumable uploads. 0 means 5 MiB.
	MinPartSize int
	// Gaps are behaviours this server is known not to enforce, with the
	// reason logged by the subtests they skip.
	Gaps map[Gap]string
}

func (h Harness) minPart() int {
	if h.MinPartSize > 0 {
		return h.MinPartSize
	}
	return 5 << 20
}

// skipGap skips t when the server has gap g, logging why.
func (h Harness) skipGap(t *testing.T, g Gap) {
	t.Helper()
	if why, ok := h.Gaps[g]; ok {
		t.Logf("known gap of this test server (%s): %s", g, why)
		t.Skipf("server does not enforce %s", g)
	}
}

// RunConformanceTests runs the suite. newHarness is called once per
// subtest, each time for a fresh, empty prefix.
//
// The 1 GB memory test re-executes the test binary: the child runs the
// same top-level test with an environment variable set, so
// RunConformanceTests must be called directly from a top-level Test
// function.
func RunConformanceTests(t *testing.T, newHarness func(t *testing.T) Harness) {
	if os.Getenv(memChildEnv) == t.Name() {
		runMemoryChild(t, newHarness)
		return
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"RoundTrip100MB", testRoundTrip100MB},
		{"RangeRead", testRangeRead},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"BadKey", testBadKey},
		{"Abort", testAbort},
		{"CancelledContext", testCancelledContext},
		{"IfAbsent", testIfAbsent},
		{"IfAbsentMultipart", testIfAbsentMultipart},
		{"IfAbsentRace", testIfAbsentRace},
		{"DeclaredCRC32C", testDeclaredCRC32C},
		{"DeclaredCRC32CDriver", testDeclaredCRC32CDriver},
		{"ListOrder", testListOrder},
		{"ListMany", testListMany},
		{"Copy", testCopy},
		{"Chunked", testChunked},
		{"Single", testSingle},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t))
		})
	}
	t.Run("Memory1GB", func(t *testing.T) { testMemory(t, newHarness(t)) })
}

// ctx returns a context for one subtest, bounded so a hung server fails
// the test instead of the whole run.
func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return c
}

// UniquePrefix returns a key prefix unique to this test and run, for
// harnesses on shared servers.
func UniquePrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := []byte(t.Name())
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			name[i] = '_'
		}
	}
	return "objstoretest/" + string(name) + "-" + hex.EncodeToString(b[:])
}

// Empty deletes every object below the bucket's prefix (for harness
// cleanups on shared servers).
func Empty(ctx context.Context, b *objstore.Bucket) error {
	objs, _, err := b.ListAll(ctx, "", "")
	if err != nil {
		return err
	}
	sem := make(chan struct{}, 16)
	errc := make(chan error, len(objs))
	for _, o := range objs {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if err := b.Delete(ctx, o.Key); err != nil && !isNotFound(err) {
				errc <- err
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errc)
	return <-errc
}
