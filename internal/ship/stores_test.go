package ship

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// secondS3Bucket is the other bucket scripts/services.sh creates, for
// copies between two buckets of one service.
const secondS3Bucket = "lading-test2"

// cleanStore opens u and empties it when the test ends.
func cleanStore(t testing.TB, u string) store {
	t.Helper()
	s := openStore(t, u)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := objstoretest.Empty(ctx, s.b); err != nil {
			t.Errorf("clean up %s: %v", s.b, err)
		}
	})
	return s
}

// s3URLAt returns a URL of a fresh prefix of an S3 bucket on endpoint.
func s3URLAt(t testing.TB, endpoint, bucket string) string {
	return "s3://" + bucket + "/ship-test/" + uniq(t) + "?endpoint=" + url.QueryEscape(endpoint)
}

// s3Store is a fresh prefix of the test S3 bucket (or of another bucket
// of the same server).
func s3Store(t testing.TB, bucket string) store {
	t.Helper()
	endpoint, def := testenv.S3(t)
	if bucket == "" {
		bucket = def
	}
	return cleanStore(t, s3URLAt(t, endpoint, bucket))
}

// gcsStore is a fresh prefix of the test GCS bucket.
func gcsStore(t testing.TB) store {
	t.Helper()
	_, bucket := testenv.GCS(t)
	return cleanStore(t, "gs://"+bucket+"/ship-test/"+uniq(t))
}
