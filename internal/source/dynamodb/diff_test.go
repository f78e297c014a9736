package dynamodb

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/manifest"
)

func TestDiff(t *testing.T) {
	base := func() *manifest.Source {
		return &manifest.Source{Kind: manifest.KindDynamoDB, Cluster: "us-east-1", DynamoDB: manifest.DynamoDBTable{
			Name: "orders", TableID: "id-1",
			KeySchema:   []manifest.DynamoDBKey{{Name: "pk", Role: "HASH"}, {Name: "sk", Role: "RANGE"}},
			Attributes:  []manifest.DynamoDBAttribute{{Name: "pk", Type: "S"}, {Name: "sk", Type: "N"}},
			BillingMode: "PROVISIONED", ReadCapacity: 100, ItemCount: 5,
		}}
	}
	s := &Source{}
	for _, tc := range []struct {
		name string
		mod  func(*manifest.Source)
		want string
	}{
		{"same", func(*manifest.Source) {}, ""},
		{"capacity and estimates change", func(l *manifest.Source) { l.DynamoDB.ReadCapacity, l.DynamoDB.ItemCount = 5, 9 }, ""},
		{"an index is added", func(l *manifest.Source) {
			l.DynamoDB.GlobalIndexes = []manifest.DynamoDBIndex{{Name: "g", KeySchema: []manifest.DynamoDBKey{{Name: "sk", Role: "HASH"}}, Projection: "ALL"}}
		}, ""},
		{"recreated", func(l *manifest.Source) { l.DynamoDB.TableID = "id-2" }, "created again"},
		{"key schema", func(l *manifest.Source) { l.DynamoDB.KeySchema = l.DynamoDB.KeySchema[:1] }, "key schema"},
		{"attribute type", func(l *manifest.Source) { l.DynamoDB.Attributes[1].Type = "S" }, "changed type"},
		{"region", func(l *manifest.Source) { l.Cluster = "eu-west-1" }, "eu-west-1"},
	} {
		live := base()
		tc.mod(live)
		got := s.Diff(base(), live)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Diff = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url, want string // want: "" ok, else part of the error
	}{
		{"dynamodb://us-east-1", ""},
		{"dynamodb://local?endpoint=http://127.0.0.1:8000", ""},
		{"dynamodb://local", "needs ?endpoint"},
		{"dynamodb://us-east-1?region=x", `unknown parameter "region"`},
		{"dynamodb://us-east-1/orders", "names a region only"},
		{"dynamodb://key:secret@us-east-1", "credentials"},
		{"dynamodb://US_EAST", "region"},
		{"dynamodb://local?endpoint=ftp://x", "endpoint"},
	} {
		_, err := parseURL(tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error containing %q", tc.url, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("%s: the error shows the secret: %v", tc.url, err)
		}
	}
	for table, want := range map[string]string{"orders": "dynamodb.orders", "orders-prod.v2": "dynamodb.orders-prod.v2"} {
		if got, err := check("dynamodb://us-east-1", table); err != nil || got != want {
			t.Errorf("check(%q): %q, %v", table, got, err)
		}
	}
	for _, bad := range []string{"ab", "a/b", "a b", "caf\u00e9s", strings.Repeat("a", 247), strings.Repeat("a", 256)} {
		if _, err := check("dynamodb://us-east-1", bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("check(%q): %v, want an error naming it", bad, err)
		}
	}
}
