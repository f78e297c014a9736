package cassandra_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// cassandraHarness runs the source conformance suite against the test
// Cassandra. Its table has a composite key, a static column, a blob and
// two collections; every CQL type's exact round trip is
// internal/export's TestExportEveryTypeExact.
type cassandraHarness struct{ s *cql.Session }

func (h *cassandraHarness) URL(t testing.TB) string { return cqltest.URL(t) }

func (h *cassandraHarness) NewTable(t testing.TB, n int) (string, string) {
	ks := cqltest.Keyspace(t, h.s)
	cqltest.Exec(t, h.s, "CREATE TABLE "+ks+".t (p bigint, c int, s text STATIC, v text, b blob, l list<int>, m map<text, int>, PRIMARY KEY (p, c))")
	const per = 10
	cqltest.InsertBatches(t, h.s, "INSERT INTO "+ks+".t (p, c, s, v, b, l, m) VALUES (?, ?, ?, ?, ?, ?, ?)", n, per, 64, func(i int) []any {
		p := int64(i/per) * 7919
		return []any{p, i % per, fmt.Sprintf("static %d", p), fmt.Sprintf("value \"%d\" é", i),
			[]byte{byte(i), byte(i >> 8), 0}, []int{i, -i, 0}, map[string]int{"a": i, "b\n": -1}}
	})
	return ks + ".t", ks + ".t"
}

func (h *cassandraHarness) Rows(t testing.TB, table string) []string {
	iter := h.s.Driver().Query("SELECT p, c, s, v, b, l, m FROM " + table).Iter()
	var (
		p    int64
		c    int
		s, v string
		b    []byte
		l    []int
		m    map[string]int
		out  []string
	)
	for iter.Scan(&p, &c, &s, &v, &b, &l, &m) {
		row := map[string]any{"p": p, "c": c, "s": s, "v": v, "b": "0x" + hex.EncodeToString(b), "l": l, "m": m}
		data, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
		m = nil
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Canonical re-marshals a dump line with sorted keys (numbers kept as
// their text).
func (h *cassandraHarness) Canonical(t testing.TB, _ *manifest.Manifest, line []byte) string {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
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
	sourcetest.RunConformance(t, &cassandraHarness{s: cqltest.Session(t)})
}
