package manifest

import (
	"reflect"
	"strings"
	"testing"
)

func exampleDeleted() *DeletedDump {
	return &DeletedDump{Format: FormatDeleted, Batch: "2026-11-22", Table: "shop.orders", Timestamp: "20261122T154530Z",
		ManifestSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		ShippedTo:      "gs://dr-dumps/prod/2026-11-22/shop.orders/20261122T154530Z",
		Deleted:        exTime("2026-11-22T16:02:11.5Z")}
}

// The deleted-dump note round-trips and is decoded strictly: each broken
// field is named.
func TestDeletedDump(t *testing.T) {
	d := exampleDeleted()
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeDeletedDump(b)
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, got, d)
	}
	if k := DeletedKey("2026-11-22", "shop.orders"); k != "2026-11-22/shop.orders/_state/deleted.json" {
		t.Fatalf("DeletedKey = %q", k)
	}
	tests := []struct {
		name, from, to, field string
	}{
		{"other version", `"lading/deleted/v1"`, `"lading/deleted/v9"`, "format"},
		{"bad batch", `"batch": "2026-11-22"`, `"batch": "../x"`, "batch"},
		{"bad sha", `"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`, `"9F86"`, "manifest_sha256"},
		{"empty destination", `"gs://dr-dumps/prod/2026-11-22/shop.orders/20261122T154530Z"`, `""`, "shipped_to"},
		{"unknown field", `"deleted":`, `"color": "red", "deleted":`, "color"},
		{"missing time", `"deleted": "2026-11-22T16:02:11.5Z"`, `"deleted": "0001-01-01T00:00:00Z"`, "deleted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(b), tc.from, tc.to, 1)
			if bad == string(b) {
				t.Fatalf("%q not in %s", tc.from, b)
			}
			_, err := DecodeDeletedDump([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want one naming %q", err, tc.field)
			}
		})
	}
}
