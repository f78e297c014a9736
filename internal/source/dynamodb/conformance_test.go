package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// dynamoHarness runs the source conformance suite against dynalite.
type dynamoHarness struct{ c *ddb.Client }

func (h *dynamoHarness) URL(t testing.TB) string { return dynamotest.URL(t, "") }

// NewTable names its tables with '-' and '.', as real fleets do
// (prod-orders.v2), so the whole suite runs on such names.
func (h *dynamoHarness) NewTable(t testing.TB, n int) (string, string) {
	table := fmt.Sprintf("c-%08x.v2", rand.Uint32())
	dynamotest.CreateTemp(t, h.c, table, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, h.c, table, allTypes(n, uint64(n)))
	return table, manifest.DynamoDBKeyspace + "." + table
}

func (h *dynamoHarness) Rows(t testing.TB, table string) []string {
	return trimmed(canonical(t, tableItems(t, h.c, table)))
}

func (h *dynamoHarness) Canonical(t testing.TB, _ *manifest.Manifest, line []byte) string {
	it, err := format.DecodeDynamoItem(line)
	if err != nil {
		t.Fatal(err)
	}
	return trimmed(canonical(t, []format.DynamoItem{it}))[0]
}

// ChangeSchema deletes the table and creates it again without its sort
// key.
func (h *dynamoHarness) ChangeSchema(t testing.TB, table string) {
	if _, err := h.c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		t.Fatal(err)
	}
	w := ddb.NewTableNotExistsWaiter(h.c, func(o *ddb.TableNotExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := w.Wait(context.Background(), &ddb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	dynamotest.CreateNamed(t, h.c, table, dynamotest.Key{SortKey: false}, 10000)
}

func (h *dynamoHarness) SlowArgs() []string { return []string{"--max-rcu", "3"} }

func (h *dynamoHarness) Args() []string {
	return []string{"--page-size", "25", "--part-size", "8KiB", "--progress-interval", "200ms", "--log-level", "warn"}
}

func trimmed(lines []string) []string {
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\n")
	}
	return lines
}

func TestDynamoConformance(t *testing.T) {
	sourcetest.RunConformance(t, &dynamoHarness{c: dynamotest.Client(t)})
}
