package cassandra_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestConformance runs the target suite against the test Cassandra.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and kills the loader")
	}
	hosts := testenv.CassandraHosts(t)
	cfg, err := cql.ParseURL("cassandra://" + hosts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cql.Connect(context.Background(), cfg, cql.Options{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(sess.Close)
	targettest.RunConformance(t, &harness{hosts: hosts, s: sess.Driver()})
}

// harness reaches the test Cassandra directly. Cassandra holds every CQL
// type exactly: it is the source's own kind.
type harness struct {
	hosts string
	s     *gocql.Session
}

func (h *harness) exec(t *testing.T, stmt string, args ...any) {
	t.Helper()
	if err := h.s.Query(stmt, args...).Consistency(gocql.One).Exec(); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// keyspace is the keyspace a target URL names.
func keyspace(target string) string { return target[strings.LastIndex(target, "/")+1:] }

func (h *harness) NewTarget(t *testing.T) string {
	suffix := make([]byte, 4)
	rand.Read(suffix)
	ks := "conf_" + hex.EncodeToString(suffix)
	h.exec(t, "CREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	t.Cleanup(func() { h.s.Query("DROP KEYSPACE IF EXISTS " + ks).Exec() })
	return "cassandra://" + h.hosts + "/" + ks
}

func (h *harness) Holds(string) targettest.Holding { return targettest.Exact }

func (h *harness) ReadRows(t *testing.T, target, table string, cols []schema.Column) []format.Row {
	t.Helper()
	names := make([]string, len(cols))
	tuples := make([]int, len(cols)) // elements of a top-level tuple column
	for i, c := range cols {
		names[i] = c.Name
		if strings.HasPrefix(strings.TrimPrefix(c.Type, "frozen<"), "tuple<") {
			typ, err := schema.Parse(c.Type, nil)
			if err != nil {
				t.Fatalf("column %s: %v", c.Name, err)
			}
			tuples[i] = len(typ.Params)
		}
	}
	iter := h.s.Query("SELECT " + strings.Join(names, ", ") + " FROM " + keyspace(target) + "." + table).Consistency(gocql.One).Iter()
	var out []format.Row
	for {
		vals := make([]cql.Raw, len(cols))
		elems := make([][]tupleElem, len(cols))
		var dest []any
		for i := range vals {
			if tuples[i] == 0 {
				dest = append(dest, &vals[i])
				continue
			}
			// gocql scans a tuple into one destination per element.
			elems[i] = make([]tupleElem, tuples[i])
			for j := range elems[i] {
				dest = append(dest, &elems[i][j])
			}
		}
		if !iter.Scan(dest...) {
			break
		}
		r := format.Row{Values: make([][]byte, len(cols))}
		for i, v := range vals {
			if elems[i] != nil {
				r.Values[i] = tupleBytes(elems[i])
			} else if v != nil {
				r.Values[i] = bytes.Clone(v)
			}
		}
		out = append(out, r)
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// tupleElem is one element of a top-level tuple column as read.
type tupleElem struct{ v []byte }

func (e *tupleElem) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	e.v = bytes.Clone(data)
	return nil
}

// tupleBytes is a tuple's wire form ([int32 length][bytes] per element,
// -1 for null), nil when every element is null (a null tuple).
func tupleBytes(es []tupleElem) []byte {
	var out []byte
	null := true
	for _, e := range es {
		if e.v == nil {
			out = binary.BigEndian.AppendUint32(out, 0xffffffff)
			continue
		}
		null = false
		out = binary.BigEndian.AppendUint32(out, uint32(len(e.v)))
		out = append(out, e.v...)
	}
	if null {
		return nil
	}
	return out
}

// where renders the primary key condition and its values.
func where(cols []schema.Column, key [][]byte) (string, []any) {
	var conds []string
	var args []any
	i := 0
	for _, c := range cols {
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			conds = append(conds, c.Name+" = ?")
			args = append(args, cql.Raw(key[i]))
			i++
		}
	}
	return strings.Join(conds, " AND "), args
}

func (h *harness) DeleteRow(t *testing.T, target, table string, cols []schema.Column, key [][]byte) {
	cond, args := where(cols, key)
	h.exec(t, "DELETE FROM "+keyspace(target)+"."+table+" WHERE "+cond, args...)
}

func (h *harness) ChangeValue(t *testing.T, target, table string, cols []schema.Column, key [][]byte, col string) {
	cond, args := where(cols, key)
	h.exec(t, "UPDATE "+keyspace(target)+"."+table+" SET "+col+" = ? WHERE "+cond, append([]any{cql.Raw("changed behind the loader's back")}, args...)...)
}

func (h *harness) DropTable(t *testing.T, target, table string) {
	h.exec(t, "DROP TABLE "+keyspace(target)+"."+table)
}

func (h *harness) CreateMismatched(t *testing.T, target, name string, tbl schema.Table, col string) string {
	tbl.Columns = append([]schema.Column(nil), tbl.Columns...)
	for i := range tbl.Columns {
		tbl.Columns[i].T = nil
		if tbl.Columns[i].Name == col {
			if tbl.Columns[i].Type == "int" {
				tbl.Columns[i].Type = "text"
			} else {
				tbl.Columns[i].Type = "int"
			}
		}
	}
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	h.exec(t, tbl.CreateTableCQL(keyspace(target), name))
	return "column " + col
}

// RefusedKey is a partition key over Cassandra's 65535-byte limit.
func (h *harness) RefusedKey() ([]byte, string) {
	return bytes.Repeat([]byte{'k'}, 70000), "65535"
}
