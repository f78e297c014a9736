package report

import (
	"encoding/json"
	"testing"
)

// A table's counters add to the run's; its events carry its name; the
// report lists each table's share.
func TestTableRecordsIntoRun(t *testing.T) {
	r := New("loader")
	a, b := r.Table("ks.a"), r.Table("ks.b")
	if r.Table("ks.a") != a || a.Table("ks.b") != b || r.Table("") != r {
		t.Fatal("Table does not return one recorder per name")
	}
	a.Add("rows", 3)
	b.Add("rows", 4)
	r.Add("rows", 1)
	a.Set("batch_bytes_limit", 100)
	a.Event("throttle", "to", 2)
	if got := r.Counter("rows"); got != 8 {
		t.Fatalf("run rows = %d, want 8", got)
	}
	if a.Counter("rows") != 3 || b.Counter("rows") != 4 || r.Gauge("batch_bytes_limit") != 100 {
		t.Fatalf("table counters a=%d b=%d, gauge %d", a.Counter("rows"), b.Counter("rows"), r.Gauge("batch_bytes_limit"))
	}
	ev := r.Events("throttle")
	if len(ev) != 1 || ev[0].Attrs["table"] != "ks.a" || a.Events("") != nil {
		t.Fatalf("events: run %v, table %v", ev, a.Events(""))
	}
	var doc struct {
		Tables map[string]struct{ Counters map[string]int64 } `json:"tables"`
	}
	bs, _ := json.Marshal(r)
	if err := json.Unmarshal(bs, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tables["ks.a"].Counters["rows"] != 3 || doc.Tables["ks.b"].Counters["rows"] != 4 || len(doc.Tables) != 2 {
		t.Fatalf("report tables: %s", bs)
	}
}
