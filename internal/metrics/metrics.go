// Package metrics serves a run's numbers (internal/report) as Prometheus
// metrics while a command runs (--metrics-addr), so dashboards and alerts
// see the same counters the progress line and the run report show.
//
// Every counter of the run is exported as lading_<name>_total and every
// gauge as lading_<name>, labelled with the command and the table
// (report.Run.Table). A counter's per-table series plus its table=""
// series (what no table claimed) add up to the run's total. Gauges in
// microseconds (name ending in _us) are exported in seconds.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/version"
)

// Namespace prefixes every metric name.
const Namespace = "lading"

// help describes the counters and gauges the libraries record; others get
// a generic line.
var help = map[string]string{
	"rows":               "Rows read (exporter) or loaded (loader).",
	"bytes":              "Uncompressed bytes exported, or bytes shipped.",
	"stored_bytes":       "Stored (compressed) bytes of the parts written.",
	"parts":              "Parts written (exporter) or loaded (loader).",
	"pages":              "Pages read from the source.",
	"retries":            "Operations retried after a retryable error.",
	"batches":            "Write batches sent to the target.",
	"mutations":          "Mutations sent to the target in batches.",
	"inflight":           "Requests in flight.",
	"inflight_limit":     "The adaptive controller's limit on requests in flight.",
	"batch_bytes_limit":  "The loader's current batch size limit in bytes.",
	"latency_p99":        "p99 latency of recent pages (exporter) or writes (loader), as the throttle controller saw it.",
	"units_done":         "Units of work committed.",
	"units_total":        "Units of work in the plan.",
	"throttle_decreases": "Times the adaptive controller lowered its limit.",
}

var badChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// collector reads the run at each scrape: no numbers are copied while the
// command runs.
type collector struct{ run *report.Run }

// Describe sends nothing: the metrics appear as the run records them, so
// the collector is unchecked.
func (c collector) Describe(chan<- *prometheus.Desc) {}

// Collect emits the run's counters and gauges, per table.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	cmd := c.run.Command()
	whole := c.run.Snapshot()
	claimed := map[string]int64{}
	gaugeByTable := map[string]bool{}
	for _, t := range c.run.Tables() {
		s := t.Snapshot()
		for k, v := range s.Counters {
			claimed[k] += v
		}
		for k := range s.Gauges {
			gaugeByTable[k] = true
		}
		emit(ch, cmd, t.TableName(), s.Counters, s.Gauges)
	}
	rest := map[string]int64{}
	for k, v := range whole.Counters {
		if v-claimed[k] != 0 || claimed[k] == 0 {
			rest[k] = v - claimed[k]
		}
	}
	gauges := map[string]int64{}
	for k, v := range whole.Gauges {
		if !gaugeByTable[k] {
			gauges[k] = v
		}
	}
	emit(ch, cmd, "", rest, gauges)
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(Namespace+"_run_started_timestamp_seconds",
		"When the run started (Unix time).", []string{"command", "version"}, nil),
		prometheus.GaugeValue, float64(c.run.Started().UnixNano())/1e9, cmd, version.Version)
}

func emit(ch chan<- prometheus.Metric, cmd, table string, counters, gauges map[string]int64) {
	labels := []string{"command", "table"}
	for k, v := range counters {
		name := badChars.ReplaceAllString(k, "_")
		d := prometheus.NewDesc(Namespace+"_"+name+"_total", helpFor(name, "counter"), labels, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), cmd, table)
	}
	for k, v := range gauges {
		name := badChars.ReplaceAllString(k, "_")
		val := float64(v)
		if base, ok := strings.CutSuffix(name, "_us"); ok {
			name, val = base+"_seconds", val/1e6
			d := prometheus.NewDesc(Namespace+"_"+name, helpFor(base, "gauge")+" Seconds.", labels, nil)
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, val, cmd, table)
			continue
		}
		d := prometheus.NewDesc(Namespace+"_"+name, helpFor(name, "gauge"), labels, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, val, cmd, table)
	}
}

func helpFor(name, kind string) string {
	if h, ok := help[name]; ok {
		return h
	}
	return fmt.Sprintf("lading %s %s.", kind, name)
}

// Registry returns a registry (not the global default) holding the run's
// metrics and the Go runtime's and process's own.
func Registry(run *report.Run) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{run: run},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Server serves the metrics of one run over HTTP.
type Server struct {
	srv *http.Server
	ln  net.Listener
	err chan error
}

// Serve listens on addr (host:port; ":9464" for every interface, port 0
// for any free port) and serves the run's metrics at /metrics until Close.
// A port already taken is an error naming the address.
func Serve(addr string, run *report.Run, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	h := promhttp.HandlerFor(Registry(run), promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)})
	mux.Handle("/metrics", h)
	s := &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:  ln,
		err: make(chan error, 1),
	}
	go func() { s.err <- s.srv.Serve(ln) }()
	logger.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting a scrape in progress finish for up to
// two seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.err; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
