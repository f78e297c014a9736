package bigtable

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// DynamoDB dumps (docs/loader.md, "DynamoDB dumps"). Each item is one
// Bigtable row whose key is the partition key, then the sort key if the
// table has one, in the row key encoding of CQL keys (rowkey.go): an S
// as text, a B as blob, an N as decimal (its value ordered, its text's
// scale in the key's trailer). Every attribute, the key attributes too,
// is one cell of the URL's family, qualified by the attribute's name,
// holding the attribute's value in DynamoDB JSON ({"S":"…"}, {"N":"…"},
// {"SS":[…]}, …), so that a reader gets the item back from the cells
// alone, every type and digit exact. All cells of one load of a dump,
// the row marker included, carry the dump's start time: a re-run
// rewrites the same cells, and an attribute an item lost between two
// dumps stays as an older cell, which a reader tells from the item's
// current attributes by its timestamp (older than the marker's).

// LoadsSourceKind: the Bigtable target loads DynamoDB dumps as well as
// Cassandra ones.
func (t *Target) LoadsSourceKind(kind string) bool { return kind == manifest.KindDynamoDB }

var _ load.SourceKindLoader = (*Target)(nil)

// dynamoKeyTypes are the CQL types whose key encodings hold DynamoDB's
// key attribute types.
var dynamoKeyTypes = map[string]*schema.Type{}

func init() {
	for dt, cql := range map[string]string{"S": "text", "B": "blob", "N": "decimal"} {
		t, err := schema.Parse(cql, nil)
		if err != nil {
			panic(err)
		}
		dynamoKeyTypes[dt] = t
	}
}

// dynamoCellBytes is the least a cell counts towards a request's bytes:
// a request of HardBatchBytes then holds under MaxRequestMutations cells,
// whatever the items' attribute counts.
const dynamoCellBytes = 48

// dynamoKey is a DynamoDB table's key: its attributes' names and types.
type dynamoKey struct {
	cols  []keyCol // partition key, then sort key; name = the attribute's
	types []string // S, N or B
}

func newDynamoTable(t *Target, m *manifest.Manifest, name string) (*Table, error) {
	dk, err := dynamoKeyOf(&m.Source.DynamoDB)
	if err != nil {
		return nil, err
	}
	return &Table{t: t, tbl: t.client.Open(name), w: newWriter(t.data, t.cfg.Project, t.cfg.Instance, name, t.cfg.AppProfile), name: name, m: m, dyn: dk}, nil
}

// dynamoKeyOf is the key a DynamoDB table's items are keyed by.
func dynamoKeyOf(d *manifest.DynamoDBTable) (*dynamoKey, error) {
	types := map[string]string{}
	for _, a := range d.Attributes {
		types[a.Name] = a.Type
	}
	dk := &dynamoKey{}
	for _, k := range d.KeySchema {
		ct := dynamoKeyTypes[types[k.Name]]
		if ct == nil {
			return nil, fault.Usagef("manifest: key attribute %s has type %q, not S, N or B", k.Name, types[k.Name])
		}
		dk.cols = append(dk.cols, keyCol{name: k.Name, t: ct})
		dk.types = append(dk.types, types[k.Name])
	}
	return dk, nil
}

// keyWire is the CQL wire value of a key attribute's value.
func keyWire(typ string, v format.DynamoValue) ([]byte, error) {
	if string(v.Kind) != typ {
		return nil, fmt.Errorf("is %s, the table's key schema says %s", v.Kind, typ)
	}
	switch v.Kind {
	case format.DynamoS:
		return []byte(v.S), nil
	case format.DynamoB:
		return v.B, nil
	}
	return format.ParseValue(dynamoKeyTypes["N"], []byte(v.S))
}

// dynamoRowKey is an item's row key.
func (tb *Table) dynamoRowKey(item format.DynamoItem) ([]byte, error) {
	vals := make([][]byte, len(tb.dyn.cols))
	for i, c := range tb.dyn.cols {
		v, ok := item[c.name]
		if !ok {
			return nil, fmt.Errorf("key attribute %s: missing from the item", c.name)
		}
		var err error
		if vals[i], err = keyWire(tb.dyn.types[i], v); err != nil {
			return nil, fmt.Errorf("key attribute %s: %w", c.name, err)
		}
	}
	return encodeKey(nil, tb.dyn.cols, vals)
}

// dynamoConverter converts the items of one part.
type dynamoConverter struct {
	tb *Table
	ts bigtable.Timestamp
	wc []wireCell // scratch reused for every item
}

// Convert appends one item's entry: the row marker and a cell per
// attribute.
func (cv *dynamoConverter) Convert(row *format.Row, line int64, dst []load.Mutation) ([]load.Mutation, bool, error) {
	key, err := cv.tb.dynamoRowKey(row.Item)
	if err != nil {
		return dst, false, err
	}
	wc := append(cv.wc[:0], wireCell{qualifier: markerQualifier, ts: int64(cv.ts)})
	for name, v := range row.Item {
		if name == markerQualifier {
			return dst, false, fmt.Errorf("an attribute with an empty name has no Bigtable qualifier of its own")
		}
		val, err := format.AppendDynamoTyped(nil, v)
		if err != nil {
			return dst, false, fmt.Errorf("attribute %s: %w", name, err)
		}
		wc = append(wc, wireCell{qualifier: name, ts: int64(cv.ts), value: val})
	}
	cv.wc = wc
	e := newEntry(key, cv.tb.t.cfg.Family, wc)
	return append(dst, load.Mutation{Bytes: max(len(e.wire), len(wc)*dynamoCellBytes), Line: line, Op: e}), false, nil
}

// dynamoLimits: rows have as many cells as their items have attributes,
// so bytes (at least dynamoCellBytes a cell) keep requests under
// MaxRequestMutations.
func (tb *Table) dynamoLimits() load.Limits {
	return load.Limits{
		MaxBytes: HardBatchBytes, InitialBytes: initialBatchBytes, MinBytes: MinBatchBytes,
		MaxMutations: MaxRequestMutations / 2,
	}
}

// dynamoCompare reads the items of a chunk back and compares each
// attribute: the row marker and a cell per attribute at the dump's
// time, holding the attribute's exact value, and no other cell at that
// time (older cells are attributes of earlier dumps).
func (tb *Table) dynamoCompare(ctx context.Context, p load.PartInfo, rows []load.DumpRow) ([]load.Mismatch, error) {
	ts := tb.clock(p).defTS
	keys := make([]string, len(rows))
	var list bigtable.RowList
	for i := range rows {
		k, err := tb.dynamoRowKey(rows[i].Row.Item)
		if err != nil {
			return nil, fmt.Errorf("part %s line %d: %w", p.File.Name, rows[i].Line, err)
		}
		keys[i] = string(k)
		list = append(list, keys[i])
	}
	got := map[string]bigtable.Row{}
	err := tb.tbl.ReadRows(ctx, list, func(r bigtable.Row) bool {
		got[r.Key()] = r
		return true
	}, bigtable.RowFilter(bigtable.ChainFilters(bigtable.FamilyFilter(tb.t.cfg.Family), bigtable.LatestNFilter(1))))
	if err != nil {
		return nil, fmt.Errorf("read back %s: %w", tb.name, err)
	}
	var out []load.Mismatch
	for i := range rows {
		for _, m := range tb.compareItem(rows[i].Row.Item, got[keys[i]], ts) {
			m.Part, m.Line, m.Key = p.File.Name, rows[i].Line, fmt.Sprintf("row key %x", keys[i])
			out = append(out, m)
		}
	}
	return out, nil
}

func (tb *Table) compareItem(item format.DynamoItem, r bigtable.Row, ts bigtable.Timestamp) []load.Mismatch {
	var out []load.Mismatch
	bad := func(attr, f string, args ...any) {
		out = append(out, load.Mismatch{Column: attr, Detail: fmt.Sprintf(f, args...)})
	}
	cells := tb.cellsByQualifier(r)
	if _, ok := cells[markerQualifier]; !ok {
		bad("", "item missing from Bigtable")
		return out
	}
	for name, v := range item {
		it, ok := cells[name]
		if !ok {
			bad(name, "missing from Bigtable")
			continue
		}
		want, _ := format.AppendDynamoTyped(nil, v)
		have, err := format.DecodeDynamoTyped(it.Value)
		if err != nil {
			bad(name, "cell %s does not decode: %v", short(it.Value), err)
			continue
		}
		if h, _ := format.AppendDynamoTyped(nil, have); !bytes.Equal(h, want) {
			bad(name, "Bigtable has %s, the dump has %s", trim(h), trim(want))
		}
		if it.Timestamp != ts {
			bad(name, "cell timestamp %d, want %d", it.Timestamp, ts)
		}
	}
	for name, it := range cells {
		if _, ok := item[name]; !ok && name != markerQualifier && it.Timestamp >= ts {
			bad(name, "Bigtable has this attribute at the dump's time, the item has not")
		}
	}
	return out
}

func trim(b []byte) string {
	s := string(b)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
