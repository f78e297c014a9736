package metrics

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lading-dev/lading/internal/report"
)

// Per-table series and the table="" series of what no table claimed add
// up to the run's counters; a gauge in µs is served in seconds; the
// server is on its own registry (nothing from the global default).
func TestServeRunPerTable(t *testing.T) {
	run := report.New("loader")
	run.Table("ks.a").Add("rows", 10)
	run.Table("ks.b").Add("rows", 5)
	run.Add("rows", 1)
	run.Add("dumps_failed", 2)
	run.Table("ks.a").Set("latency_p99_us", 2500)
	run.Set("inflight_limit", 8)
	s, err := Serve("127.0.0.1:0", run, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	want := map[string]float64{
		`lading_rows_total{command="loader",table="ks.a"}`:          10,
		`lading_rows_total{command="loader",table="ks.b"}`:          5,
		`lading_rows_total{command="loader",table=""}`:              1,
		`lading_dumps_failed_total{command="loader",table=""}`:      2,
		`lading_latency_p99_seconds{command="loader",table="ks.a"}`: 0.0025,
		`lading_inflight_limit{command="loader",table=""}`:          8,
	}
	got := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := name + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=\"" + l.GetValue() + "\""
			}
			key += "}"
			got[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got[`lading_latency_p99_seconds{command="loader",table=""}`]; ok {
		t.Errorf("a gauge set per table is also served without one")
	}
	if mfs["go_goroutines"] == nil || mfs["lading_run_started_timestamp_seconds"] == nil {
		t.Errorf("runtime or run metrics missing")
	}
	if _, err := Serve(s.Addr(), run, slog.New(slog.DiscardHandler)); err == nil {
		t.Errorf("a second server on a taken port started")
	}
}
