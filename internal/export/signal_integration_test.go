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
)

// TestAdaptiveSignalFromServer: on a Cassandra that reports its clients'
// latency, an adaptive export says once that it judges that latency and
// takes a baseline per node and kind of request from the server before
// its first page; with --adaptive-signal pages it judges its pages and
// reads nothing from the server.
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
	for _, signal := range []string{"auto", "pages"} {
		var logs bytes.Buffer
		run := report.New("exporter")
		cfg := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: fileDest(t), Batch: signal, AdaptiveSignal: signal}
		if _, err := export.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), run); err != nil {
			t.Fatalf("%s: %v\n%s", signal, err, logs.String())
		}
		lines := strings.Count(logs.String(), "msg=\"adaptive signal: ")
		baselines := run.Events("throttle_server_baseline")
		switch {
		case lines != 1:
			t.Errorf("%s: %d lines naming the adaptive signal, want 1:\n%s", signal, lines, logs.String())
		case signal == "auto" && (len(baselines) < 2 || !strings.Contains(logs.String(), "adaptive signal: the server-reported latency")):
			t.Errorf("auto: %d server baselines, want one per kind (read, write):\n%s", len(baselines), logs.String())
		case signal == "pages" && (len(baselines) != 0 || !strings.Contains(logs.String(), "--adaptive-signal pages")):
			t.Errorf("pages: %d server baselines, want none:\n%s", len(baselines), logs.String())
		}
	}
}
