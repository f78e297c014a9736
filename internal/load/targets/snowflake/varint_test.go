package snowflake

import (
	"math/big"
	"testing"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestVarint38Mapping proves what the loader sends for a varint, which
// the stand-in cannot hold past 64 bits (README.md): the column is
// NUMBER(38,0), COPY casts the JSON value to it, and the dump writes a
// 38-digit varint as a bare JSON number of exactly its digits, which
// Snowflake's PARSE_JSON keeps as an exact fixed-point number (a value
// past 38 digits then fails the cast: a rejected row, never a rounded
// one).
func TestVarint38Mapping(t *testing.T) {
	typ := &schema.Type{Kind: schema.Varint}
	m := mapType(typ)
	if m.DDL != "NUMBER(38,0)" || m.conv(`$1:"v"`) != `$1:"v"::NUMBER(38,0)` {
		t.Fatalf("varint maps to %s via %s, want NUMBER(38,0) via a cast", m.DDL, m.conv(`$1:"v"`))
	}
	max38, _ := new(big.Int).SetString("99999999999999999999999999999999999999", 10)
	for _, v := range []*big.Int{max38, new(big.Int).Neg(max38)} {
		raw := twosComplement(v)
		got, err := format.AppendValue(nil, typ, raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != v.String() {
			t.Errorf("varint %s is written as %s, want its digits as a bare JSON number", v, got)
		}
		back, err := format.ParseValue(typ, got)
		if err != nil || string(back) != string(raw) {
			t.Errorf("varint %s does not read back exactly: %x, %v", v, back, err)
		}
	}
}

// twosComplement is v as CQL serializes a varint: minimal big-endian
// two's complement.
func twosComplement(v *big.Int) []byte {
	if v.Sign() >= 0 {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	n := len(v.Bytes()) + 1
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	b := new(big.Int).Add(mod, v).Bytes()
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}
