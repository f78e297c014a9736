package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample is one measured run of one tool.
type sample struct {
	Rows      int64   `json:"rows"`
	Bytes     int64   `json:"bytes"` // data moved: the table's values, or the files shipped
	WallS     float64 `json:"wall_s"`
	CPUS      float64 `json:"client_cpu_s"`
	PeakRSS   int64   `json:"peak_rss_bytes"`
	OutBytes  int64   `json:"output_bytes"`
	ServerCPU float64 `json:"server_cpu_s"`
}

func (s sample) rowsPerS() float64 { return float64(s.Rows) / s.WallS }
func (s sample) mbPerS() float64   { return float64(s.Bytes) / 1e6 / s.WallS }
func (s sample) cpuPerMrow() float64 {
	if s.Rows == 0 {
		return 0
	}
	return s.CPUS / (float64(s.Rows) / 1e6)
}

// result is one tool's runs, or why it has none.
type result struct {
	Group string   `json:"group"`
	Tool  string   `json:"tool"`
	Note  string   `json:"note,omitempty"`
	Runs  []sample `json:"runs"`
	Error string   `json:"error,omitempty"`
	// Stats are the median, min and max of each figure over Runs.
	Stats map[string]stat `json:"stats,omitempty"`
}

type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// column is one figure of the table: its name and how a sample gives it.
type column struct {
	name, unit string
	of         func(sample) float64
	format     string
}

var columns = []column{
	{"rows", "", func(s sample) float64 { return float64(s.Rows) }, "%.0f"},
	{"MB", "", func(s sample) float64 { return float64(s.Bytes) / 1e6 }, "%.1f"},
	{"wall_s", "wall s", func(s sample) float64 { return s.WallS }, "%.1f"},
	{"rows_per_s", "rows/s", sample.rowsPerS, "%.0f"},
	{"mb_per_s", "MB/s", sample.mbPerS, "%.1f"},
	{"cpu_s_per_mrow", "client CPU s / M rows", sample.cpuPerMrow, "%.1f"},
	{"peak_rss_mib", "peak RSS MiB", func(s sample) float64 { return float64(s.PeakRSS) / (1 << 20) }, "%.0f"},
	{"output_bytes", "output bytes", func(s sample) float64 { return float64(s.OutBytes) }, "%.0f"},
	{"server_cpu_s", "server CPU s", func(s sample) float64 { return s.ServerCPU }, "%.1f"},
}

// summarize fills r.Stats from r.Runs.
func (r *result) summarize() {
	if len(r.Runs) == 0 {
		return
	}
	r.Stats = map[string]stat{}
	for _, c := range columns {
		var v []float64
		for _, s := range r.Runs {
			v = append(v, c.of(s))
		}
		r.Stats[c.name] = stat{Median: median(v), Min: slices.Min(v), Max: slices.Max(v)}
	}
}

// median returns the middle value of v (the mean of the two middle ones
// for an even count).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cell prints a figure as "median (min–max)", the range left out when
// all runs agree or there is one, and "–" for a figure that is zero in
// every run (no output). An empty format picks the digits from the size.
func cell(st stat, format string) string {
	if st == (stat{}) {
		return "–"
	}
	if format == "" {
		format = "%.3g"
		if st.Max >= 100 {
			format = "%.0f"
		}
	}
	m := fmt.Sprintf(format, st.Median)
	lo, hi := fmt.Sprintf(format, st.Min), fmt.Sprintf(format, st.Max)
	if lo == hi {
		return m
	}
	return fmt.Sprintf("%s (%s–%s)", m, lo, hi)
}

// report is everything results.json holds.
type report struct {
	Started   time.Time         `json:"started"`
	DurationS float64           `json:"duration_s"`
	Machine   map[string]any    `json:"machine"`
	Scale     map[string]any    `json:"scale"`
	Versions  map[string]string `json:"versions"`
	Results   []*result         `json:"results"`
	Emulators []emulatorResult  `json:"emulators"`
	Notes     []string          `json:"notes"`
}

// emulatorResult is one of the targets' own go benchmarks, its metrics
// as the benchmark reported them (median, min and max over its runs).
type emulatorResult struct {
	Benchmark string          `json:"benchmark"`
	Rows      int             `json:"rows"`
	Metrics   map[string]stat `json:"metrics,omitempty"`
	Log       []string        `json:"log,omitempty"`
	Error     string          `json:"error,omitempty"`
}

// write saves results.json and results.md in dir.
func (rep *report) write(dir string) error {
	for _, r := range rep.Results {
		r.summarize()
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	md := rep.markdown()
	// Profiles and before/after figures measured by hand are kept in
	// profiles.md beside the results, so that a new run keeps them.
	if extra, err := os.ReadFile(filepath.Join(dir, "profiles.md")); err == nil {
		md += "\n" + string(extra)
	}
	return os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o644)
}

func (rep *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks: lading beside DSBulk, cqlsh COPY and rclone\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (scripts/bench.sh) on %s in %.0f s.\n\n", rep.Started.UTC().Format(time.RFC3339), rep.DurationS)
	fmt.Fprintf(&b, "**Scale:** %v rows (seed %v, %v partitions, %.1f MB of values); runs of each tool: %v (of the slow peers, %[6]v: %s); "+
		"parallelism budget %v for every tool (%s).\n\n",
		rep.Scale["rows"], rep.Scale["seed"], rep.Scale["partitions"], rep.Scale["data_mb"], rep.Scale["repeat"], rep.Scale["slow_repeat"],
		rep.Scale["slow_tools"], rep.Scale["parallel"], rep.Scale["parallel_means"])
	// Scale's numbers are ints in a run and float64s read back from JSON.
	if rows, _ := strconv.ParseFloat(fmt.Sprint(rep.Scale["rows"]), 64); rows < defaultRows {
		fmt.Fprintf(&b, "**This is a small-scale run (%.0f rows; `make bench` runs %d by default):** fixed costs such as a JVM's "+
			"start weigh on the wall times and rates here; the full-size run's ratios are the ones to compare.\n\n", rows, defaultRows)
	}
	fmt.Fprintf(&b, "**Machine:** %v cores, %.1f GiB memory, %v; the servers run on the same machine, which other work shared (load average %v at the start).\n\n",
		rep.Machine["cores"], rep.Machine["mem_gib"], rep.Machine["cpu_model"], rep.Machine["loadavg_at_start"])
	fmt.Fprintf(&b, "A group's tools run in rounds, a run of each a round, each round starting one tool further on, and every run "+
		"starts once the servers it uses are idle (under %.2f CPU s a second for %s, waited for at most %s), so no run is "+
		"charged with the flushes and compactions an earlier one left.\n\n", settleIdle, settleWindow, settleMax)
	b.WriteString("Each figure is the median of the runs, with (min–max) where they differ. Client CPU is user+system time of the " +
		"tool's process and the children it waited for; peak RSS is the process's VmHWM (or its process tree's resident sum, if more); " +
		"server CPU is the CPU time the servers used during the run (Cassandra for export and load, the S3 and GCS servers for ship), " +
		"read from /proc before and after; it counts all of the servers' work meanwhile, so on a machine whose servers other " +
		"clients use too it is an upper bound.\n\n")
	for _, g := range []string{"export", "ship", "load"} {
		rs := slices.DeleteFunc(slices.Clone(rep.Results), func(r *result) bool { return r.Group != g })
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n| tool | runs |", g)
		for _, c := range columns {
			fmt.Fprintf(&b, " %s |", cmp(c.unit, c.name))
		}
		b.WriteString("\n|---|---|" + strings.Repeat("---|", len(columns)) + "\n")
		for _, r := range rs {
			if r.Error != "" {
				fmt.Fprintf(&b, "| %s | **failed** | %s |%s\n", r.Tool, oneLine(r.Error), strings.Repeat(" |", len(columns)-1))
				continue
			}
			fmt.Fprintf(&b, "| %s | %d |", r.Tool, len(r.Runs))
			for _, c := range columns {
				fmt.Fprintf(&b, " %s |", cell(r.Stats[c.name], c.format))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		for _, r := range rs {
			if r.Note != "" {
				fmt.Fprintf(&b, "- %s: %s\n", r.Tool, r.Note)
			}
		}
		b.WriteString("\n")
		cores, _ := strconv.ParseFloat(fmt.Sprint(rep.Machine["cores"]), 64)
		switch g {
		case "export":
			b.WriteString(exportTargets(rs, cores))
		case "load":
			b.WriteString(loadTargets(rs, cores))
		}
	}
	rep.emulatorsMarkdown(&b)
	b.WriteString("## Versions\n\n")
	for _, k := range slices.Sorted(maps.Keys(rep.Versions)) {
		fmt.Fprintf(&b, "- %s: %s\n", k, oneLine(rep.Versions[k]))
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func (rep *report) emulatorsMarkdown(b *strings.Builder) {
	if len(rep.Emulators) == 0 {
		return
	}
	b.WriteString("## load into the emulators (lading alone)\n\n" +
		"The targets' own go benchmarks, run by the harness on rows they generate (their schema, not the table above); " +
		"metrics as the benchmark reports them, median (min–max) of its runs.\n\n")
	for _, e := range rep.Emulators {
		if e.Error != "" {
			fmt.Fprintf(b, "- **%s** (%d rows): failed: %s\n", e.Benchmark, e.Rows, oneLine(e.Error))
			continue
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(e.Metrics)) {
			parts = append(parts, fmt.Sprintf("%s %s", cell(e.Metrics[k], ""), k))
		}
		fmt.Fprintf(b, "- **%s** (%d rows): %s\n", e.Benchmark, e.Rows, strings.Join(parts, ", "))
		for _, l := range e.Log {
			fmt.Fprintf(b, "  - %s\n", l)
		}
	}
	b.WriteString("\n")
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
