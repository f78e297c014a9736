package format

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDynamoTypedGolden: the golden item in DynamoDB JSON
// (testdata/golden/dynamodb_typed.json) decodes back to exactly the item,
// every type distinguishable: a map that looks like a set stays a map,
// binary stays binary, 38 digits stay.
func TestDynamoTypedGolden(t *testing.T) {
	text, err := AppendDynamoTypedMap(nil, dynamoGolden())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "dynamodb_typed.json")
	if *update {
		if err := os.WriteFile(path, append(text, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(text, '\n'), want) {
		t.Fatalf("encoding changed (go test -run TestDynamoTypedGolden -update rewrites it):\ngot  %s\nwant %s", text, want)
	}
	back, err := DecodeDynamoTypedMap(text)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := AppendDynamoItem(nil, dynamoGolden())
	b, err := AppendDynamoItem(nil, back)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("round trip: %v\n%s\n%s", err, a, b)
	}
	for _, bad := range []string{`{"S":"a","N":"1"}`, `{"X":1}`, `{"N":"1e"}`, `{"SS":[]}`, `{"NULL":false}`, `{"B":"***"}`} {
		if v, err := DecodeDynamoTyped([]byte(bad)); err == nil {
			t.Errorf("%s decoded to %+v, want an error", bad, v)
		}
	}
}

// FuzzDecodeDynamoTyped: what decodes encodes to a text that decodes to
// the same value.
func FuzzDecodeDynamoTyped(f *testing.F) {
	for _, v := range dynamoGolden() {
		text, err := AppendDynamoTyped(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		v, err := DecodeDynamoTyped(text)
		if err != nil {
			return
		}
		once, err := AppendDynamoTyped(nil, v)
		if err != nil {
			return // e.g. a set with a duplicate member: DynamoDB has none
		}
		w, err := DecodeDynamoTyped(once)
		if err != nil {
			t.Fatalf("%s: re-decoding %s: %v", text, once, err)
		}
		twice, _ := AppendDynamoTyped(nil, w)
		if !bytes.Equal(once, twice) {
			t.Fatalf("%s: %s then %s", text, once, twice)
		}
	})
}
