package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// A DynamoDB export straight into the S3 server, killed once mid-segment
// and resumed: progress commits and parts go through the store's
// conditional creates like every other document.
func TestDynamoExportToS3Resumes(t *testing.T) {
	endpoint, bucket := testenv.S3(t)
	dest := fmt.Sprintf("s3://%s/dynamodb-test/%08x?endpoint=%s&region=us-east-1", bucket, rand.Uint32(), url.QueryEscape(endpoint))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if b, err := objstore.Open(ctx, dest); err == nil {
			_ = objstoretest.Empty(ctx, b)
			b.Close()
		}
	})
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(600, 3))
	args := []string{"--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "s3",
		"--splits", "2", "--page-size", "10", "--part-size", "4KiB", "--progress-interval", "100ms", "--log-level", "info"}
	code, out := runExporterFor(t, 1500*time.Millisecond, append(args, "--max-rcu", "2")...)
	if code == 0 {
		t.Fatalf("the slow run finished within its time: the test needs a slower export\n%s", out)
	}
	code, out = runExporter(t, args...)
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "unit resumes at its last progress commit") {
		t.Errorf("no segment resumed from its progress:\n%s", out)
	}
	root := openRoot(t, dest)
	prefix := onlyDump(t, root, "s3", table)
	m, items := dynamotest.ReadDump(t, root, prefix)
	sameItems(t, items, tableItems(t, c, table))
	if m.Source.Kind != manifest.KindDynamoDB {
		t.Errorf("source kind %s", m.Source.Kind)
	}
}
