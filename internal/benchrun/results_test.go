package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMedianAndCell(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median of 5 1 3 = %v, want 3", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v, want 2.5", m)
	}
	if c := cell(stat{Median: 2, Min: 1, Max: 3}, "%.1f"); c != "2.0 (1.0–3.0)" {
		t.Errorf("cell = %q", c)
	}
	if c := cell(stat{Median: 2, Min: 2, Max: 2}, "%.0f"); c != "2" {
		t.Errorf("cell of equal runs = %q", c)
	}
}

// The report's table holds every tool's figures and a failed peer's
// reason, in both files.
func TestReportWrite(t *testing.T) {
	rep := &report{Started: time.Now(), Versions: map[string]string{"rclone": "rclone v1.76.0"},
		Machine: map[string]any{"cores": 2, "mem_gib": 23.6, "cpu_model": "x"},
		Scale:   map[string]any{"rows": 1000, "seed": 1, "partitions": 10, "data_mb": 1.5, "repeat": 3, "slow_repeat": 1, "parallel": 4},
		Results: []*result{
			{Group: "export", Tool: "lading exporter", Runs: []sample{
				{Rows: 1000, Bytes: 2e6, WallS: 2, CPUS: 1, PeakRSS: 64 << 20, OutBytes: 5000, ServerCPU: 3},
				{Rows: 1000, Bytes: 2e6, WallS: 1, CPUS: 1, PeakRSS: 60 << 20, OutBytes: 5000, ServerCPU: 2},
				{Rows: 1000, Bytes: 2e6, WallS: 4, CPUS: 1, PeakRSS: 70 << 20, OutBytes: 5000, ServerCPU: 4},
			}},
			{Group: "export", Tool: "cqlsh COPY TO", Error: "cqlsh could not be installed: pip: no matching distribution"},
		},
		Emulators: []emulatorResult{{Benchmark: "spanner: BenchmarkLoad", Rows: 10, Metrics: map[string]stat{"rows/s": {Median: 5, Min: 4, Max: 6}}}},
	}
	dir := t.TempDir()
	if err := rep.write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// median wall 2 s of 1, 2, 4; rows/s median 500 of 250..1000; 1,000 CPU s per M rows
		"| lading exporter | 3 | 1000 | 2.0 | 2.0 (1.0–4.0) | 500 (250–1000) | 1.0 (0.5–2.0) | 1000.0 | 64 (60–70) | 5000 | 3.0 (2.0–4.0) |",
		"| cqlsh COPY TO | **failed** | cqlsh could not be installed: pip: no matching distribution |",
		"5 (4–6) rows/s",
		"- rclone: rclone v1.76.0",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil || !strings.Contains(string(js), `"error": "cqlsh could not be installed`) || !strings.Contains(string(js), `"median": 500`) {
		t.Errorf("results.json: %v\n%s", err, js)
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkLoad-2   	       1	9000000000 ns/op	      4000 rows/s	  0.2500 MB/s	  100.0 rows/commit
BenchmarkLoad-2   	       1	9000000000 ns/op	      6000 rows/s	  0.3700 MB/s	  100.0 rows/commit
BenchmarkLoad-2   	       1	9000000000 ns/op	      5000 rows/s	  0.3100 MB/s	  200.0 rows/commit
    bench_test.go:140: median of 3: loader 5 rows/s
BenchmarkLoadOther-2 1 5 ns/op 1 x/s
PASS`
	m, logs := parseBench(out, "BenchmarkLoad")
	if got := m["rows/s"]; got != (stat{Median: 5000, Min: 4000, Max: 6000}) {
		t.Errorf("rows/s = %+v", got)
	}
	if got := m["rows/commit"]; got.Median != 100 || got.Max != 200 {
		t.Errorf("rows/commit = %+v", got)
	}
	if _, ok := m["x/s"]; ok || len(m) != 3 {
		t.Errorf("metrics of another benchmark read: %v", m)
	}
	if len(logs) != 1 || !strings.HasPrefix(logs[0], "bench_test.go:140: median of 3") {
		t.Errorf("logs = %q", logs)
	}
}

// procCPU reads a real process's CPU time: a child that spins for a
// while has used some, and the figure does not go down.
func TestProcCPU(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := strconv.Itoa(cmd.Process.Pid)
	var last float64
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		v := procCPU(pid)
		if v < last {
			t.Fatalf("CPU went down: %v after %v", v, last)
		}
		last = v
		if v > 0 {
			return
		}
	}
	t.Fatalf("procCPU(%s) stayed 0 while the child spun", pid)
}

// The export group states the exporter's targets from the medians: the
// best raw scan is the ceiling, whichever readers it had.
func TestExportTargets(t *testing.T) {
	runs := func(rowsPerS float64, rss int64) []sample {
		return []sample{{Rows: 1000, WallS: 1000 / rowsPerS, PeakRSS: rss << 20}}
	}
	rs := []*result{
		{Tool: toolExporter, Runs: runs(500, 100)},
		{Tool: toolNullSink, Runs: runs(800, 80)},
		{Tool: rawScanTool + "4 readers", Runs: runs(900, 70)},
		{Tool: rawScanTool + "8 readers", Runs: runs(1000, 70)},
		{Tool: rawScanTool + "16 readers", Runs: runs(950, 70)},
		{Tool: toolDSBulk, Runs: runs(200, 1000)},
		{Tool: toolExporterV4, Runs: runs(600, 100)},
	}
	summarizeAll(rs)
	wantAll(t, exportTargets(rs, 0),
		"2.50x DSBulk unload's rows/s (target >= 2x)",
		"50% of the source's ceiling, the best raw scan (8 readers, 1000 rows/s; target >= 90%)",
		"62% of the null sink's rows/s",
		"peak RSS 100 MiB (target <= 128)",
		"with protocol v4: 3.00x DSBulk, 60% of the ceiling",
	)
	if got := exportTargets(rs[1:], 0); got != "" {
		t.Errorf("targets without the exporter's runs: %q, want none", got)
	}
	if got := exportTargets(rs[:1], 0); !strings.Contains(got, "DSBulk unload's rows/s missing") || !strings.Contains(got, "raw scan's rows/s missing") {
		t.Errorf("targets with the exporter alone: %q", got)
	}
}

// TestLoadTargetsAndCPUBudget: the loader's ratios to DSBulk load, and
// what two shared cores allow each tool (2 / CPU a row) and lading at
// most for 1.5x.
func TestLoadTargetsAndCPUBudget(t *testing.T) {
	run := func(rowsPerS, clientCPU, serverCPU float64) []sample {
		return []sample{{Rows: 1_000_000, WallS: 1e6 / rowsPerS, CPUS: clientCPU, ServerCPU: serverCPU}}
	}
	rs := []*result{
		{Tool: toolLoader, Runs: run(20_000, 25, 65)},
		{Tool: toolLoaderNone, Runs: run(25_000, 24, 50)},
		{Tool: toolDSBulkLoad, Runs: run(16_000, 60, 60)},
	}
	summarizeAll(rs)
	wantAll(t, loadTargets(rs, 2),
		"1.25x DSBulk load's rows/s with --verify count, the default (target >= 1.5x)",
		"0.42x its client CPU a row (target <= 0.5x)",
		"with --verify none 1.56x its rows/s",
		"lading loader and servers 90.0 s a million rows (at most 22222 rows/s; 90% of it measured)",
		"DSBulk load ← JSON 120.0 (at most 16667; 96%)",
		"1.5x DSBulk load ← JSON's rows/s needs lading loader at most 83.3 s a million rows, of which the server's share is 65.0 now",
	)
	if got := loadTargets(rs[1:], 2); got != "" {
		t.Errorf("load targets without the loader's default runs: %q, want none", got)
	}
	if got := loadTargets(rs, 0); strings.Contains(got, "shared cores") {
		t.Errorf("a CPU budget with the cores unknown: %s", got)
	}
}

func summarizeAll(rs []*result) {
	for _, r := range rs {
		r.summarize()
	}
}

// wantAll fails t for each of wants that got lacks.
func wantAll(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("targets lack %q:\n%s", w, got)
		}
	}
}
