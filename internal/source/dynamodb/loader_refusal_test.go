package dynamodb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
)

// TestLoaderRefusesDynamoDump: the Cassandra target does not map
// DynamoDB items (Bigtable and Spanner do), so a DynamoDB dump is refused
// for it by name (exit 2) before any table is created or any ledger
// record written, not loaded as if its items were CQL rows.
func TestLoaderRefusesDynamoDump(t *testing.T) {
	hosts := testenv.CassandraHosts(t)
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(40, 7))
	dest := fileDest(t)
	if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "b1", "--log-level", "warn"); code != 0 {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	loader := filepath.Join(targettest.BuildCommands(t, "loader"), "loader")
	// system_traces exists in every cluster; nothing may be created in it.
	code, out := runBinary(t, loader, "--from", dest, "--to", "cassandra://"+hosts+"/system_traces", "--create-table")
	if code != 2 || !strings.Contains(out, "dynamodb table, which the cassandra target does not load") {
		t.Fatalf("loading a DynamoDB dump into Cassandra: exit %d, want 2 naming the dump's source kind:\n%s", code, out)
	}
	ledger, _, err := openRoot(t, dest).ListAll(context.Background(), "_state/", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 0 {
		t.Errorf("the refused load wrote %v", ledger)
	}
}
