package spanner

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// DynamoDB dumps (docs/loader.md, "DynamoDB dumps"). A DynamoDB table has
// types only for the attributes it declares (AttributeDefinitions: the
// keys of the table and of its indexes); each item may hold any other
// attributes. The Spanner table has a typed column per declared
// attribute, S as STRING(MAX), B as BYTES(MAX), N as NUMERIC, with the
// partition key then the sort key as its primary key, and one JSON
// column, AttributesColumn, holding every other attribute of the item as
// an object of name → DynamoDB JSON value ({"S":"…"}, {"N":"…"}, …), so
// numbers keep every digit (they are strings there) and sets stay sets.
// An N that NUMERIC cannot hold exactly (more than 29 digits before the
// point or 9 after) in a declared attribute is refused into the reject
// file, never rounded; in the JSON column every N is exact.

// AttributesColumn is the JSON column of a DynamoDB table's undeclared
// attributes.
const AttributesColumn = "attributes"

// LoadsSourceKind: the Spanner target loads DynamoDB dumps as well as
// Cassandra ones.
func (t *Target) LoadsSourceKind(kind string) bool { return kind == manifest.KindDynamoDB }

var _ load.SourceKindLoader = (*Target)(nil)

// dynamoCQLType is the CQL type whose Spanner mapping (mapType) a
// declared attribute of a DynamoDB type takes.
var dynamoCQLType = map[string]string{"S": "text", "B": "blob", "N": "decimal"}

// dynamoTable is what a Table of a DynamoDB dump knows beyond its
// columns: which attribute each typed column holds, and its type.
type dynamoTable struct {
	types map[string]string // declared attribute → S, N or B
	json  int               // index of AttributesColumn in Table.cols
}

func newDynamoTable(t *Target, m *manifest.Manifest, name string) (*Table, error) {
	d := &m.Source.DynamoDB
	dt := &dynamoTable{types: map[string]string{}}
	for _, a := range d.Attributes {
		dt.types[a.Name] = a.Type
	}
	tb := &Table{t: t, name: name, m: m, dyn: dt}
	seen := map[string]string{strings.ToLower(AttributesColumn): AttributesColumn}
	add := func(attr string, role schema.Role, pos int) error {
		if !validName.MatchString(attr) {
			return fault.Usagef("DynamoDB table %s: attribute %q is not a Spanner column name (a letter, then letters, digits and '_'), so it cannot be a typed column; load the table into Bigtable instead", d.Name, attr)
		}
		if other, dup := seen[strings.ToLower(attr)]; dup {
			return fault.Usagef("DynamoDB table %s: attribute %q and %q are one column name to Spanner (names are case-insensitive, and %s holds the other attributes)", d.Name, attr, other, AttributesColumn)
		}
		seen[strings.ToLower(attr)] = attr
		cqlType := dynamoCQLType[dt.types[attr]]
		typ, err := schema.Parse(cqlType, nil)
		if err != nil {
			return fault.Usagef("manifest: attribute %s has type %q, not S, N or B", attr, dt.types[attr])
		}
		c := &schema.Column{Name: attr, Type: "DynamoDB " + dt.types[attr], Role: role, Position: pos, T: typ}
		key := role == schema.PartitionKey
		tb.cols = append(tb.cols, &column{name: attr, idx: len(tb.cols), c: c, st: mapType(typ, key), key: key})
		return nil
	}
	// The key attributes are the primary key, in order, both NOT NULL
	// (every item has them): partition key columns to createDDL.
	keyAttr := map[string]bool{}
	for i, k := range d.KeySchema {
		if err := add(k.Name, schema.PartitionKey, i); err != nil {
			return nil, err
		}
		keyAttr[k.Name] = true
	}
	tb.keys = append([]*column{}, tb.cols...)
	var declared []string
	for a := range dt.types {
		if !keyAttr[a] {
			declared = append(declared, a)
		}
	}
	sort.Strings(declared)
	for _, a := range declared {
		if err := add(a, schema.Regular, 0); err != nil {
			return nil, err
		}
	}
	js, err := schema.Parse("map<text, text>", nil)
	if err != nil {
		return nil, err
	}
	dt.json = len(tb.cols)
	c := &schema.Column{Name: AttributesColumn, Type: "DynamoDB attributes", Role: schema.Regular, T: js}
	tb.cols = append(tb.cols, &column{name: AttributesColumn, idx: dt.json, c: c, st: mapType(js, false)})
	for _, c := range tb.cols {
		tb.colName = append(tb.colName, c.name)
	}
	return tb, nil
}

// dynamoConverter converts items into InsertOrUpdate mutations of every
// column: a declared attribute the item lacks is NULL, the JSON column
// always an object (empty when the item has no other attribute).
type dynamoConverter struct{ tb *Table }

func (cv *dynamoConverter) Convert(row *format.Row, line int64, dst []load.Mutation) ([]load.Mutation, bool, error) {
	tb, dt := cv.tb, cv.tb.dyn
	o := &op{values: make([]*structpb.Value, len(tb.cols))}
	rowBytes, keyBytes := 0, 0
	rest := map[string]format.DynamoValue{}
	for name, v := range row.Item {
		if _, typed := dt.types[name]; !typed {
			rest[name] = v
		}
	}
	for i, c := range tb.cols {
		var v *structpb.Value
		var n int
		var err error
		if i == dt.json {
			var js []byte
			if js, err = format.AppendDynamoTypedMap(nil, rest); err != nil {
				return dst, false, fmt.Errorf("attributes: %w", err)
			}
			v, n = structpb.NewStringValue(string(js)), len(js)
		} else if v, n, err = dynamoScalar(dt.types[c.name], row.Item, c); errors.Is(err, errRefused) {
			o.refused = fmt.Errorf("attribute %s: %w", c.name, err)
			break
		} else if err != nil {
			return dst, false, fmt.Errorf("attribute %s: %w", c.name, err)
		}
		o.values[i] = v
		rowBytes += n
		if c.key {
			keyBytes += n
		}
	}
	return appendRow(dst, tb, o, rowBytes, keyBytes, line), false, nil
}

// dynamoScalar is the value of a declared attribute's typed column.
func dynamoScalar(typ string, item format.DynamoItem, c *column) (*structpb.Value, int, error) {
	v, ok := item[c.name]
	switch {
	case !ok && c.key:
		return nil, 0, errors.New("missing from the item, which a key attribute never is")
	case !ok:
		return structpb.NewNullValue(), 0, nil
	case string(v.Kind) != typ:
		return nil, 0, fmt.Errorf("is %s, the table declares it %s", v.Kind, typ)
	}
	switch v.Kind {
	case format.DynamoS:
		return structpb.NewStringValue(v.S), len(v.S), nil
	case format.DynamoB:
		return structpb.NewStringValue(base64.StdEncoding.EncodeToString(v.B)), len(v.B), nil
	}
	s, err := numericText([]byte(v.S))
	if err != nil {
		return nil, 0, err
	}
	return structpb.NewStringValue(s), 16, nil
}

// dynamoIndexPlans maps a DynamoDB table's global and local secondary
// indexes to NULL_FILTERED Spanner indexes on their key attributes (all
// declared, so typed columns), named <table>_<index>: DynamoDB's index
// names are the table's, Spanner's the database's. NULL_FILTERED keeps
// DynamoDB's sparse indexes sparse: an item without the index's key is
// not in it. Projections are not mapped (Spanner reads the other
// columns from the table).
func (tb *Table) dynamoIndexPlans() []indexPlan {
	d := &tb.m.Source.DynamoDB
	var out []indexPlan
	for _, x := range append(append([]manifest.DynamoDBIndex{}, d.GlobalIndexes...), d.LocalIndexes...) {
		p := indexPlan{name: tb.name + "_" + x.Name}
		var keys []string
		for _, k := range x.KeySchema {
			if _, why := tb.indexable(k.Name); why != "" && p.skip == "" {
				p.skip = why
			}
			keys = append(keys, k.Name)
		}
		if !validName.MatchString(p.name) {
			p.skip = "not a valid Spanner index name (a letter, then letters, digits and '_', at most 128)"
		}
		if p.skip == "" {
			p.ddl = fmt.Sprintf("CREATE NULL_FILTERED INDEX `%s` ON `%s` (%s)", p.name, tb.name, quoteList(keys))
		}
		out = append(out, p)
	}
	return out
}

// indexPlans maps the source's indexes, whatever its kind.
func (tb *Table) indexPlans() []indexPlan {
	if tb.dyn != nil {
		return tb.dynamoIndexPlans()
	}
	return tb.planIndexes(tb.m.Source.Table.Indexes)
}
