package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// exporter --tables lists DynamoDB tables with ListTables: two tables
// matched by a pattern are exported by one run, each into an exact dump,
// and the batch marker lists both.
func TestDynamoTablesByPattern(t *testing.T) {
	c := dynamotest.Client(t)
	prefix := fmt.Sprintf("tp_%08x", rand.Uint32())
	for i, name := range []string{prefix + "_a", prefix + "_b"} {
		dynamotest.CreateNamed(t, c, name, dynamotest.Key{SortKey: true}, 10000)
		t.Cleanup(func() { _, _ = c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(name)}) })
		dynamotest.Put(t, c, name, allTypes(150+100*i, uint64(i)))
	}
	dest := fileDest(t)
	code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--tables", prefix+"_*", "--dest", dest,
		"--batch", "many", "--splits", "2", "--page-size", "40", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "batch many complete: 2 tables; batch marker written") {
		t.Fatalf("exporter --tables: exit %d\n%s", code, out)
	}
	root := openRoot(t, dest)
	data, err := root.ReadAll(context.Background(), manifest.BatchSuccessKey("many"))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := manifest.DecodeBatchSuccess(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs.Dumps) != 2 {
		t.Fatalf("the batch marker lists %d dumps, want 2", len(bs.Dumps))
	}
	for i, name := range []string{prefix + "_a", prefix + "_b"} {
		if bs.Dumps[i].Table != "dynamodb."+name {
			t.Fatalf("marker dump %d: %s, want dynamodb.%s", i, bs.Dumps[i].Table, name)
		}
		_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "many", name))
		sameItems(t, items, tableItems(t, c, name))
	}
}
