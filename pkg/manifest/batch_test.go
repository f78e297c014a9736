package manifest

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func exampleTableList() *TableList {
	return &TableList{Format: FormatTableList, Batch: "2026-11-22", Patterns: []string{"shop.*", "crm.users"},
		Tables:  []BatchTable{{Name: "crm.users", Table: "crm.users"}, {Name: "shop.items", Table: "shop.items"}, {Name: "shop.orders", Table: "shop.orders"}},
		Created: exTime("2026-11-22T15:45:30.418Z")}
}

func exampleBatchSuccess() *BatchSuccess {
	return &BatchSuccess{Format: FormatBatchSuccess, Tool: Tool{Name: "lading exporter", Version: "1.4.0"}, Batch: "2026-11-22",
		Dumps: []BatchDump{
			{Table: "crm.users", Timestamp: "20261122T154530Z", ManifestSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Rows: 1200, Files: 1, StoredBytes: 48211},
			{Table: "shop.orders", Timestamp: "20261122T154531Z", ManifestSHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752", Rows: 5000000, Files: 3, StoredBytes: 401875311},
		},
		Completed: exTime("2026-11-22T16:02:11.5Z")}
}

// The table list and the batch marker round-trip, and every broken
// field is named when decoding or marshalling.
func TestBatchDocuments(t *testing.T) {
	l := exampleTableList()
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeTableList(b); err != nil || !reflect.DeepEqual(got, l) {
		t.Fatalf("table list round trip: %v\n%+v", err, got)
	}
	s := exampleBatchSuccess()
	if b, err = s.Marshal(); err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeBatchSuccess(b); err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("batch marker round trip: %v\n%+v", err, got)
	}
	if k := BatchSuccessKey("b1"); k != "b1/_SUCCESS" {
		t.Fatalf("BatchSuccessKey = %q", k)
	}
	if k := TableListKey("b1"); k != "b1/_state/tables.json" {
		t.Fatalf("TableListKey = %q", k)
	}

	for _, tc := range []struct {
		name, field string
		mut         func(*TableList, *BatchSuccess)
	}{
		{"list unsorted", "tables[2].table", func(l *TableList, _ *BatchSuccess) { l.Tables[1], l.Tables[2] = l.Tables[2], l.Tables[1] }},
		{"list twice", "tables[1].table", func(l *TableList, _ *BatchSuccess) { l.Tables[1] = l.Tables[0] }},
		{"list bad table", "tables[0].table", func(l *TableList, _ *BatchSuccess) { l.Tables[0].Table = "../x" }},
		{"list no patterns", "patterns", func(l *TableList, _ *BatchSuccess) { l.Patterns = nil }},
		{"list bad batch", "batch", func(l *TableList, _ *BatchSuccess) { l.Batch = "_x" }},
		{"marker bad sha", "dumps[1].manifest_sha256", func(_ *TableList, s *BatchSuccess) { s.Dumps[1].ManifestSHA256 = "XYZ" }},
		{"marker unsorted", "dumps[1].table", func(_ *TableList, s *BatchSuccess) { s.Dumps[0], s.Dumps[1] = s.Dumps[1], s.Dumps[0] }},
		{"marker timestamp", "dumps[0].timestamp", func(_ *TableList, s *BatchSuccess) { s.Dumps[0].Timestamp = "today" }},
		{"marker empty", "dumps", func(_ *TableList, s *BatchSuccess) { s.Dumps = nil }},
		{"marker zero time", "completed", func(_ *TableList, s *BatchSuccess) { s.Completed = time.Time{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, s := exampleTableList(), exampleBatchSuccess()
			tc.mut(l, s)
			var err error
			if strings.HasPrefix(tc.name, "list") {
				_, err = l.Marshal()
			} else {
				_, err = s.Marshal()
			}
			if de, ok := err.(*DecodeError); !ok || de.Field != tc.field {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	data, _ := exampleBatchSuccess().Marshal()
	data = []byte(strings.Replace(string(data), `"rows": 1200,`, `"rows": 1200, "extra": 1,`, 1))
	if _, err := DecodeBatchSuccess(data); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Fatalf("unknown field accepted: %v", err)
	}
}
