package bigtable

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

func dynamoKeyTable(t *testing.T, hashType, rangeType string) *Table {
	t.Helper()
	dk, err := dynamoKeyOf(&manifest.DynamoDBTable{
		KeySchema:  []manifest.DynamoDBKey{{Name: "pk", Role: "HASH"}, {Name: "sk", Role: "RANGE"}},
		Attributes: []manifest.DynamoDBAttribute{{Name: "pk", Type: hashType}, {Name: "sk", Type: rangeType}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Table{dyn: dk}
}

// TestDynamoRowKey: the documented example key (docs/format.md), and
// keys of random items sort as DynamoDB sorts them (partition key
// bytewise, then a numeric sort key by value) and decode back to the
// key attributes' values.
func TestDynamoRowKey(t *testing.T) {
	tb := dynamoKeyTable(t, "S", "N")
	key, err := tb.dynamoRowKey(format.DynamoItem{"pk": {Kind: format.DynamoS, S: "a"}, "sk": {Kind: format.DynamoN, S: "15"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(key), "610001028000000202060000000000"; got != want {
		t.Errorf("key of (a, 15): %s, docs/format.md says %s", got, want)
	}
	type kv struct {
		pk  string
		sk  *big.Rat
		key []byte
	}
	r := rand.New(rand.NewPCG(1, 2))
	numbers := []string{"0", "-0.5", "1E+125", "-1E+125", "1E-130", "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999", "7", "7.000001", "100", "1E+2"}
	var kvs []kv
	for i := range 400 {
		n := numbers[i%len(numbers)]
		if i >= len(numbers) {
			n = big.NewRat(r.Int64N(2000)-1000, r.Int64N(50)+1).FloatString(r.IntN(4))
		}
		pk := string([]byte{byte('a' + r.IntN(3)), byte(r.IntN(3))})[:1+r.IntN(2)]
		item := format.DynamoItem{"pk": {Kind: format.DynamoS, S: pk}, "sk": {Kind: format.DynamoN, S: n}}
		key, err := tb.dynamoRowKey(item)
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		sk, _ := new(big.Rat).SetString(n)
		kvs = append(kvs, kv{pk, sk, key})
		dec, err := decodeKey(key, tb.dyn.cols, 2)
		if err != nil || string(dec[0]) != pk {
			t.Fatalf("key %x: %v %q", key, err, dec)
		}
		back, err := format.AppendValue(nil, dynamoKeyTypes["N"], dec[1])
		if got, _ := new(big.Rat).SetString(string(back)); err != nil || got.Cmp(sk) != 0 {
			t.Fatalf("sort key %s decodes to %s (%v)", n, back, err)
		}
	}
	slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.key, b.key) })
	for i := 1; i < len(kvs); i++ {
		a, b := kvs[i-1], kvs[i]
		if a.pk > b.pk || a.pk == b.pk && a.sk.Cmp(b.sk) > 0 {
			t.Fatalf("key order: (%q, %s) before (%q, %s)", a.pk, a.sk.RatString(), b.pk, b.sk.RatString())
		}
	}
	if _, err := tb.dynamoRowKey(format.DynamoItem{"pk": {Kind: format.DynamoS, S: "a"}}); err == nil {
		t.Error("an item without its sort key got a row key")
	}
	if _, err := tb.dynamoRowKey(format.DynamoItem{"pk": {Kind: format.DynamoB, B: []byte("a")}, "sk": {Kind: format.DynamoN, S: "1"}}); err == nil {
		t.Error("a B partition key of a table declaring S got a row key")
	}
}
