package objstore_test

import (
	"testing"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// gcsGaps are what the GCS test server (fake-gcs-server) is known not to
// enforce; see docs/objstore.md.
var gcsGaps = map[objstoretest.Gap]string{
	objstoretest.GapDeclaredCRC32CMultipart: "fake-gcs-server keeps a resumable upload's declared crc32c only until its first chunk, so a multi-chunk upload is not checked",
	objstoretest.GapIfAbsentCopy:            "fake-gcs-server ignores ifGenerationMatch=0 on rewrite (copy)",
	objstoretest.GapListDelimiterPaging:     "fake-gcs-server applies maxResults to objects only and repeats common prefixes on later pages",
	objstoretest.GapSlowLargeUpload:         "fake-gcs-server re-hashes everything received so far on every resumable chunk and holds the object in memory: 1 GB takes minutes",
}

// openGCSBucket opens a fresh prefix of the test bucket and empties it
// when the test ends.
func openGCSBucket(t *testing.T) *objstore.Bucket {
	t.Helper()
	_, bucket := testenv.GCS(t)
	return openScratch(t, "gs://"+bucket+"/"+objstoretest.UniquePrefix(t))
}

func TestGCSConformance(t *testing.T) {
	t.Parallel()
	testenv.GCS(t)
	objstoretest.RunConformanceTests(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Bucket:      openGCSBucket(t),
			Other:       openGCSBucket(t),
			MinPartSize: 256 << 10,
			Gaps:        gcsGaps,
		}
	})
}
