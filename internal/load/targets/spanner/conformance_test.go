package spanner_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	"cloud.google.com/go/spanner/spannertest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestConformance runs the target suite against spannertest behind the
// test proxy.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and kills the loader")
	}
	testenv.Spanner(t) // the suite's servers are up (or the test skips)
	targettest.RunConformance(t, &harness{})
}

// harness gives every case a spannertest of its own (spannertest holds
// one database whatever the name, so cases sharing the shared server
// would see each other's tables), started in this process behind the
// test proxy; SPANNER_EMULATOR_HOST points the loaders the case runs at
// that proxy. The loader's requests are those real Spanner would get;
// the proxy's rewrites are listed in README.md.
type harness struct {
	client *spanner.Client
	admin  *database.DatabaseAdminClient
}

func (h *harness) NewTarget(t *testing.T) string {
	srv, err := spannertest.NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.SetLogger(func(string, ...any) {})
	t.Cleanup(srv.Close)
	p := spannerproxy.Start(t, srv.Addr)
	t.Setenv("SPANNER_EMULATOR_HOST", p.Addr)
	ctx := context.Background()
	if h.client, err = spanner.NewClientWithConfig(ctx, testDB, spanner.ClientConfig{DisableNativeMetrics: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.client.Close)
	if h.admin, err = database.NewDatabaseAdminClient(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.admin.Close() })
	return "spanner://" + testDB
}

// Holds follows docs/loader.md's mapping: every CQL type is held, a
// decimal as NUMERIC, which keeps its value but not its scale. Counter
// tables are refused whole.
func (h *harness) Holds(cqlType string) targettest.Holding {
	switch cqlType {
	case "counter":
		return targettest.Holding{NotHeld: true, Note: "counter tables are refused"}
	case "decimal":
		return targettest.Holding{ReadBack: numericReadBack, Note: "a decimal is held as NUMERIC: its value exactly, trailing fractional zeros dropped (the scale is not kept)"}
	}
	return targettest.Exact
}

// numericReadBack is a decimal as NUMERIC gives it back: the same value
// at the smallest scale that holds it.
func numericReadBack(v []byte) []byte {
	if len(v) < 4 {
		return v
	}
	scale := int32(uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3]))
	r := new(big.Rat).SetInt(twos(v[4:]))
	pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(scale))), nil))
	if scale >= 0 {
		r.Quo(r, pow)
	} else {
		r.Mul(r, pow)
	}
	s := r.FloatString(int(max(scale, 0)))
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	out, err := format.ParseValue(&schema.Type{Kind: schema.Decimal}, []byte(s))
	if err != nil {
		return v
	}
	return out
}

func abs32(n int32) int32 {
	if n < 0 {
		return -n
	}
	return n
}

// twos reads a big-endian two's-complement integer.
func twos(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return n
}

func (h *harness) ReadRows(t *testing.T, _, table string, cols []schema.Column) []format.Row {
	t.Helper()
	names := make([]string, len(cols))
	types := make([]*schema.Type, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		types[i] = cqlType(t, c)
	}
	var out []format.Row
	iter := h.client.Single().Read(context.Background(), table, spanner.AllKeys(), names)
	err := iter.Do(func(r *spanner.Row) error {
		row := format.Row{Values: make([][]byte, len(cols))}
		for i := range cols {
			var g spanner.GenericColumnValue
			if err := r.Column(i, &g); err != nil {
				return err
			}
			js, err := dumpJSON(types[i], g.Value)
			if err != nil {
				return fmt.Errorf("column %s: %w", names[i], err)
			}
			if js == nil {
				continue
			}
			if row.Values[i], err = format.ParseValue(types[i], js); err != nil {
				return fmt.Errorf("column %s value %s: %w", names[i], js, err)
			}
		}
		out = append(out, row)
		return nil
	})
	if spanner.ErrCode(err) == codes.NotFound {
		return nil // no table: no rows
	}
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// cqlType parses a column's CQL type.
func cqlType(t *testing.T, c schema.Column) *schema.Type {
	if c.T != nil {
		return c.T
	}
	typ, err := schema.Parse(c.Type, nil)
	if err != nil {
		t.Fatalf("column %s: %v", c.Name, err)
	}
	return typ
}

// dumpJSON turns a value as Spanner returns it into the dump's JSON of
// the column's CQL type (nil for NULL): the inverse of the documented
// mapping. JSON columns (and key columns of collection types) hold the
// dump's JSON text itself.
func dumpJSON(t *schema.Type, v *structpb.Value) ([]byte, error) {
	if _, null := v.Kind.(*structpb.Value_NullValue); null {
		return nil, nil
	}
	str := func() (string, error) {
		s, ok := v.Kind.(*structpb.Value_StringValue)
		if !ok {
			return "", fmt.Errorf("want a string, got %v", v)
		}
		return s.StringValue, nil
	}
	switch t.Kind {
	case schema.Text, schema.Varchar, schema.Ascii, schema.Inet, schema.Time, schema.Duration, schema.UUID, schema.Timeuuid, schema.Date:
		s, err := str()
		if err != nil {
			return nil, err
		}
		return json.Marshal(s)
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter, schema.Decimal, schema.Varint:
		s, err := str()
		return []byte(s), err
	case schema.Float, schema.Double:
		bits := 64
		if t.Kind == schema.Float {
			bits = 32
		}
		switch x := v.Kind.(type) {
		case *structpb.Value_NumberValue:
			if math.IsNaN(x.NumberValue) || math.IsInf(x.NumberValue, 0) {
				return json.Marshal(strconv.FormatFloat(x.NumberValue, 'g', -1, 64))
			}
			return []byte(strconv.FormatFloat(x.NumberValue, 'g', -1, bits)), nil
		case *structpb.Value_StringValue:
			return json.Marshal(x.StringValue) // NaN, Infinity, -Infinity
		}
	case schema.Boolean:
		if b, ok := v.Kind.(*structpb.Value_BoolValue); ok {
			return []byte(strconv.FormatBool(b.BoolValue)), nil
		}
	case schema.Blob:
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		return json.Marshal("0x" + hex.EncodeToString(b))
	case schema.Timestamp:
		s, err := str()
		if err != nil {
			return nil, err
		}
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return json.Marshal(ts.UTC().Format("2006-01-02T15:04:05.000Z"))
	case schema.List, schema.Set, schema.Vector:
		if l, ok := v.Kind.(*structpb.Value_ListValue); ok {
			parts := make([]string, len(l.ListValue.Values))
			for i, e := range l.ListValue.Values {
				js, err := dumpJSON(t.Params[0], e)
				if err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				if js == nil {
					js = []byte("null")
				}
				parts[i] = string(js)
			}
			return []byte("[" + strings.Join(parts, ",") + "]"), nil
		}
	}
	// JSON: the dump's text.
	s, err := str()
	return []byte(s), err
}

// spannerKey is a row's primary key as Spanner values.
func spannerKey(t *testing.T, cols []schema.Column, key [][]byte) spanner.Key {
	var k spanner.Key
	i := 0
	for _, c := range cols {
		if c.Role != schema.PartitionKey && c.Role != schema.Clustering {
			continue
		}
		typ := cqlType(t, c)
		js, err := format.AppendValue(nil, typ, key[i])
		if err != nil {
			t.Fatal(err)
		}
		i++
		switch typ.Kind {
		case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint:
			n, err := strconv.ParseInt(string(js), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			k = append(k, n)
		case schema.Blob:
			var s string
			json.Unmarshal(js, &s)
			b, _ := hex.DecodeString(strings.TrimPrefix(s, "0x"))
			k = append(k, b)
		default:
			var s string
			if err := json.Unmarshal(js, &s); err != nil {
				t.Fatalf("key column %s: the harness handles integer, blob and string keys", c.Name)
			}
			k = append(k, s)
		}
	}
	return k
}

func (h *harness) apply(t *testing.T, ms ...*spanner.Mutation) {
	t.Helper()
	if _, err := h.client.Apply(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) ddl(t *testing.T, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	op, err := h.admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: testDB, Statements: stmts})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("%v: %v", stmts, err)
	}
}

func (h *harness) DeleteRow(t *testing.T, _, table string, cols []schema.Column, key [][]byte) {
	h.apply(t, spanner.Delete(table, spannerKey(t, cols, key)))
}

func (h *harness) ChangeValue(t *testing.T, _, table string, cols []schema.Column, key [][]byte, col string) {
	var names []string
	var vals []any
	for _, c := range cols {
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			names = append(names, c.Name)
		}
	}
	for _, v := range spannerKey(t, cols, key) {
		vals = append(vals, v)
	}
	h.apply(t, spanner.Update(table, append(names, col), append(vals, "changed behind the loader's back")))
}

func (h *harness) DropTable(t *testing.T, _, table string) {
	h.ddl(t, "DROP TABLE "+table)
}

// smallDDL maps the types of the suite's synthetic tables.
var smallDDL = map[string]string{"int": "INT64", "text": "STRING(MAX)", "blob": "BYTES(MAX)", "list<int>": "ARRAY<INT64>", "set<int>": "ARRAY<INT64>"}

func (h *harness) CreateMismatched(t *testing.T, _, name string, tbl schema.Table, col string) string {
	var b strings.Builder
	var keys []string
	fmt.Fprintf(&b, "CREATE TABLE %s (", name)
	for _, c := range tbl.Columns {
		typ, ok := smallDDL[c.Type]
		if !ok {
			t.Fatalf("column %s: no DDL for %s", c.Name, c.Type)
		}
		if c.Name == col {
			if typ == "INT64" {
				typ = "STRING(MAX)"
			} else {
				typ = "INT64"
			}
		}
		fmt.Fprintf(&b, "%s %s, ", c.Name, typ)
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			keys = append(keys, c.Name)
		}
	}
	fmt.Fprintf(&b, ") PRIMARY KEY (%s)", strings.Join(keys, ", "))
	h.ddl(t, b.String())
	return "column " + col
}

// RefusedKey is a blob key over Spanner's 8 KiB key limit.
func (h *harness) RefusedKey() ([]byte, string) {
	return make([]byte, 9000), "8192"
}
