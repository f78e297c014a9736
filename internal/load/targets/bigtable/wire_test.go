package bigtable

import (
	"bytes"
	"strings"
	"testing"

	"cloud.google.com/go/bigtable/apiv2/bigtablepb"
	"google.golang.org/protobuf/proto"
)

// TestEncodeEntryMatchesProto: the entries and requests the loader
// encodes itself are byte for byte what proto.Marshal makes of the same
// messages, for the fields' default values (left out), long values
// (multi-byte lengths) and large timestamps.
func TestEncodeEntryMatchesProto(t *testing.T) {
	long := []byte(strings.Repeat("v", 70_000))
	cases := []struct {
		key   []byte
		cells []wireCell
	}{
		{key: []byte{0}, cells: []wireCell{{qualifier: "", ts: 0}}},
		{key: []byte("k\x00\x01"), cells: []wireCell{{qualifier: "", ts: 1_700_000_000_000_000}, {qualifier: "name", ts: 1000, value: []byte("x")}}},
		{key: bytes.Repeat([]byte{0xff}, 300), cells: []wireCell{{qualifier: "body", ts: 0, value: long}, {qualifier: strings.Repeat("q", 200), ts: 1 << 62, value: nil}}},
	}
	var entries []*entry
	want := &bigtablepb.MutateRowsRequest{TableName: "projects/p/instances/i/tables/t", AppProfileId: "batch"}
	for _, c := range cases {
		pe := &bigtablepb.MutateRowsRequest_Entry{RowKey: c.key}
		for _, wc := range c.cells {
			pe.Mutations = append(pe.Mutations, &bigtablepb.Mutation{Mutation: &bigtablepb.Mutation_SetCell_{SetCell: &bigtablepb.Mutation_SetCell{
				FamilyName: "cf", ColumnQualifier: []byte(wc.qualifier), TimestampMicros: wc.ts, Value: wc.value,
			}}})
		}
		wantEntry, err := proto.Marshal(pe)
		if err != nil {
			t.Fatal(err)
		}
		e := newEntry(c.key, "cf", c.cells)
		if !bytes.Equal(e.wire, wantEntry) {
			t.Errorf("entry of key %x: encoded %d bytes, proto.Marshal %d bytes, differ", c.key[:1], len(e.wire), len(wantEntry))
		}
		if !bytes.Equal(e.key, c.key) || e.cells != len(c.cells) {
			t.Errorf("entry key %x cells %d, want %x %d", e.key, e.cells, c.key, len(c.cells))
		}
		entries = append(entries, e)
		want.Entries = append(want.Entries, pe)
	}
	wantReq, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := encodeRequest(want.TableName, want.AppProfileId, entries); !bytes.Equal(got, wantReq) {
		t.Errorf("request: encoded %d bytes, proto.Marshal %d bytes, differ", len(got), len(wantReq))
	}
	// Without an app profile the field is left out.
	want.AppProfileId = ""
	wantReq, _ = proto.Marshal(want)
	if got := encodeRequest(want.TableName, "", entries); !bytes.Equal(got, wantReq) {
		t.Errorf("request without app profile differs from proto.Marshal")
	}
}
