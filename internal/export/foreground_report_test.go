package export_test

import (
	"fmt"
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
	if label != "adaptive" {
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
