package dynamodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// The manifest records what DescribeTable says of an on-demand table with
// a global and a local secondary index: key schema, every attribute
// definition (sorted), both indexes with their key schemas, projections
// and projected attributes, and the billing mode without read capacity.
func TestDynamoExportDescribesTable(t *testing.T) {
	c := dynamotest.Client(t)
	name := fmt.Sprintf("d-%08x.v1", rand.Uint32())
	key := func(n string, k types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(n), KeyType: k}
	}
	attr := func(n string, ty types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: ty}
	}
	if _, err := c.CreateTable(context.Background(), &ddb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr("pk", types.ScalarAttributeTypeS), attr("sk", types.ScalarAttributeTypeN), attr("g", types.ScalarAttributeTypeB), attr("at", types.ScalarAttributeTypeS)},
		KeySchema:            []types.KeySchemaElement{key("pk", types.KeyTypeHash), key("sk", types.KeyTypeRange)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-g"),
			KeySchema:  []types.KeySchemaElement{key("g", types.KeyTypeHash)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"z", "a"}},
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName:  aws.String("by_at"),
			KeySchema:  []types.KeySchemaElement{key("pk", types.KeyTypeHash), key("at", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(name)}) })
	w := ddb.NewTableExistsWaiter(c)
	if err := w.Wait(context.Background(), &ddb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	dynamotest.Put(t, c, name, allTypes(20, 9))

	dest := fileDest(t)
	if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", name, "--dest", dest, "--batch", "d", "--log-level", "warn"); code != 0 {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	root := openRoot(t, dest)
	m, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "d", name))
	sameItems(t, items, tableItems(t, c, name))
	got := m.Source.DynamoDB
	want := manifest.DynamoDBTable{
		Name:      name,
		KeySchema: []manifest.DynamoDBKey{{Name: "pk", Role: "HASH"}, {Name: "sk", Role: "RANGE"}},
		Attributes: []manifest.DynamoDBAttribute{
			{Name: "at", Type: "S"}, {Name: "g", Type: "B"}, {Name: "pk", Type: "S"}, {Name: "sk", Type: "N"},
		},
		GlobalIndexes: []manifest.DynamoDBIndex{{Name: "by-g", KeySchema: []manifest.DynamoDBKey{{Name: "g", Role: "HASH"}},
			Projection: "INCLUDE", NonKeyAttributes: []string{"a", "z"}}},
		LocalIndexes: []manifest.DynamoDBIndex{{Name: "by_at", KeySchema: []manifest.DynamoDBKey{{Name: "pk", Role: "HASH"}, {Name: "at", Role: "RANGE"}},
			Projection: "KEYS_ONLY", NonKeyAttributes: []string{}}},
		BillingMode: "PAY_PER_REQUEST",
	}
	// The table's id and size estimates are the server's.
	want.TableID, want.ItemCount, want.SizeBytes = got.TableID, got.ItemCount, got.SizeBytes
	if got.TableID == "" || !reflect.DeepEqual(got, want) {
		t.Errorf("manifest's source.dynamodb:\n got %+v\nwant %+v", got, want)
	}
	if m.Source.Kind != manifest.KindDynamoDB || m.Source.Table.Keyspace != manifest.DynamoDBKeyspace || m.Source.Table.Name != name || m.Table != "dynamodb."+name {
		t.Errorf("manifest: kind %s, table %s.%s, dump table %s", m.Source.Kind, m.Source.Table.Keyspace, m.Source.Table.Name, m.Table)
	}
}
