package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// exporter --tables lists DynamoDB tables with ListTables: two tables
// matched by a pattern (one of them named with '-' and '.') are exported
// by one run, each into an exact dump, and the batch marker lists both.
func TestDynamoTablesByPattern(t *testing.T) {
	c := dynamotest.Client(t)
	prefix := fmt.Sprintf("tp-%08x", rand.Uint32())
	names := []string{prefix + ".a-v2", prefix + "_b"}
	for i, name := range names {
		dynamotest.CreateTemp(t, c, name, dynamotest.Key{SortKey: true}, 10000)
		dynamotest.Put(t, c, name, allTypes(150+100*i, uint64(i)))
	}
	dest := fileDest(t)
	code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--tables", prefix+"*", "--dest", dest,
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
	for i, name := range names {
		if bs.Dumps[i].Table != "dynamodb."+name {
			t.Fatalf("marker dump %d: %s, want dynamodb.%s", i, bs.Dumps[i].Table, name)
		}
		_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "many", name))
		sameItems(t, items, tableItems(t, c, name))
	}
}
