package cassandra_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// cassandraHarness runs the source conformance suite against the test
// Cassandra. Its table has a composite key, a static column and a column
// of every CQL type but counter (which cannot share a table; its round
// trip is internal/export's): each row is written as the dump's JSON
// (pkg/format turns it into the native protocol's bytes), and the suite
// compares the bytes Cassandra returns for every cell with the bytes the
// dump's line decodes to.
type cassandraHarness struct {
	s *cql.Session
	// cols is every, less the types the server lacks (vector before 5.0).
	cols []typedColumn
}

// newCassandraHarness reads the server's version for the columns it can
// hold.
func newCassandraHarness(t testing.TB) *cassandraHarness {
	s := cqltest.Session(t)
	info, err := cql.ReadCluster(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	cols := every
	if cql.MajorVersion(info.ReleaseVersion) < 5 { // vector<> came in 5.0
		cols = slices.DeleteFunc(slices.Clone(every), func(c typedColumn) bool { return strings.HasPrefix(c.cqlType, "vector<") })
	}
	return &cassandraHarness{s: s, cols: cols}
}

// typedColumn is one value column of the harness table and the JSON of
// its value in row i ("" leaves it absent, i.e. null).
type typedColumn struct {
	name, cqlType string
	json          func(i int) string
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// every is the harness table's value columns: every CQL type, with
// values that vary by row and reach the edges now and then.
var every = []typedColumn{
	{"st", "text STATIC", func(i int) string { return quote(fmt.Sprintf("static %d", i/per)) }},
	{"a", "ascii", func(i int) string { return quote(fmt.Sprintf("a%d", i)) }},
	{"bi", "bigint", func(i int) string {
		if i%97 == 0 {
			return "-9223372036854775808"
		}
		return fmt.Sprint(int64(i) * 1000000007 * int64(1-2*(i%2)))
	}},
	{"bl", "blob", func(i int) string { return fmt.Sprintf(`"0x%04x00ff"`, i) }},
	{"bo", "boolean", func(i int) string { return fmt.Sprint(i%2 == 0) }},
	{"da", "date", func(i int) string {
		if i%101 == 0 {
			return `"-5877641-06-23"`
		}
		return fmt.Sprintf(`"2026-%02d-%02d"`, i%12+1, i%28+1)
	}},
	{"de", "decimal", func(i int) string { return fmt.Sprintf("-%d.%09d", i*12345678901, i) }},
	{"do", "double", func(i int) string {
		if i%89 == 0 {
			return `"NaN"`
		}
		return fmt.Sprintf("%d.125", i-1000)
	}},
	{"du", "duration", func(i int) string { return fmt.Sprintf(`"%dmo%dd%dns"`, i%12+1, i%27+1, i+1) }},
	{"fl", "float", func(i int) string { return fmt.Sprintf("%d.25", i) }},
	{"ip", "inet", func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf(`"2001:db8::%x"`, i)
		}
		return fmt.Sprintf(`"10.0.%d.%d"`, i/256%256, i%256)
	}},
	{"i", "int", func(i int) string { return fmt.Sprint(-i * 7919) }},
	{"si", "smallint", func(i int) string { return fmt.Sprint(i*13%65536 - 32768) }},
	{"te", "text", func(i int) string {
		if i%7 == 3 {
			return ""
		}
		return quote(fmt.Sprintf("héllo \"%d\" \n中😀", i))
	}},
	{"ti", "time", func(i int) string { return fmt.Sprintf(`"%02d:%02d:%02d.%09d"`, i%24, i%60, i%60, i*7) }},
	{"ts", "timestamp", func(i int) string {
		return quote(time.UnixMilli(int64(i)*86400123 - 1e12).UTC().Format("2006-01-02T15:04:05.000Z"))
	}},
	{"tu", "timeuuid", func(i int) string { return fmt.Sprintf(`"50554d6e-29bb-11e5-b345-feff819c%04x"`, i%65536) }},
	{"tin", "tinyint", func(i int) string { return fmt.Sprint(i%256 - 128) }},
	{"u", "uuid", func(i int) string { return fmt.Sprintf(`"123e4567-e89b-12d3-a456-%012x"`, i) }},
	{"vc", "varchar", func(i int) string { return quote(strings.Repeat("v", i%5)) }},
	{"vi", "varint", func(i int) string { return fmt.Sprintf("-12345678901234567890123456789%d", i) }},
	{"li", "list<int>", func(i int) string { return fmt.Sprintf("[%d, %d, %d]", i, -i, i) }},
	{"se", "set<text>", func(i int) string { return fmt.Sprintf(`["x%05d", "y"]`, i) }},
	{"ma", "map<text, int>", func(i int) string { return fmt.Sprintf(`{"a": %d, "b\n": -1}`, i) }},
	{"mi", "map<int, text>", func(i int) string { return fmt.Sprintf(`[[%d, "three"], [%d, ""]]`, -i, i+1) }},
	{"fli", "frozen<list<int>>", func(i int) string { return fmt.Sprintf("[%d]", i) }},
	{"tup", "tuple<int, text>", func(i int) string {
		if i%5 == 0 {
			return "[null, null]"
		}
		return fmt.Sprintf(`[%d, "t%d"]`, i, i)
	}},
	{"ud", "addr", func(i int) string { return fmt.Sprintf(`{"street": "s%d", "zip": %d}`, i, i) }},
	{"fud", "frozen<addr>", func(i int) string { return fmt.Sprintf(`{"street": null, "zip": %d}`, -i) }},
	{"ve", "vector<float, 3>", func(i int) string { return fmt.Sprintf(`[1.5, "-Infinity", %d]`, i) }},
	{"nest", "map<int, frozen<list<frozen<addr>>>>", func(i int) string {
		return fmt.Sprintf(`[[%d, [{"street": "n", "zip": 2}]]]`, i)
	}},
}

// per is rows a partition.
const per = 10

func (h *cassandraHarness) URL(t testing.TB) string { return cqltest.URL(t) }

func (h *cassandraHarness) NewTable(t testing.TB, n int) (string, string) {
	ks := cqltest.Keyspace(t, h.s)
	cols := []string{"k bigint", "c int"}
	names := []string{"k", "c"}
	for _, c := range h.cols {
		cols = append(cols, c.name+" "+c.cqlType)
		names = append(names, c.name)
	}
	cqltest.Exec(t, h.s, "CREATE TYPE "+ks+".addr (street text, zip int)",
		"CREATE TABLE "+ks+".t ("+strings.Join(cols, ", ")+", PRIMARY KEY (k, c))")
	tab, _, err := cql.ReadTable(context.Background(), h.s, ks, "t")
	if err != nil {
		t.Fatal(err)
	}
	dec, err := format.NewDecoder(tab, names, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Each row's values as the native protocol's bytes, decoded from
	// the dump's JSON of the row (one decoder: not concurrently).
	values := make([][]any, n)
	for i := range n {
		line := fmt.Sprintf(`{"k":%d,"c":%d`, int64(i/per)*7919, i%per)
		for _, c := range h.cols {
			if v := c.json(i); v != "" {
				line += fmt.Sprintf(",%q:%s", c.name, v)
			}
		}
		var r format.Row
		if err := dec.DecodeRow([]byte(line+"}"), &r); err != nil {
			t.Fatalf("row %d: %v\n%s}", i, err, line)
		}
		for j, v := range r.Values {
			if names[j] == "tup" {
				values[i] = append(values[i], tupleElems(v)...)
				continue
			}
			values[i] = append(values[i], cql.Raw(slices.Clone(v)))
		}
	}
	// The driver cannot bind a tuple as one value: it takes a tuple
	// literal of markers, one value an element (as the Cassandra target
	// writes tuples).
	marks := make([]string, len(names))
	for j, name := range names {
		marks[j] = "?"
		if name == "tup" {
			marks[j] = "(?, ?)"
		}
	}
	cqltest.InsertBatches(t, h.s, "INSERT INTO "+ks+".t ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", n, per, 64,
		func(i int) []any { return values[i] })
	return ks + ".t", ks + ".t"
}

// tupleElems splits a tuple's native encoding into its elements.
func tupleElems(v []byte) []any {
	var out []any
	for len(v) >= 4 {
		n := int32(binary.BigEndian.Uint32(v))
		v = v[4:]
		if n < 0 {
			out = append(out, cql.Raw(nil))
			continue
		}
		out = append(out, cql.Raw(slices.Clone(v[:n])))
		v = v[n:]
	}
	return out
}

// cell renders one cell's bytes for comparing ("-" for null).
func cell(name string, v []byte) string {
	if v == nil {
		return name + "=-"
	}
	return name + "=" + hex.EncodeToString(v)
}

// Rows reads every cell's bytes as Cassandra returns them (a tuple
// column element by element, as gocql scans it, put together again).
func (h *cassandraHarness) Rows(t testing.TB, table string) []string {
	names := []string{"k", "c"}
	for _, c := range h.cols {
		names = append(names, c.name)
	}
	iter := h.s.Driver().Query("SELECT " + strings.Join(names, ", ") + " FROM " + table).Iter()
	raw := make([]cql.Raw, len(names)+1) // the tuple takes two
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	tup := slices.IndexFunc(h.cols, func(c typedColumn) bool { return c.name == "tup" }) + 2
	var out []string
	for iter.Scan(dest...) {
		var row []string
		for i, j := 0, 0; i < len(names); i, j = i+1, j+1 {
			v := []byte(raw[j])
			if i == tup {
				a, b := []byte(raw[j]), []byte(raw[j+1])
				v, j = cqltest.TupleWire(a, b), j+1
			}
			row = append(row, cell(names[i], v))
		}
		out = append(out, strings.Join(row, " "))
		clear(raw)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Canonical decodes a dump line with the manifest's schema into the
// native protocol's bytes, rendered as Rows renders Cassandra's.
func (h *cassandraHarness) Canonical(t testing.TB, m *manifest.Manifest, line []byte) string {
	dec, err := format.NewDecoder(&m.Source.Table, m.Options.Columns, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var r format.Row
	if err := dec.DecodeRow(line, &r); err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for i, name := range m.Options.Columns {
		byName[name] = r.Values[i]
	}
	row := []string{cell("k", byName["k"]), cell("c", byName["c"])}
	for _, c := range h.cols {
		row = append(row, cell(c.name, byName[c.name]))
	}
	return strings.Join(row, " ")
}

// ChangeSchema adds a column.
func (h *cassandraHarness) ChangeSchema(t testing.TB, table string) {
	cqltest.Exec(t, h.s, "ALTER TABLE "+table+" ADD extra int")
}

func (h *cassandraHarness) SlowArgs() []string { return []string{"--max-rate", "300"} }

func (h *cassandraHarness) Args() []string {
	return []string{"--page-size", "50", "--part-size", "4KiB", "--log-level", "warn"}
}

func TestCassandraConformance(t *testing.T) {
	sourcetest.RunConformance(t, newCassandraHarness(t))
}
