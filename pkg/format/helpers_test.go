package format

import (
	"encoding/binary"
	"math"
	"math/big"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// Builders of CQL serialized values, written independently of the codec
// (two's complement by modular arithmetic, lengths by hand) so that tests
// compare the codec with something else than itself.

func i8(v int8) []byte   { return []byte{byte(v)} }
func i16(v int16) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func i32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func i64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
func f32(v float32) []byte {
	return binary.BigEndian.AppendUint32(nil, math.Float32bits(v))
}
func f64(v float64) []byte {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(v))
}
func f32bits(u uint32) []byte { return binary.BigEndian.AppendUint32(nil, u) }
func f64bits(u uint64) []byte { return binary.BigEndian.AppendUint64(nil, u) }

// vi returns x as a minimal two's complement varint: x mod 2^(8n) for the
// smallest n whose signed range holds x.
func vi(x *big.Int) []byte {
	n := 1
	for {
		lim := new(big.Int).Lsh(big.NewInt(1), uint(8*n-1))
		if x.Cmp(lim) < 0 && x.Cmp(new(big.Int).Neg(lim)) >= 0 {
			break
		}
		n++
	}
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	v := new(big.Int).Mod(x, mod)
	return v.FillBytes(make([]byte, n))
}

func bi(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic("bad big " + s)
	}
	return x
}

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }
func neg(x *big.Int) *big.Int {
	return new(big.Int).Neg(x)
}

func dec(unscaled *big.Int, scale int32) []byte { return append(i32(scale), vi(unscaled)...) }

// frame joins elements as [int32 len][bytes], nil as -1.
func frame(elems ...[]byte) []byte {
	var out []byte
	for _, e := range elems {
		if e == nil {
			out = append(out, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		out = append(out, i32(int32(len(e)))...)
		out = append(out, e...)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// coll is a list, set or map (pass keys and values alternately).
func coll(n int, elems ...[]byte) []byte { return append(i32(int32(n)), frame(elems...)...) }

func uvint(v uint64) []byte {
	// Independent of appendUvint: count bytes, then set the leading ones.
	n := 1
	for n < 9 && v >= uint64(1)<<(7*n) {
		n++
	}
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	if n == 9 {
		b[0] = 0xff
	} else {
		b[0] |= byte(0xff << (9 - n))
	}
	return b
}

func zz(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func dur(months, days int32, nanos int64) []byte {
	var b []byte
	b = append(b, uvint(zz(int64(months)))...)
	b = append(b, uvint(zz(int64(days)))...)
	return append(b, uvint(zz(nanos))...)
}

func cat(parts ...[]byte) []byte {
	out := []byte{}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// varvec prefixes each element with its unsigned vint length.
func varvec(elems ...[]byte) []byte {
	out := []byte{}
	for _, e := range elems {
		out = append(out, uvint(uint64(len(e)))...)
		out = append(out, e...)
	}
	return out
}

func mustType(t testing.TB, s string, udts schema.UserTypes) *schema.Type {
	t.Helper()
	ty, err := schema.Parse(s, udts)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// testUserTypes are the user types the tests use.
func testUserTypes() []schema.UserType {
	return []schema.UserType{
		{Name: "address", Fields: []schema.Field{
			{Name: "street", Type: "text"}, {Name: "zip", Type: "int"}, {Name: "tags", Type: "frozen<set<text>>"},
		}},
		{Name: "person", Fields: []schema.Field{
			{Name: "name", Type: "text"}, {Name: "home", Type: "frozen<address>"},
			{Name: "Odd \"Name\"", Type: "list<frozen<address>>"},
		}},
	}
}

// kvTable is a table of a partition key k int and a regular column v.
func kvTable(t testing.TB, typ string) *schema.Table {
	t.Helper()
	tb := &schema.Table{Keyspace: "ks", Name: "t", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "v", Type: typ, Role: schema.Regular},
	}, UserTypes: testUserTypes()}
	if err := tb.Resolve(); err != nil {
		t.Fatal(err)
	}
	return tb
}

func udtsOf(t testing.TB) schema.UserTypes {
	t.Helper()
	tb := kvTable(t, "int")
	m := schema.UserTypes{}
	for i := range tb.UserTypes {
		m[tb.UserTypes[i].Name] = &tb.UserTypes[i]
	}
	return m
}
