package objstore_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// s3Gaps are what the S3 test server (versitygw) is known not to
// enforce; see docs/objstore.md.
var s3Gaps = map[objstoretest.Gap]string{
	objstoretest.GapIfAbsentCopy: "versitygw ignores If-None-Match on CopyObject",
}

func s3URL(endpoint, bucket, prefix string) string {
	return "s3://" + bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(endpoint)
}

// openS3Bucket opens a fresh prefix of the test bucket and empties it
// when the test ends.
func openS3Bucket(t *testing.T) *objstore.Bucket {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	b, err := objstore.Open(t.Context(), s3URL(endpoint, bucket, objstoretest.UniquePrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
		defer cancel()
		if err := objstoretest.Empty(ctx, b); err != nil {
			t.Errorf("clean up %s: %v", b, err)
		}
		b.Close()
	})
	return b
}

func TestS3Conformance(t *testing.T) {
	testenv.S3(t)
	objstoretest.RunConformanceTests(t, func(t *testing.T) objstoretest.Harness {
		return objstoretest.Harness{
			Bucket:      openS3Bucket(t),
			Other:       openS3Bucket(t),
			MinPartSize: 5 << 20,
			Gaps:        s3Gaps,
		}
	})
}
