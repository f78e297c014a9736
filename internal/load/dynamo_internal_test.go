package load

import (
	"testing"

	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestSourceIndexes: --route counts a DynamoDB table's global and local
// secondary indexes as its indexes, and a Cassandra table's indexes and
// views.
func TestSourceIndexes(t *testing.T) {
	ix := []manifest.DynamoDBIndex{{Name: "i"}}
	for _, c := range []struct {
		name string
		m    manifest.Manifest
		want int
	}{
		{"cassandra, none", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindCassandra}}, 0},
		{"cassandra, an index", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindCassandra, Table: schema.Table{Indexes: []schema.Index{{Name: "i", Kind: schema.IndexSecondary}}}}}, 1},
		{"cassandra, a materialized view only", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindCassandra, Table: schema.Table{Indexes: []schema.Index{{Name: "v", Kind: schema.IndexView}}}}}, 1},
		{"dynamodb, none", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindDynamoDB}}, 0},
		{"dynamodb, a GSI", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindDynamoDB, DynamoDB: manifest.DynamoDBTable{GlobalIndexes: ix}}}, 1},
		{"dynamodb, an LSI", manifest.Manifest{Source: manifest.Source{Kind: manifest.KindDynamoDB, DynamoDB: manifest.DynamoDBTable{LocalIndexes: ix}}}, 1},
	} {
		if got := sourceIndexes(&c.m); got != c.want {
			t.Errorf("%s: %d indexes, want %d", c.name, got, c.want)
		}
	}
}
