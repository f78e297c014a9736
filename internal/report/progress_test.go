package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFormatLine(t *testing.T) {
	s := Snapshot{
		Time:     t0.Add(62 * time.Second),
		Started:  t0,
		Counters: map[string]int64{"rows": 1_230_000, "bytes": 456_000_000, "retries": 2, "files": 0},
		Totals:   map[string]int64{"rows": 4_000_000},
		Gauges:   map[string]int64{"units_done": 12, "units_total": 40, "inflight": 8, "inflight_limit": 16, "queued": 3},
	}
	rate := map[string]float64{"rows": 12_345, "bytes": 4_560_000}
	got := FormatLine(s, rate)
	// (4,000,000-1,230,000)/12,345 rows/s = 224.4s
	want := "rows 1.23M 12.3k/s | 456 MB 4.56 MB/s | retries 2 | units 12/40 | inflight 8/16 | queued 3 | 31% ETA 3m44s | 1m02s"
	if got != want {
		t.Fatalf("line:\n got %q\nwant %q", got, want)
	}
}

func TestFormatLineETA(t *testing.T) {
	base := func() Snapshot {
		return Snapshot{Time: t0.Add(10 * time.Second), Started: t0,
			Counters: map[string]int64{}, Gauges: map[string]int64{}, Totals: map[string]int64{}}
	}
	for _, tc := range []struct {
		name string
		edit func(*Snapshot)
		rate map[string]float64
		want string
	}{
		{"no total", func(s *Snapshot) { s.Counters["rows"] = 5 }, map[string]float64{"rows": 1},
			"rows 5 1/s | 10s"},
		{"bytes total", func(s *Snapshot) { s.Counters["bytes"] = 1e6; s.Totals["bytes"] = 3e6 },
			map[string]float64{"bytes": 1e5}, "1.00 MB 100 kB/s | 33% ETA 20s | 10s"},
		{"units fallback", func(s *Snapshot) { s.Gauges["units_done"] = 10; s.Gauges["units_total"] = 40 },
			map[string]float64{"units_done": 0.5}, "units 10/40 | 25% ETA 1m00s | 10s"},
		{"zero rate", func(s *Snapshot) { s.Counters["rows"] = 1; s.Totals["rows"] = 4 },
			map[string]float64{}, "rows 1 0/s | 25% ETA ? | 10s"},
		{"done", func(s *Snapshot) { s.Counters["rows"] = 4; s.Totals["rows"] = 4 },
			map[string]float64{"rows": 1}, "rows 4 1/s | 100% | 10s"},
		{"over", func(s *Snapshot) { s.Counters["rows"] = 5; s.Totals["rows"] = 4 },
			map[string]float64{"rows": 1}, "rows 5 1/s | 100% | 10s"},
		{"limit only", func(s *Snapshot) { s.Gauges["inflight_limit"] = 4 }, nil, "limit 4 | 10s"},
		{"done only", func(s *Snapshot) { s.Gauges["units_done"] = 2 }, nil, "units 2 | 10s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.edit(&s)
			if got := FormatLine(s, tc.rate); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRates(t *testing.T) {
	snap := func(sec int, rows int64, units int64) Snapshot {
		return Snapshot{Time: t0.Add(time.Duration(sec) * time.Second), Started: t0,
			Counters: map[string]int64{"rows": rows}, Gauges: map[string]int64{"units_done": units}}
	}
	// One sample: since the start.
	r := rates([]Snapshot{snap(4, 100, 2)})
	if r["rows"] != 25 || r["units_done"] != 0.5 {
		t.Fatalf("single-sample rates = %v", r)
	}
	// Several: between oldest and newest.
	r = rates([]Snapshot{snap(4, 100, 2), snap(5, 200, 2), snap(6, 500, 3)})
	if r["rows"] != 200 || r["units_done"] != 0.5 {
		t.Fatalf("window rates = %v", r)
	}
	if len(rates(nil)) != 0 || len(rates([]Snapshot{snap(0, 5, 0)})) != 0 {
		t.Fatal("rates without elapsed time are not empty")
	}
}

// syncBuffer is a bytes.Buffer safe for the printer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressWindowUsesRecentRate(t *testing.T) {
	clk := &fakeClock{t: t0}
	run := newRun("exporter", clk.Now)
	var out bytes.Buffer
	p := NewProgress(run, &out, ProgressOptions{Interval: time.Second, RateWindow: 3 * time.Second})
	// 1000 rows/s for 10 s, then 100 rows/s: the line must follow the recent
	// rate, not the average since the start.
	for i := 0; i < 10; i++ {
		clk.Advance(time.Second)
		run.Add("rows", 1000)
		p.Print()
	}
	for i := 0; i < 5; i++ {
		clk.Advance(time.Second)
		run.Add("rows", 100)
		p.Print()
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 15 {
		t.Fatalf("%d lines, want 15:\n%s", len(lines), out.String())
	}
	if want := "rows 10.5k 100/s | 15s"; lines[14] != want {
		t.Fatalf("last line %q, want %q", lines[14], want)
	}
	if want := "rows 10.0k 1000/s | 10s"; lines[9] != want {
		t.Fatalf("10th line %q, want %q", lines[9], want)
	}
}

func TestProgressPlainLines(t *testing.T) {
	run := New("shipper")
	var out syncBuffer
	p := NewProgress(run, &out, ProgressOptions{Interval: 5 * time.Millisecond})
	p.Start()
	time.Sleep(20 * time.Millisecond)
	if out.String() != "" {
		t.Fatalf("printed before anything was recorded: %q", out.String())
	}
	run.Add("files", 3)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "files 3") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Stop()
	p.Stop() // idempotent
	s := out.String()
	if !strings.Contains(s, "files 3") || strings.Contains(s, "\r") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("plain output = %q", s)
	}
}

func TestProgressInPlaceAndLogs(t *testing.T) {
	clk := &fakeClock{t: t0}
	run := newRun("loader", clk.Now)
	var out bytes.Buffer
	p := NewProgress(run, &out, ProgressOptions{InPlace: true})
	if p.opts.Interval != time.Second {
		t.Fatalf("in-place default interval = %v", p.opts.Interval)
	}
	clk.Advance(2 * time.Second)
	run.Add("rows", 10)
	p.Print()
	p.Writer().Write([]byte("level=INFO msg=hello\n"))
	clk.Advance(2 * time.Second)
	run.Add("rows", 10)
	p.Stop() // never started: prints the final line and ends it
	want := "\rrows 10 5/s | 2s\x1b[K" +
		"\r\x1b[K" + "level=INFO msg=hello\n" + "\rrows 10 5/s | 2s\x1b[K" +
		"\rrows 20 5/s | 4s\x1b[K" + "\n"
	if got := out.String(); got != want {
		t.Fatalf("terminal output:\n got %q\nwant %q", got, want)
	}
	// After Stop, logs pass through without redrawing.
	out.Reset()
	p.Writer().Write([]byte("after\n"))
	if out.String() != "after\n" {
		t.Fatalf("after stop: %q", out.String())
	}
}

func TestProgressDefaults(t *testing.T) {
	p := NewProgress(nil, &bytes.Buffer{}, ProgressOptions{})
	if p.opts.Interval != 10*time.Second || p.opts.RateWindow != 30*time.Second {
		t.Fatalf("plain defaults = %+v", p.opts)
	}
	p.Print() // nil run: nothing recorded, nothing printed, no panic
}
