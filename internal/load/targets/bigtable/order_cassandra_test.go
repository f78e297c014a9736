package bigtable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestRowKeyOrderMatchesCassandra asks a real Cassandra for the order:
// random values of every key type (and nested ones) are written as two
// clustering columns, one ASC and one DESC; the rows Cassandra returns,
// in its order, have strictly increasing row keys.
func TestRowKeyOrderMatchesCassandra(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	r := rand.New(rand.NewPCG(3, 4))
	// The user types of keyTypes (keyUDTs), their values with every
	// field (see fullUDTs).
	cqltest.Exec(t, s, "CREATE TYPE "+ks+".pt (x int, label text, amount decimal)", "CREATE TYPE "+ks+".outer (p frozen<pt>, n varint)")
	fullUDTs = true
	t.Cleanup(func() { fullUDTs = false })
	var types []string
	for _, ty := range keyTypes {
		if ty != "counter" {
			types = append(types, ty)
		}
	}
	for i, ty := range types {
		t.Run(strings.NewReplacer("<", "_", ">", "_", ",", "", " ", "").Replace(ty), func(t *testing.T) {
			name := fmt.Sprintf("%s.o%d", ks, i)
			cqltest.Exec(t, s, fmt.Sprintf("CREATE TABLE %s (k int, c %s, d %s, PRIMARY KEY (k, c, d)) WITH CLUSTERING ORDER BY (c ASC, d DESC)", name, ty, ty))
			typ := mustType(t, ty)
			for range 150 {
				c, d := genValue(r, typ), genValue(r, typ)
				if r.IntN(3) == 0 {
					d = c // equal first columns, the second decides
				}
				mark, args := bindOne(typ, c)
				mark2, args2 := bindOne(typ, d)
				if err := s.Driver().Query("INSERT INTO "+name+" (k, c, d) VALUES (0, "+mark+", "+mark2+")", append(args, args2...)...).Exec(); err != nil {
					t.Fatalf("insert %x %x: %v", c, d, err)
				}
			}
			cols := []keyCol{{name: "k", t: mustType(t, "int")}, {name: "c", t: typ}, {name: "d", t: typ, desc: true}}
			iter := s.Driver().Query("SELECT k, c, d FROM " + name + " WHERE k = 0").Iter()
			var k cql.Raw
			width := 1
			if typ.Kind == schema.Tuple {
				width = len(typ.Params)
			}
			parts := make([]cql.Raw, 2*width)
			dest := []any{&k}
			for i := range parts {
				dest = append(dest, &parts[i])
			}
			join := func(ps []cql.Raw) []byte {
				if typ.Kind != schema.Tuple {
					return ps[0]
				}
				var out []byte
				for _, p := range ps {
					out = appendWireElem(out, p)
				}
				return out
			}
			var prev []byte
			var prevVals string
			n := 0
			for iter.Scan(dest...) {
				c, d := join(parts[:width]), join(parts[width:])
				key, err := encodeKey(nil, cols, [][]byte{k, c, d})
				if err != nil {
					t.Fatal(err)
				}
				vals := fmt.Sprintf("(%x, %x)", []byte(c), []byte(d))
				if prev != nil && bytes.Compare(prev, key) >= 0 {
					t.Fatalf("Cassandra orders %s before %s, the row keys do not: %x >= %x", prevVals, vals, prev, key)
				}
				prev, prevVals = key, vals
				n++
			}
			if err := iter.Close(); err != nil {
				t.Fatal(err)
			}
			if n < 4 || typ.Kind != schema.Boolean && n < 50 {
				t.Fatalf("only %d rows read back", n)
			}
		})
	}
}

// bindOne returns the bind markers and values of one value: the driver
// cannot bind a top-level tuple whole, so its elements go one by one.
func bindOne(typ *schema.Type, v []byte) (string, []any) {
	if typ.Kind != schema.Tuple {
		return "?", []any{cql.Raw(v)}
	}
	var marks []string
	var args []any
	for range typ.Params {
		e, rest, _ := wireElem(v)
		v = rest
		marks = append(marks, "?")
		args = append(args, cql.Raw(e))
	}
	return "(" + strings.Join(marks, ", ") + ")", args
}
