// Package dynamotest creates DynamoDB tables in the test server
// (dynalite, started by scripts/services.sh) and reads lading dumps of
// them back, for the DynamoDB source's integration tests.
package dynamotest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Client returns a client of the test DynamoDB.
func Client(t testing.TB) *ddb.Client {
	t.Helper()
	endpoint := testenv.DynamoDB(t)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	return ddb.NewFromConfig(cfg, func(o *ddb.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// URL is the --source URL of the test DynamoDB (or of endpoint, when
// given: a proxy in front of it).
func URL(t testing.TB, endpoint string) string {
	t.Helper()
	if endpoint == "" {
		endpoint = testenv.DynamoDB(t)
	}
	return "dynamodb://local?endpoint=" + url.QueryEscape(endpoint)
}

// Key is a table's key: partition key pk (S) and, if SortKey, sort key
// sk (N). With Index the table also has a global secondary index
// IndexName on g (S) and gn (N). OnDemand makes the table
// PAY_PER_REQUEST (no provisioned capacity: rcu is ignored).
type Key struct{ SortKey, Index, OnDemand bool }

// IndexName is the global secondary index a table made with Key.Index
// has.
const IndexName = "by_g"

// CreateTable creates a fresh provisioned table with the given read
// capacity and deletes it at the end of the test.
func CreateTable(t testing.TB, c *ddb.Client, k Key, rcu int64) string {
	t.Helper()
	name := fmt.Sprintf("t_%08x", rand.Uint32())
	CreateTemp(t, c, name, k, rcu)
	return name
}

// CreateTemp creates table name as CreateNamed does and deletes it at
// the end of the test.
func CreateTemp(t testing.TB, c *ddb.Client, name string, k Key, rcu int64) {
	t.Helper()
	CreateNamed(t, c, name, k, rcu)
	t.Cleanup(func() {
		_, _ = c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(name)})
	})
}

// CreateNamed creates table name and waits until it is active.
func CreateNamed(t testing.TB, c *ddb.Client, name string, k Key, rcu int64) {
	t.Helper()
	ctx := context.Background()
	in := &ddb.CreateTableInput{
		TableName:             aws.String(name),
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(rcu), WriteCapacityUnits: aws.Int64(10000)},
	}
	if k.SortKey {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange})
	}
	if k.Index {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String("gn"), AttributeType: types.ScalarAttributeTypeN})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexName),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("gn"), KeyType: types.KeyTypeRange},
			},
			Projection:            &types.Projection{ProjectionType: types.ProjectionTypeAll},
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(rcu), WriteCapacityUnits: aws.Int64(10000)},
		}}
	}
	if k.OnDemand {
		in.BillingMode, in.ProvisionedThroughput = types.BillingModePayPerRequest, nil
		for i := range in.GlobalSecondaryIndexes {
			in.GlobalSecondaryIndexes[i].ProvisionedThroughput = nil
		}
	}
	if _, err := c.CreateTable(ctx, in); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	w := ddb.NewTableExistsWaiter(c, func(o *ddb.TableExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := w.Wait(ctx, &ddb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// Put writes items with BatchWriteItem, 25 at a time.
func Put(t testing.TB, c *ddb.Client, table string, items []map[string]types.AttributeValue) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(items); i += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[i:min(i+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := c.BatchWriteItem(ctx, &ddb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				t.Fatalf("batch write: %v", err)
			}
			pending = out.UnprocessedItems
		}
	}
}

// ReadDump reads the dump at prefix: checks _SUCCESS, every part's size
// and SHA-256 and row count against the manifest, and returns the
// manifest and the items, decoded.
func ReadDump(t testing.TB, root *objstore.Bucket, prefix string) (*manifest.Manifest, []format.DynamoItem) {
	t.Helper()
	m, lines := sourcetest.ReadDump(t, root, prefix)
	items := make([]format.DynamoItem, 0, len(lines))
	for i, line := range lines {
		it, err := format.DecodeDynamoItem(line)
		if err != nil {
			t.Fatalf("%s: item %d of the dump: %v", prefix, i+1, err)
		}
		items = append(items, it)
	}
	return m, items
}
