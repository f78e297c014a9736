package export_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// median is the middle value of xs (the lower middle of an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// phaseFigures are one phase's p99 (ms) and rows/s over its rounds.
func phaseFigures(ps []fgPhase) (p99ms, rowsS []float64) {
	for _, p := range ps {
		p99ms = append(p99ms, float64(p.fg.P99)/float64(time.Millisecond))
		rowsS = append(rowsS, p.rowsS)
	}
	return p99ms, rowsS
}

// spread formats a phase's rounds as "median (min-max)".
func spread(xs []float64, format string) string {
	return fmt.Sprintf(format+" ("+format+"-"+format+")", median(xs), slices.Min(xs), slices.Max(xs))
}

// reportForeground reports the medians of BenchmarkForegroundLatency's
// phases as metrics and prints one line with the three phases and the
// ratios against the target.
func reportForeground(b *testing.B, label string, idle, fixed, adaptive []fgPhase) {
	ip, _ := phaseFigures(idle)
	fp, fr := phaseFigures(fixed)
	ap, ar := phaseFigures(adaptive)
	if !strings.HasPrefix(label, "adaptive,") {
		b.Logf("%s: not reported as metrics (the A/B's other arm)", label)
	} else {
		b.ReportMetric(median(ip), "idle-p99-ms")
		b.ReportMetric(median(fp), "unthrottled-p99-ms")
		b.ReportMetric(median(ap), "adaptive-p99-ms")
		b.ReportMetric(median(fr), "unthrottled-rows/s")
		b.ReportMetric(median(ar), "adaptive-rows/s")
	}
	latRatio := median(ap) / max(median(ip), 1e-3)
	rateRatio := median(ar) / max(median(fr), 1e-3)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	line := fmt.Sprintf("FOREGROUND (%s) %d round(s), median (min-max): idle p99 %s ms | unthrottled p99 %s ms, %s rows/s | adaptive p99 %s ms, %s rows/s | adaptive p99 = %.2f x idle (target <= 1.25: %s) | adaptive rows/s = %.0f%% of unthrottled (target >= 60%%: %s)",
		label, len(idle), spread(ip, "%.1f"), spread(fp, "%.1f"), spread(fr, "%.0f"), spread(ap, "%.1f"), spread(ar, "%.0f"),
		latRatio, verdict(latRatio <= 1.25), 100*rateRatio, verdict(rateRatio >= 0.6))
	b.Log(line)
	fmt.Println(strings.TrimSpace(line)) // also outside -v, for make bench's output
}

// throttlePath sums up an export report's adaptive controller: its probe
// baselines and targets, then every change of the limit ("4"), the duty
// ("d25%") or of the other clients' presence ("alone=true") in order
// (the first 80).
func throttlePath(b *testing.B, report string) string {
	data, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var r struct {
		Events []struct {
			Kind  string         `json:"kind"`
			Attrs map[string]any `json:"attrs"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatal(err)
	}
	var base, path []string
	for _, ev := range r.Events {
		switch ev.Kind {
		case "throttle_probe_baseline":
			base = append(base, fmt.Sprintf("%v %v->%v", ev.Attrs["node"], ev.Attrs["baseline"], ev.Attrs["target"]))
		case "throttle":
			path = append(path, fmt.Sprint(ev.Attrs["to"]))
		case "throttle_alone":
			path = append(path, fmt.Sprintf("alone=%v", ev.Attrs["alone"]))
		case "throttle_duty":
			path = append(path, fmt.Sprintf("d%v%%", ev.Attrs["to_pct"]))
		}
	}
	if len(base) == 0 && len(path) == 0 {
		return "no limit changes"
	}
	if len(path) > 80 {
		path = append(path[:80], "...")
	}
	return fmt.Sprintf("probe baselines %v; limit changes %s", base, strings.Join(path, " "))
}
