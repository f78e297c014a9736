package export_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
)

// signalRun exports ks.kv adaptively with signal (2,000 rows at 1,000
// rows/s: two seconds, for the probes to be judged) and returns the run
// and its log; it checks the log names the adaptive signal once.
func signalRun(t *testing.T, ks, signal string) (*report.Run, string) {
	t.Helper()
	var logs bytes.Buffer
	run := report.New("exporter")
	cfg := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: fileDest(t), Batch: signal, AdaptiveSignal: signal, MaxRate: 1000}
	if _, err := export.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), run); err != nil {
		t.Fatalf("%s: %v\n%s", signal, err, logs.String())
	}
	if n := strings.Count(logs.String(), "msg=\"adaptive signal: "); n != 1 {
		t.Errorf("%s: %d lines naming the adaptive signal, want 1:\n%s", signal, n, logs.String())
	}
	return run, logs.String()
}

// TestAdaptiveSignalProbes: by default (auto), while another client
// writes to the cluster, an adaptive export probes every node before its
// first page (one baseline per node, a plausible latency), keeps probing
// while it runs (the controller judges the probes: its gauge is set) and
// never runs as if alone (no "throttle_alone" event says alone: the
// controller starts as not alone); with --adaptive-signal pages it probes
// nothing. (An idle cluster's export at the cap is tested on recorded
// counts, internal/throttle TestTrafficVerdicts and TestAloneRunsAtTheCap:
// the shared test server is not reliably idle.)
func TestAdaptiveSignalProbes(t *testing.T) {
	s := cqltest.Session(t)
	ks, _ := kvTable(t, s, 200, 10, 0)
	stop := otherClient(t, s, ks)
	run, logs := signalRun(t, ks, "auto")
	stop()
	probes := run.Events("throttle_probe_baseline")
	switch {
	case len(probes) != 1 || !strings.Contains(logs, "adaptive signal: probes"):
		t.Errorf("auto: %d probe baselines, want one per node (1):\n%s", len(probes), logs)
	case len(run.Events("throttle_server_baseline")) != 0:
		t.Errorf("auto: server baselines taken:\n%s", logs)
	case run.Gauge(throttle.GaugeProbeLatency) <= 0:
		t.Errorf("auto: no probe latency judged during the export (gauge %d):\n%s", run.Gauge(throttle.GaugeProbeLatency), logs)
	default:
		v, _ := probes[0].Attrs["baseline"].(string)
		if b, err := time.ParseDuration(v); err != nil || b <= 0 || b >= time.Second {
			t.Errorf("auto: probe baseline %q: not a plausible latency", v)
		}
	}
	for _, ev := range run.Events("throttle_alone") {
		if ev.Attrs["alone"] == true {
			t.Errorf("auto: the export ran as if alone while another client wrote: %v\n%s", ev.Attrs, logs)
		}
	}
	run, logs = signalRun(t, ks, "pages")
	if n := len(run.Events("throttle_probe_baseline")) + len(run.Events("throttle_server_baseline")); n != 0 || !strings.Contains(logs, "--adaptive-signal pages") {
		t.Errorf("pages: %d baselines, want none:\n%s", n, logs)
	}
}

// otherClient writes to ks.fg without pause, as an application would,
// until the returned stop is called.
func otherClient(t *testing.T, s *cql.Session, ks string) (stop func()) {
	t.Helper()
	cqltest.Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".fg (k int PRIMARY KEY, v text)")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			_ = s.Driver().Query("INSERT INTO "+ks+".fg (k, v) VALUES (?, 'x')", i%100).ExecContext(ctx)
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// TestAdaptiveSignalFromServer: with --adaptive-signal server, on a
// Cassandra that reports its clients' latency, an adaptive export takes
// a baseline per node and kind of request from the server's latency
// views before its first page, and probes nothing.
func TestAdaptiveSignalFromServer(t *testing.T) {
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
	run, logs := signalRun(t, ks, "server")
	server := run.Events("throttle_server_baseline")
	if len(server) < 2 || len(run.Events("throttle_probe_baseline")) != 0 || !strings.Contains(logs, "adaptive signal: the server-reported latency") {
		t.Errorf("server: %d server baselines, want one per kind (read, write), and no probes:\n%s", len(server), logs)
	}
}
