package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
)

// TestLoaderRefusesDynamoDump: the Cassandra target does not map
// DynamoDB items (Bigtable and Spanner do), so a DynamoDB dump is refused
// for it by name (exit 2) before any table is created or any ledger
// record written, not loaded as if its items were CQL rows. A DynamoDB
// table name Spanner does not accept is refused too, naming it, never
// rewritten.
func TestLoaderRefusesDynamoDump(t *testing.T) {
	hosts := testenv.CassandraHosts(t)
	c := dynamotest.Client(t)
	// A name DynamoDB allows and Spanner does not (a leading digit).
	table := fmt.Sprintf("9t_%08x", rand.Uint32())
	dynamotest.CreateNamed(t, c, table, dynamotest.Key{SortKey: true}, 10000)
	t.Cleanup(func() {
		_, _ = c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(table)})
	})
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
	// Spanner loads DynamoDB dumps, but not into a table of that name:
	// refused naming it and --target-table, nothing created.
	t.Setenv("SPANNER_EMULATOR_HOST", spannerproxy.Start(t, testenv.Spanner(t)).Addr)
	code, out = runBinary(t, loader, "--from", dest, "--to", "spanner://"+spannerDB, "--create-table")
	if code != 2 || !strings.Contains(out, `target table name "`+table+`"`) || !strings.Contains(out, "--target-table") {
		t.Fatalf("loading DynamoDB table %s into Spanner: exit %d, want 2 naming the table and --target-table:\n%s", table, code, out)
	}
	ledger, _, err := openRoot(t, dest).ListAll(context.Background(), "_state/", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 0 {
		t.Errorf("the refused load wrote %v", ledger)
	}
}
