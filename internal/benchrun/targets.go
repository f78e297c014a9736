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
)

// exportTargets states issue 18's exporter targets as this run measured
// them, from the medians: rows/s against DSBulk unload's (>= 2x) and
// against the best raw scan's, the source's own ceiling (>= 90%), and
// peak RSS (<= 128 MiB). Figures a failed or missing tool leaves out are
// said to be missing.
func exportTargets(rs []*result) string {
	rate := func(r *result) float64 { return r.Stats["rows_per_s"].Median }
	var exp, v4, dsb, null, raw *result
	for _, r := range rs {
		if len(r.Runs) == 0 {
			continue
		}
		switch {
		case r.Tool == toolExporter:
			exp = r
		case r.Tool == toolExporterV4:
			v4 = r
		case r.Tool == toolDSBulk:
			dsb = r
		case r.Tool == toolNullSink:
			null = r
		case strings.HasPrefix(r.Tool, rawScanTool) && (raw == nil || rate(r) > rate(raw)):
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
	return "**Exporter targets (issue 18), from the medians:** " + strings.Join(parts, "; ") + ".\n\n"
}
