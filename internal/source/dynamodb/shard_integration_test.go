package dynamodb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
)

// Two shards of one export take the segments between them; the shard
// that commits last finishes the dump, which holds every item once.
func TestDynamoExportShards(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(300, 2))
	dest := fileDest(t)
	args := []string{"--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest,
		"--batch", "sh", "--splits", "5", "--page-size", "50", "--read-ratio", "0.5", "--log-level", "warn"}
	code, out := runExporter(t, append(args, "--shard", "0/2")...)
	if code != 0 || !strings.Contains(out, "shard 0/2 done") || !strings.Contains(out, "2 units left") {
		t.Fatalf("shard 0: exit %d\n%s", code, out)
	}
	code, out = runExporter(t, append(args, "--shard", "1/2")...)
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("shard 1: exit %d\n%s", code, out)
	}
	root := openRoot(t, dest)
	_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "sh", table))
	sameItems(t, items, tableItems(t, c, table))
}

// A table deleted and created again with another key schema between two
// runs of one dump is refused (exit 2) with the reason, and the dump is
// left unfinished.
func TestDynamoExportSchemaChangeRefused(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, smallItems(200))
	dest := fileDest(t)
	args := []string{"--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest,
		"--batch", "sc", "--splits", "4", "--log-level", "warn"}
	if code, out := runExporter(t, append(args, "--shard", "0/2")...); code != 0 {
		t.Fatalf("shard 0: exit %d\n%s", code, out)
	}
	if _, err := c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		t.Fatal(err)
	}
	w := ddb.NewTableNotExistsWaiter(c, func(o *ddb.TableNotExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := w.Wait(context.Background(), &ddb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	dynamotest.CreateNamed(t, c, table, dynamotest.Key{SortKey: false}, 10000)
	code, out := runExporter(t, append(args, "--shard", "1/2")...)
	if code != 2 || !strings.Contains(out, "created again") {
		t.Fatalf("shard 1 after the table changed: exit %d, want 2 naming the change\n%s", code, out)
	}
	root := openRoot(t, dest)
	prefix := onlyDump(t, root, "sc", table)
	if ok, _ := root.Exists(context.Background(), prefix+"/_SUCCESS"); ok {
		t.Errorf("the dump was finished across the schema change")
	}
}
