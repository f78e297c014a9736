package export_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// testLog writes a logger's lines to the test log.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// throttleEvent is one recorded change of the in-flight limit.
type throttleEvent struct {
	from, to int
	reason   string
	at       time.Time
}

func throttleEvents(run *report.Run) []throttleEvent {
	var out []throttleEvent
	for _, ev := range run.Events("throttle") {
		from, _ := ev.Attrs["from"].(int)
		to, _ := ev.Attrs["to"].(int)
		reason, _ := ev.Attrs["reason"].(string)
		out = append(out, throttleEvent{from: from, to: to, reason: reason, at: ev.Time})
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, done <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-done:
			t.Fatalf("the export ended before %s: the table is too small for the test", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Latency injected between the exporter and Cassandra makes the adaptive
// controller cut the in-flight page requests; when the latency goes away
// it raises them again. The run report records both, and the dump is
// still exact.
func TestAdaptiveThrottleFollowsLatency(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 4000, 10, 0)
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})

	upstream := strings.Split(testenv.CassandraHosts(t), ",")[0]
	proxy := faultproxy.Start(t, upstream, faultproxy.Options{})
	base := 10 * time.Millisecond
	proxy.SetLatency(base)
	via := netip.MustParseAddrPort(proxy.Addr())
	const parallel = 4
	dest := fileDest(t)
	cfg := export.Config{
		Source: "cassandra://" + proxy.Addr() + "/", Table: ks + ".kv", Dest: dest, Batch: "throttle",
		Splits: 16, Parallel: parallel, PageSize: 10, TargetLatency: 250 * time.Millisecond,
		AdaptiveSignal: "pages", // the latency injected is the pages' only
		// Every node address the driver learns goes through the proxy too.
		TranslateAddress: func(netip.AddrPort) netip.AddrPort { return via },
	}
	run := report.New("exporter")
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	var res export.Result
	var runErr error
	go func() {
		defer close(done)
		res, runErr = export.Run(ctx, cfg, logger, run)
	}()

	// Healthy: the limit climbs from one page in flight to the cap.
	waitFor(t, "climb to the cap", 60*time.Second, done, func() bool { return run.Gauge("inflight_limit") == parallel })
	start := len(throttleEvents(run))

	// Trouble: page latency far over the target.
	proxy.SetLatency(800 * time.Millisecond)
	var cut int // index of the first decrease under latency
	waitFor(t, "decrease under injected latency", 30*time.Second, done, func() bool {
		evs := throttleEvents(run)
		for i := start; i < len(evs); i++ {
			if evs[i].to < evs[i].from {
				cut = i
				return true
			}
		}
		return false
	})
	low := run.Gauge("inflight_limit")

	// Healthy again: the limit grows back.
	proxy.SetLatency(base)
	waitFor(t, "increase after the latency went away", 30*time.Second, done, func() bool {
		evs := throttleEvents(run)
		for i := cut + 1; i < len(evs); i++ {
			if evs[i].to > evs[i].from {
				return true
			}
		}
		return false
	})
	proxy.SetLatency(0)
	<-done
	if runErr != nil {
		t.Fatal(runErr)
	}

	evs := throttleEvents(run)
	for _, e := range evs {
		t.Logf("throttle %d -> %d: %s", e.from, e.to, e.reason)
		if e.to > parallel || e.to < 1 {
			t.Errorf("limit set to %d, outside [1, %d]", e.to, parallel)
		}
	}
	if e := evs[cut]; !strings.Contains(e.reason, "p99") || !strings.Contains(e.reason, "target 250ms") {
		t.Errorf("the decrease says %q, want the p99 against the 250ms target", e.reason)
	}
	if low >= parallel {
		t.Errorf("limit %d after the decrease, want below %d", low, parallel)
	}
	if run.Counter("throttle_decreases") < 1 || run.Counter("throttle_increases") < parallel {
		t.Errorf("report counts %d decreases, %d increases", run.Counter("throttle_decreases"), run.Counter("throttle_increases"))
	}
	if st := proxy.Stats(); st.Conns < 2 {
		t.Errorf("%d connections through the proxy", st.Conns)
	}
	if !res.Complete {
		t.Fatalf("dump not complete: %+v", res)
	}
	d := readDump(t, openRoot(t, dest), res.Dump)
	if d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest counts %d rows, the source has %d", d.m.Totals.Rows, n)
	}
	compareKeys(t, d.keys, src)
	t.Logf("%d throttle events; %s", len(evs), fmt.Sprint(run.Counter("pages"), " pages"))
}
