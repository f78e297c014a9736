package main

import (
	"fmt"
	"strings"
)

// The export group's tools the targets compare (tools.go names them).
const (
	toolExporter = "lading exporter → file://"
	// toolExporterV4 is the exporter with the driver on protocol v4.
	toolExporterV4 = toolExporter + ", protocol v4"
	toolNullSink   = "lading null sink"
	toolDSBulk     = "DSBulk unload → JSON"
	rawScanTool    = "raw scan, " // followed by the readers

	toolLoader     = "lading loader"
	toolLoaderNone = toolLoader + " --verify none"
	toolDSBulkLoad = "DSBulk load ← JSON"
)

// byTool returns the results with runs by tool name.
func byTool(rs []*result) map[string]*result {
	m := map[string]*result{}
	for _, r := range rs {
		if len(r.Runs) > 0 {
			m[r.Tool] = r
		}
	}
	return m
}

func rate(r *result) float64 { return r.Stats["rows_per_s"].Median }

// perMrow is the median over r's runs of f (CPU seconds) a million rows.
func perMrow(r *result, f func(sample) float64) float64 {
	var v []float64
	for _, s := range r.Runs {
		if s.Rows > 0 {
			v = append(v, f(s)/(float64(s.Rows)/1e6))
		}
	}
	if len(v) == 0 {
		return 0
	}
	return median(v)
}

// cpuBudget says what the machine's cores allow when tool and servers
// share them: about cores / (client + server CPU a row) rows/s for each
// of lading and the peer, and the CPU a row lading may spend at most for
// want times the peer's measured rows/s, with the server's share of
// lading's CPU beside it. "" when cores or a figure is unknown.
func cpuBudget(cores float64, lading, peer *result, want float64) string {
	both := func(s sample) float64 { return s.CPUS + s.ServerCPU }
	l, p := perMrow(lading, both), perMrow(peer, both)
	if cores <= 0 || l <= 0 || p <= 0 {
		return ""
	}
	bound := func(cpu float64) float64 { return cores * 1e6 / cpu }
	need := cores * 1e6 / (want * rate(peer))
	return fmt.Sprintf("CPU on %.0f shared cores: %s and servers %.1f s a million rows (at most %.0f rows/s; %.0f%% of it measured), %s %.1f (at most %.0f; %.0f%%); "+
		"%gx %s's rows/s needs %s at most %.1f s a million rows, of which the server's share is %.1f now",
		cores, lading.Tool, l, bound(l), 100*rate(lading)/bound(l), peer.Tool, p, bound(p), 100*rate(peer)/bound(p),
		want, peer.Tool, lading.Tool, need, perMrow(lading, func(s sample) float64 { return s.ServerCPU }))
}

// exportTargets states issue 18's exporter targets as this run measured
// them, from the medians: rows/s against DSBulk unload's (>= 2x) and
// against the best raw scan's, the source's own ceiling (>= 90%), and
// peak RSS (<= 128 MiB). Figures a failed or missing tool leaves out are
// said to be missing.
func exportTargets(rs []*result, cores float64) string {
	m := byTool(rs)
	exp, v4, dsb, null := m[toolExporter], m[toolExporterV4], m[toolDSBulk], m[toolNullSink]
	var raw *result
	for name, r := range m {
		if strings.HasPrefix(name, rawScanTool) && (raw == nil || rate(r) > rate(raw)) {
			raw = r
		}
	}
	if exp == nil {
		return ""
	}
	var parts []string
	if dsb != nil {
		parts = append(parts, fmt.Sprintf("%.2fx DSBulk unload's rows/s (target >= 2x)", rate(exp)/rate(dsb)))
	} else {
		parts = append(parts, "DSBulk unload's rows/s missing")
	}
	if raw != nil {
		parts = append(parts, fmt.Sprintf("%.0f%% of the source's ceiling, the best raw scan (%s, %.0f rows/s; target >= 90%%)",
			100*rate(exp)/rate(raw), strings.TrimPrefix(raw.Tool, rawScanTool), rate(raw)))
	} else {
		parts = append(parts, "the raw scan's rows/s missing")
	}
	if null != nil {
		parts = append(parts, fmt.Sprintf("%.0f%% of the null sink's rows/s", 100*rate(exp)/rate(null)))
	}
	parts = append(parts, fmt.Sprintf("peak RSS %.0f MiB (target <= 128)", exp.Stats["peak_rss_mib"].Median))
	if v4 != nil && dsb != nil && raw != nil {
		parts = append(parts, fmt.Sprintf("with protocol v4: %.2fx DSBulk, %.0f%% of the ceiling", rate(v4)/rate(dsb), 100*rate(v4)/rate(raw)))
	}
	if dsb != nil {
		if b := cpuBudget(cores, exp, dsb, 2); b != "" {
			parts = append(parts, b)
		}
	}
	return "**Exporter targets (issue 18), from the medians:** " + strings.Join(parts, "; ") + ".\n\n"
}

// loadTargets states issue 18's loader targets as this run measured
// them: rows/s with the default verification against DSBulk load's
// (>= 1.5x), at no more than half its client CPU; the same without
// verification beside them.
func loadTargets(rs []*result, cores float64) string {
	m := byTool(rs)
	ld, none, dsb := m[toolLoader], m[toolLoaderNone], m[toolDSBulkLoad]
	if ld == nil || dsb == nil {
		return ""
	}
	cpu := func(r *result) float64 { return r.Stats["cpu_s_per_mrow"].Median }
	parts := []string{
		fmt.Sprintf("%.2fx DSBulk load's rows/s with --verify count, the default (target >= 1.5x)", rate(ld)/rate(dsb)),
		fmt.Sprintf("%.2fx its client CPU a row (target <= 0.5x)", cpu(ld)/cpu(dsb)),
	}
	if none != nil {
		parts = append(parts, fmt.Sprintf("with --verify none %.2fx its rows/s", rate(none)/rate(dsb)))
	}
	if b := cpuBudget(cores, ld, dsb, 1.5); b != "" {
		parts = append(parts, b)
	}
	return "**Loader targets (issue 18), from the medians:** " + strings.Join(parts, "; ") + ".\n\n"
}
