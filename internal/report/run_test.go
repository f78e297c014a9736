package report

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for deterministic times.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 11, 22, 15, 45, 30, 0, time.UTC)

func TestNilRunIsNoOp(t *testing.T) {
	var r *Run
	r.Add("rows", 1)
	r.Set("inflight", 2)
	r.SetTotal("rows", 10)
	r.Event("throttle", "from", 1)
	r.Finish(errors.New("x"), 1)
	if r.Counter("rows") != 0 || r.Gauge("inflight") != 0 || r.Events("") != nil || r.Command() != "" {
		t.Fatal("nil run returned values")
	}
	if _, ok := r.Total("rows"); ok {
		t.Fatal("nil run has a total")
	}
	b, err := r.MarshalJSON()
	if err != nil || string(b) != "null" {
		t.Fatalf("MarshalJSON = %s, %v", b, err)
	}
	if s := r.Snapshot(); len(s.Counters) != 0 {
		t.Fatalf("snapshot = %+v", s)
	}
}

func TestCountersGaugesConcurrent(t *testing.T) {
	r := New("exporter")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				r.Add("rows", 2)
				r.Add("bytes", 100)
				r.Set("inflight", int64(i))
				_ = r.Snapshot()
				if i%100 == 0 {
					r.Event("tick", "i", i)
				}
			}
		}()
	}
	wg.Wait()
	if got := r.Counter("rows"); got != 16000 {
		t.Fatalf("rows = %d, want 16000", got)
	}
	if got := r.Counter("bytes"); got != 800000 {
		t.Fatalf("bytes = %d, want 800000", got)
	}
	if got := r.Gauge("inflight"); got != 999 {
		t.Fatalf("inflight = %d, want 999", got)
	}
	if got := len(r.Events("tick")); got != 80 {
		t.Fatalf("events = %d, want 80", got)
	}
	if r.Counter("missing") != 0 || r.Gauge("missing") != 0 {
		t.Fatal("missing names are not 0")
	}
}

func TestEventsBoundedAndFiltered(t *testing.T) {
	r := New("loader")
	for i := 0; i < MaxEvents+5; i++ {
		kind := "a"
		if i%2 == 1 {
			kind = "b"
		}
		r.Event(kind, "i", i)
	}
	all := r.Events("")
	if len(all) != MaxEvents {
		t.Fatalf("kept %d events, want %d", len(all), MaxEvents)
	}
	if first := all[0].Attrs["i"]; first != 5 {
		t.Fatalf("oldest kept event i = %v, want 5", first)
	}
	if last := all[len(all)-1].Attrs["i"]; last != MaxEvents+4 {
		t.Fatalf("newest event i = %v, want %d", last, MaxEvents+4)
	}
	for _, ev := range r.Events("b") {
		if ev.Kind != "b" || ev.Attrs["i"].(int)%2 != 1 {
			t.Fatalf("filter returned %+v", ev)
		}
	}
	if n := len(r.Events("b")); n != MaxEvents/2 {
		t.Fatalf("b events = %d, want %d", n, MaxEvents/2)
	}
	b, _ := r.MarshalJSON()
	var doc struct {
		Dropped int64 `json:"events_dropped"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Dropped != 5 {
		t.Fatalf("events_dropped = %d (%v), want 5", doc.Dropped, err)
	}
}

func TestEventAttrs(t *testing.T) {
	r := New("x")
	r.Event("throttle", "from", 8, "to", 4, "reason", "p99 120ms > 50ms",
		"wait", 1500*time.Millisecond, "err", errors.New("boom"),
		slog.Int("n", 3), 42, "dangling")
	got := r.Events("throttle")[0].Attrs
	want := map[string]any{
		"from": 8, "to": 4, "reason": "p99 120ms > 50ms",
		"wait": "1.5s", "err": "boom", "n": int64(3), "!BADKEY": "dangling",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("attrs = %#v\nwant %#v", got, want)
	}
	r.Event("bare")
	if a := r.Events("bare")[0].Attrs; a != nil {
		t.Fatalf("bare event attrs = %v", a)
	}
}

func TestMarshalJSONShape(t *testing.T) {
	clk := &fakeClock{t: t0}
	r := newRun("exporter", clk.Now)
	r.Add("rows", 1234)
	r.Add("bytes", 5678)
	r.SetTotal("rows", 10000)
	r.Set("units_done", 3)
	r.Event("throttle", "from", 8, "to", 4, "reason", "overloaded")

	clk.Advance(1500 * time.Millisecond)
	var open map[string]any
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &open); err != nil {
		t.Fatal(err)
	}
	if open["finished"] != nil || open["exit_code"] != nil {
		t.Fatalf("unfinished run has finished=%v exit_code=%v", open["finished"], open["exit_code"])
	}
	if open["duration_seconds"] != 1.5 {
		t.Fatalf("running duration = %v, want 1.5", open["duration_seconds"])
	}

	clk.Advance(500 * time.Millisecond)
	r.Finish(errors.New("scan range 3: timeout"), 1)
	clk.Advance(time.Hour)
	r.Finish(nil, 0) // ignored: only the first Finish counts
	b, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := []string{"command", "version", "started", "finished", "duration_seconds", "exit_code", "error",
		"counters", "totals", "gauges", "events", "events_dropped", "tables"}
	if len(doc) != len(keys) {
		t.Fatalf("report has %d keys, want %d: %s", len(doc), len(keys), b)
	}
	for _, k := range keys {
		if _, ok := doc[k]; !ok {
			t.Fatalf("report lacks %q: %s", k, b)
		}
	}
	checks := map[string]any{
		"command":          "exporter",
		"version":          "dev",
		"started":          "2026-11-22T15:45:30Z",
		"finished":         "2026-11-22T15:45:32Z",
		"duration_seconds": 2.0,
		"exit_code":        1.0,
		"error":            "scan range 3: timeout",
		"counters":         map[string]any{"rows": 1234.0, "bytes": 5678.0},
		"totals":           map[string]any{"rows": 10000.0},
		"gauges":           map[string]any{"units_done": 3.0},
		"events_dropped":   0.0,
	}
	for k, want := range checks {
		if !reflect.DeepEqual(doc[k], want) {
			t.Errorf("%s = %#v, want %#v", k, doc[k], want)
		}
	}
	evs := doc["events"].([]any)
	if len(evs) != 1 {
		t.Fatalf("events = %v", evs)
	}
	ev := evs[0].(map[string]any)
	wantEv := map[string]any{"time": "2026-11-22T15:45:30Z", "kind": "throttle",
		"attrs": map[string]any{"from": 8.0, "to": 4.0, "reason": "overloaded"}}
	if !reflect.DeepEqual(ev, wantEv) {
		t.Fatalf("event = %#v, want %#v", ev, wantEv)
	}
}

func TestMarshalJSONEmptyCollections(t *testing.T) {
	r := New("shipper")
	r.Finish(nil, 0)
	b, _ := r.MarshalJSON()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// Readers can rely on the collections being present, never null.
	for _, k := range []string{"counters", "totals", "gauges"} {
		if m, ok := doc[k].(map[string]any); !ok || len(m) != 0 {
			t.Errorf("%s = %#v, want {}", k, doc[k])
		}
	}
	if e, ok := doc["events"].([]any); !ok || len(e) != 0 {
		t.Errorf("events = %#v, want []", doc["events"])
	}
	if doc["error"] != "" || doc["exit_code"] != 0.0 {
		t.Errorf("error=%v exit_code=%v", doc["error"], doc["exit_code"])
	}
}
