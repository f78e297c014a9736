package export_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
)

// TestAdaptiveSignal: an adaptive export says once which signal it
// judges besides its pages. auto (the default) probes every node before
// its first page (a baseline per node) and keeps probing while it runs
// (the controller judges the probes: its gauge is set); server takes a
// baseline per node and kind of request from the server's latency views
// before its first page; pages does neither.
func TestAdaptiveSignal(t *testing.T) {
	s := cqltest.Session(t)
	ks, _ := kvTable(t, s, 200, 10, 0)
	// Application traffic, so that the server has latency to report.
	cqltest.PointTraffic(t, s, ks, 30*time.Second, func() bool {
		got, err := s.ServerLatency(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(got) >= 2
	})
	for _, signal := range []string{"auto", "server", "pages"} {
		var logs bytes.Buffer
		run := report.New("exporter")
		// 2,000 rows at 1,000 rows/s: two seconds of export, for the
		// probes to be judged.
		cfg := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: fileDest(t), Batch: signal, AdaptiveSignal: signal, MaxRate: 1000}
		if _, err := export.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), run); err != nil {
			t.Fatalf("%s: %v\n%s", signal, err, logs.String())
		}
		lines := strings.Count(logs.String(), "msg=\"adaptive signal: ")
		server, probes := run.Events("throttle_server_baseline"), run.Events("throttle_probe_baseline")
		switch {
		case lines != 1:
			t.Errorf("%s: %d lines naming the adaptive signal, want 1:\n%s", signal, lines, logs.String())
		case signal == "auto" && (len(probes) != 1 || len(server) != 0 || !strings.Contains(logs.String(), "adaptive signal: probes")):
			t.Errorf("auto: %d probe baselines (want one per node: 1), %d server ones (want 0):\n%s", len(probes), len(server), logs.String())
		case signal == "auto" && run.Gauge(throttle.GaugeProbeLatency) <= 0:
			t.Errorf("auto: no probe latency judged during the export (gauge %d):\n%s", run.Gauge(throttle.GaugeProbeLatency), logs.String())
		case signal == "server" && (len(server) < 2 || len(probes) != 0 || !strings.Contains(logs.String(), "adaptive signal: the server-reported latency")):
			t.Errorf("server: %d server baselines, want one per kind (read, write), and %d probe ones:\n%s", len(server), len(probes), logs.String())
		case signal == "pages" && (len(server) != 0 || len(probes) != 0 || !strings.Contains(logs.String(), "--adaptive-signal pages")):
			t.Errorf("pages: %d server baselines, %d probe ones, want none:\n%s", len(server), len(probes), logs.String())
		}
		if signal == "auto" && len(probes) == 1 {
			v, _ := probes[0].Attrs["baseline"].(string)
			if b, err := time.ParseDuration(v); err != nil || b <= 0 || b >= time.Second {
				t.Errorf("auto: probe baseline %v: not a plausible latency", probes[0].Attrs["baseline"])
			}
		}
	}
}
