package dynamodb_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// The real exporter dumps a DynamoDB table with every attribute type
// (38-digit numbers, binary, sets, nested lists and maps, empty strings,
// lists and maps) into a dump that holds exactly the table's items, and
// the manifest records the table's key schema.
func TestDynamoExportRoundTrip(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(400, 1))
	dest := fileDest(t)
	code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest,
		"--batch", "rt", "--splits", "3", "--page-size", "17", "--part-size", "4KiB", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	root := openRoot(t, dest)
	prefix := onlyDump(t, root, "rt", table)
	m, items := dynamotest.ReadDump(t, root, prefix)
	sameItems(t, items, tableItems(t, c, table))
	if m.Source.Kind != manifest.KindDynamoDB || m.Options.Segments != 3 || m.Options.Mode != manifest.ModeSegments {
		t.Errorf("manifest source %s, mode %s, %d segments", m.Source.Kind, m.Options.Mode, m.Options.Segments)
	}
	d := m.Source.DynamoDB
	if d.Name != table || len(d.KeySchema) != 2 || d.KeySchema[0] != (manifest.DynamoDBKey{Name: "pk", Role: "HASH"}) ||
		d.KeySchema[1] != (manifest.DynamoDBKey{Name: "sk", Role: "RANGE"}) || d.BillingMode != "PROVISIONED" || d.ReadCapacity != 10000 {
		t.Errorf("manifest's DynamoDB schema: %+v", d)
	}
	// 38 significant digits survive as text.
	found := false
	for _, it := range items {
		if v, ok := it["n"]; ok && v.S == bigNumbers[0] {
			found = true
		}
	}
	if !found {
		t.Errorf("no item holds n = %s exactly", bigNumbers[0])
	}
	if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "rt"); code != 0 || !strings.Contains(out, "already complete") {
		t.Errorf("re-run: exit %d\n%s", code, out)
	}
}
