package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ProgressOptions configure a Progress printer.
type ProgressOptions struct {
	// Interval between lines; default 1s in place, 10s otherwise.
	Interval time.Duration
	// InPlace rewrites one line with a carriage return, for terminals.
	// Otherwise each update is a new line, for logs.
	InPlace bool
	// RateWindow is how far back rates look; default 10s (at least three
	// intervals).
	RateWindow time.Duration
	// JSON prints each update as a JSON log record (time, severity,
	// message, and the numbers under "progress") instead of text; it
	// implies not InPlace.
	JSON bool
}

// Progress prints a run's progress (rows, bytes, rates, ETA, units,
// inflight) to a writer, periodically, until stopped. Rates are computed
// from the run's counters over a sliding window.
type Progress struct {
	run  *Run
	w    io.Writer
	opts ProgressOptions

	mu      sync.Mutex // guards w, drawn, line and the estimator
	drawn   bool       // an in-place line is on screen
	line    string
	samples []Snapshot // oldest first, within RateWindow

	running  atomic.Bool
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewProgress returns a printer of run's progress to w. Call Start to begin
// and Stop at the end.
func NewProgress(run *Run, w io.Writer, opts ProgressOptions) *Progress {
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
		if opts.InPlace {
			opts.Interval = time.Second
		}
	}
	if opts.JSON {
		opts.InPlace = false
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 10 * time.Second
	}
	if opts.RateWindow < 3*opts.Interval {
		opts.RateWindow = 3 * opts.Interval
	}
	return &Progress{run: run, w: w, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
}

// Start prints a line every interval in a goroutine until Stop.
func (p *Progress) Start() {
	if !p.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.Print()
			}
		}
	}()
}

// Stop ends the printing goroutine started by Start and prints a final line
// (ending it with a newline when in place). It is safe to call more than
// once; only the first call prints.
func (p *Progress) Stop() {
	p.stopOnce.Do(func() {
		close(p.stop)
		if p.running.Load() {
			<-p.done
		}
		p.Print()
		if p.opts.InPlace {
			p.mu.Lock()
			if p.drawn {
				io.WriteString(p.w, "\n")
				p.drawn = false
			}
			p.mu.Unlock()
		}
	})
}

// Print takes a snapshot, updates the rates and prints one line; nothing
// while the run has recorded no counter or gauge.
func (p *Progress) Print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.run.Snapshot()
	if len(s.Counters) == 0 && len(s.Gauges) == 0 {
		return // nothing to show yet
	}
	line := p.observe(s)
	p.line = line
	if p.opts.JSON {
		p.w.Write(progressRecord(s, line))
		return
	}
	if p.opts.InPlace {
		io.WriteString(p.w, "\r"+line+"\x1b[K")
		p.drawn = true
		return
	}
	io.WriteString(p.w, line+"\n")
}

// Writer returns a writer for log output that shares the terminal with the
// progress line: it clears the in-place line before each write and redraws
// it after, so logs and progress do not garble each other. Each Write
// should be one whole log record (slog handlers write so).
func (p *Progress) Writer() io.Writer { return progressLogWriter{p} }

type progressLogWriter struct{ p *Progress }

func (lw progressLogWriter) Write(b []byte) (int, error) {
	p := lw.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
	}
	n, err := p.w.Write(b)
	if p.drawn {
		io.WriteString(p.w, "\r"+p.line+"\x1b[K")
	}
	return n, err
}

// observe adds a snapshot to the rate window and formats the line for it.
func (p *Progress) observe(s Snapshot) string {
	p.samples = append(p.samples, s)
	cut := 0
	for cut < len(p.samples)-1 && s.Time.Sub(p.samples[cut].Time) > p.opts.RateWindow {
		cut++
	}
	p.samples = p.samples[cut:]
	return FormatLine(s, rates(p.samples))
}

// rates computes per-second rates of every counter (and of the gauge
// units_done) between the oldest and newest samples; with a single sample,
// since the run started.
func rates(samples []Snapshot) map[string]float64 {
	out := map[string]float64{}
	if len(samples) == 0 {
		return out
	}
	last := samples[len(samples)-1]
	first := Snapshot{Time: last.Started}
	if len(samples) > 1 {
		first = samples[0]
	}
	dt := last.Time.Sub(first.Time).Seconds()
	if dt <= 0 {
		return out
	}
	for k, v := range last.Counters {
		out[k] = float64(v-first.Counters[k]) / dt
	}
	if v, ok := last.Gauges["units_done"]; ok {
		out["units_done"] = float64(v-first.Gauges["units_done"]) / dt
	}
	return out
}

// Counters and gauges with their own place on the line; the rest follow
// in name order, counters only when non-zero.
var placed = map[string]bool{
	"rows": true, "bytes": true,
	"units_done": true, "units_total": true, "inflight": true, "inflight_limit": true,
}

// FormatLine formats one progress line from a snapshot and per-second
// rates (keyed by counter name, plus "units_done"):
//
//	rows 1.23M 12.3k/s | 456 MB 4.56 MB/s | files 3 | units 12/40 | inflight 8/16 | 30% ETA 3m12s | 1m02s
func FormatLine(s Snapshot, rate map[string]float64) string {
	var parts []string
	if v, ok := s.Counters["rows"]; ok {
		parts = append(parts, fmt.Sprintf("rows %s %s/s", HumanCount(float64(v)), HumanCount(math.Round(rate["rows"]))))
	}
	if v, ok := s.Counters["bytes"]; ok {
		parts = append(parts, fmt.Sprintf("%s %s/s", HumanBytes(float64(v)), HumanBytes(rate["bytes"])))
	}
	for _, k := range sortedKeys(s.Counters) {
		if !placed[k] && s.Counters[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %s", k, HumanCount(float64(s.Counters[k]))))
		}
	}
	if total, ok := s.Gauges["units_total"]; ok {
		parts = append(parts, fmt.Sprintf("units %d/%d", s.Gauges["units_done"], total))
	} else if done, ok := s.Gauges["units_done"]; ok {
		parts = append(parts, fmt.Sprintf("units %d", done))
	}
	if in, ok := s.Gauges["inflight"]; ok {
		if lim, ok := s.Gauges["inflight_limit"]; ok {
			parts = append(parts, fmt.Sprintf("inflight %d/%d", in, lim))
		} else {
			parts = append(parts, fmt.Sprintf("inflight %d", in))
		}
	} else if lim, ok := s.Gauges["inflight_limit"]; ok {
		parts = append(parts, fmt.Sprintf("limit %d", lim))
	}
	for _, k := range sortedKeys(s.Gauges) {
		if !placed[k] {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.Gauges[k]))
		}
	}
	if eta := formatETA(s, rate); eta != "" {
		parts = append(parts, eta)
	}
	if !s.Started.IsZero() {
		parts = append(parts, HumanDuration(s.Time.Sub(s.Started)))
	}
	return strings.Join(parts, " | ")
}

// formatETA picks the best-known measure of completion: a counter with a
// total (rows first, then bytes, then any in name order), else units
// done/total. It returns "" when nothing has a total.
func formatETA(s Snapshot, rate map[string]float64) string {
	name, done, total := "", int64(0), int64(0)
	candidates := []string{"rows", "bytes"}
	for _, k := range sortedKeys(s.Totals) {
		if k != "rows" && k != "bytes" {
			candidates = append(candidates, k)
		}
	}
	for _, k := range candidates {
		if t, ok := s.Totals[k]; ok && t > 0 {
			name, done, total = k, s.Counters[k], t
			break
		}
	}
	if name == "" {
		if t := s.Gauges["units_total"]; t > 0 {
			name, done, total = "units_done", s.Gauges["units_done"], t
		} else {
			return ""
		}
	}
	pct := 100 * float64(done) / float64(total)
	if pct > 100 {
		pct = 100
	}
	left := total - done
	r := rate[name]
	switch {
	case left <= 0:
		return fmt.Sprintf("%.0f%%", pct)
	case r <= 0:
		return fmt.Sprintf("%.0f%% ETA ?", pct)
	default:
		return fmt.Sprintf("%.0f%% ETA %s", pct, HumanDuration(time.Duration(float64(left)/r*float64(time.Second))))
	}
}

// progressRecord is a progress update as one JSON log record, with the
// field names of the JSON logs (time, severity, message).
func progressRecord(s Snapshot, line string) []byte {
	rec := struct {
		Time     string `json:"time"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Progress struct {
			Counters map[string]int64 `json:"counters"`
			Gauges   map[string]int64 `json:"gauges"`
			Totals   map[string]int64 `json:"totals"`
		} `json:"progress"`
	}{Time: s.Time.UTC().Format(time.RFC3339Nano), Severity: "INFO", Message: "progress: " + line}
	rec.Progress.Counters, rec.Progress.Gauges, rec.Progress.Totals = s.Counters, s.Gauges, s.Totals
	b, _ := json.Marshal(rec)
	return append(b, '\n')
}
