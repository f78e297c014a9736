package objstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// openScratch opens a store URL for one test and empties it when the test
// ends (the S3 and GCS tests share their servers' buckets).
func openScratch(t *testing.T, url string) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(t.Context(), url)
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
