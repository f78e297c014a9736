package spanner

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

func dynamoManifest(attrs ...manifest.DynamoDBAttribute) *manifest.Manifest {
	m := &manifest.Manifest{}
	m.Source.Kind = manifest.KindDynamoDB
	m.Source.DynamoDB = manifest.DynamoDBTable{
		Name:       "orders",
		KeySchema:  []manifest.DynamoDBKey{{Name: "customer", Role: "HASH"}, {Name: "placed", Role: "RANGE"}},
		Attributes: append([]manifest.DynamoDBAttribute{{Name: "customer", Type: "S"}, {Name: "placed", Type: "N"}}, attrs...),
		GlobalIndexes: []manifest.DynamoDBIndex{{Name: "by-status", KeySchema: []manifest.DynamoDBKey{{Name: "status", Role: "HASH"}}, Projection: "ALL"},
			{Name: "by_tag", KeySchema: []manifest.DynamoDBKey{{Name: "tag", Role: "HASH"}, {Name: "placed", Role: "RANGE"}}, Projection: "KEYS_ONLY"}},
		LocalIndexes: []manifest.DynamoDBIndex{{Name: "by_total", KeySchema: []manifest.DynamoDBKey{{Name: "customer", Role: "HASH"}, {Name: "total", Role: "RANGE"}}, Projection: "ALL"}},
	}
	return m
}

// TestDynamoMapping: the DDL of a DynamoDB table (docs/loader.md): the
// keys typed and NOT NULL as the primary key, the other declared
// attributes typed and nullable, the rest in one JSON column; each
// GSI and LSI a NULL_FILTERED index named after table and index, one
// whose name Spanner refuses skipped; attribute names Spanner cannot
// hold or tell apart refused, naming them.
func TestDynamoMapping(t *testing.T) {
	m := dynamoManifest(manifest.DynamoDBAttribute{Name: "status", Type: "S"}, manifest.DynamoDBAttribute{Name: "tag", Type: "B"}, manifest.DynamoDBAttribute{Name: "total", Type: "N"})
	tb, err := newDynamoTable(&Target{}, m, "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE `orders` (\n  `customer` STRING(MAX) NOT NULL,\n  `placed` NUMERIC NOT NULL,\n  `status` STRING(MAX),\n  `tag` BYTES(MAX),\n  `total` NUMERIC,\n  `attributes` JSON,\n) PRIMARY KEY (`customer`, `placed`)"
	if got := tb.createDDL(); got != want {
		t.Errorf("DDL:\n%s\nwant\n%s", got, want)
	}
	var plans []string
	for _, p := range tb.indexPlans() {
		plans = append(plans, p.name+": "+p.ddl+p.skip)
	}
	wantPlans := []string{
		"orders_by-status: not a valid Spanner index name (a letter, then letters, digits and '_', at most 128)",
		"orders_by_tag: CREATE NULL_FILTERED INDEX `orders_by_tag` ON `orders` (`tag`, `placed`)",
		"orders_by_total: CREATE NULL_FILTERED INDEX `orders_by_total` ON `orders` (`customer`, `total`)",
	}
	if strings.Join(plans, "\n") != strings.Join(wantPlans, "\n") {
		t.Errorf("index plans:\n%s\nwant\n%s", strings.Join(plans, "\n"), strings.Join(wantPlans, "\n"))
	}
	for _, bad := range []struct {
		attr manifest.DynamoDBAttribute
		want string
	}{
		{manifest.DynamoDBAttribute{Name: "order-id", Type: "S"}, `attribute "order-id" is not a Spanner column name`},
		{manifest.DynamoDBAttribute{Name: "Customer", Type: "S"}, `"Customer" and "customer" are one column name`},
		{manifest.DynamoDBAttribute{Name: "Attributes", Type: "S"}, `"Attributes" and "attributes" are one column name`},
	} {
		_, err := newDynamoTable(&Target{}, dynamoManifest(bad.attr), "orders")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("attribute %s: %v, want an error saying %s", bad.attr.Name, err, bad.want)
		}
	}
}

// TestDynamoConvert: an item becomes its typed values (an absent
// declared attribute NULL) and the JSON of the rest, where 38 digits
// stay; a number NUMERIC cannot hold in a typed column is refused (the
// reject file), never rounded.
func TestDynamoConvert(t *testing.T) {
	m := dynamoManifest(manifest.DynamoDBAttribute{Name: "total", Type: "N"})
	m.Source.DynamoDB.GlobalIndexes = nil
	tb, err := newDynamoTable(&Target{}, m, "orders")
	if err != nil {
		t.Fatal(err)
	}
	cv := &dynamoConverter{tb: tb}
	item := format.DynamoItem{
		"customer": {Kind: format.DynamoS, S: "c1"},
		"placed":   {Kind: format.DynamoN, S: "1E+3"},
		"big":      {Kind: format.DynamoN, S: "12345678901234567890123456789012345678"},
		"tags":     {Kind: format.DynamoSS, Set: []string{"b", "a"}},
	}
	muts, _, err := cv.Convert(&format.Row{Item: item}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := muts[0].Op.(*op)
	var got []string
	for _, v := range o.values {
		js, _ := v.MarshalJSON()
		got = append(got, string(js))
	}
	want := `"c1" | "1000" | null | "{\"big\":{\"N\":\"12345678901234567890123456789012345678\"},\"tags\":{\"SS\":[\"a\",\"b\"]}}"`
	if strings.Join(got, " | ") != want {
		t.Errorf("values %s\nwant   %s", strings.Join(got, " | "), want)
	}
	item["total"] = format.DynamoValue{Kind: format.DynamoN, S: "12345678901234567890123456789012345678"}
	muts, _, err = cv.Convert(&format.Row{Item: item}, 2, nil)
	if err != nil || muts[0].Op.(*op).refused == nil || !strings.Contains(muts[0].Op.(*op).refused.Error(), "does not fit Spanner's NUMERIC") {
		t.Errorf("a 38-digit total: %v, %v; want a refusal", err, muts[0].Op.(*op).refused)
	}
	delete(item, "placed")
	if _, _, err := cv.Convert(&format.Row{Item: item}, 3, nil); err == nil {
		t.Error("an item without its sort key converted")
	}
}
