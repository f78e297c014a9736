package export_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/fgload"
	"github.com/lading-dev/lading/internal/testenv"
)

// fgPhase is one phase of BenchmarkForegroundLatency.
type fgPhase struct {
	name  string
	fg    fgload.Stats
	rowsS float64 // the export's rows/s; 0 when idle
	// throttle sums up the adaptive limit's changes (export phases).
	throttle string
}

// BenchmarkForegroundLatency measures what an export costs the source's
// own traffic: a foreground workload (internal/fgload: LADING_BENCH_FG_RATE
// requests/s, default 200, half reads, half writes) runs through three
// phases against the test Cassandra: idle (15 s); an export of
// LADING_BENCH_FG_ROWS rows (default 4,000,000: about a minute at 70,000
// rows/s) with --adaptive=false at --parallel 16; the same export with
// --adaptive (its defaults; and, unless LADING_BENCH_FG_AB=0, with the
// flags of each arm of LADING_BENCH_FG_AB_ARGS, arms separated by ";",
// default --adaptive-signal pages, for an A/B of the controller's signal
// or tuning). The exporter runs at niceness LADING_BENCH_FG_NICE (default
// 19; 0 runs it as is), as if on a machine of its own. Each
// export phase follows a minute of foreground alone. The phases repeat
// LADING_BENCH_FG_ROUNDS times (default 2); each phase's figure is the
// median of its rounds, and the spread of the rounds is printed as the
// noise. The last line names the three phases' p99 and rows/s and the two
// ratios against the target: adaptive p99 <= 1.25 x idle p99 with
// adaptive rows/s >= 60% of the unthrottled rows/s.
func BenchmarkForegroundLatency(b *testing.B) {
	rows := testenv.EnvInt(b, "LADING_BENCH_FG_ROWS", 4_000_000)
	rounds := testenv.EnvInt(b, "LADING_BENCH_FG_ROUNDS", 2)
	ab := os.Getenv("LADING_BENCH_FG_AB") != "0"
	arms := abArms(os.Getenv("LADING_BENCH_FG_AB_ARGS"))
	nice := testenv.EnvInt(b, "LADING_BENCH_FG_NICE", 19)
	s := cqltest.Session(b)
	ks := cqltest.Keyspace(b, s)
	cqltest.Exec(b, s, fmt.Sprintf(benchDDL, ks))
	payload := bytes.Repeat([]byte{0xab, 0x01, 0x7f, 0x00}, 16)
	cqltest.InsertBatches(b, s, "INSERT INTO "+ks+".bench (id, seq, name, email, score, tags, created, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		rows, 100, 64, func(i int) []any {
			return []any{int64(i / 100), i % 100, fmt.Sprintf("customer %d", i), fmt.Sprintf("user%d@example.com", i),
				float64(i) / 7, []string{"a", fmt.Sprint(i % 13)}, time.UnixMilli(1_700_000_000_000 + int64(i)), payload}
		})
	cqltest.Exec(b, s, fmt.Sprintf(fgload.DDL, ks))
	cfg := fgload.Config{Session: s.Driver(), Keyspace: ks, Rate: testenv.EnvInt(b, "LADING_BENCH_FG_RATE", 200), Keys: 1000, MaxInflight: 64}
	if err := fgload.Fill(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
	bin := exporterBinary(b)
	phase := func(name string, idleFor time.Duration, exportArgs ...string) fgPhase {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan fgload.Stats, 1)
		go func() { done <- fgload.Run(ctx, cfg) }()
		p := fgPhase{name: name}
		if len(exportArgs) == 0 {
			time.Sleep(idleFor)
		} else {
			report := b.TempDir() + "/report.json"
			args := append(append([]string{}, exportArgs...), "--source", cqltest.URL(b), "--table", ks+".bench",
				"--dest", fileDest(b), "--batch", name, "--report", report, "--log-level", "warn")
			cmd := exec.Command(bin, args...)
			if nice != 0 {
				// The exporter as on a machine of its own (see
				// bench/foreground.md): its CPU yields to the
				// server's and the foreground's.
				cmd = exec.Command("nice", append([]string{"-n", strconv.Itoa(nice), bin}, args...)...)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				cancel()
				b.Fatalf("exporter (%s): %v\n%s", name, err, out.String())
			}
			wall := time.Since(t0)
			r := readReport(b, report)
			p.throttle = fmt.Sprintf("; limit decreases %d, increases %d (%s)", r.Counters["throttle_decreases"], r.Counters["throttle_increases"], throttlePath(b, report))
			if n := r.Counters["rows"]; n != int64(rows) {
				cancel()
				b.Fatalf("%s: exported %d rows, want %d", name, n, rows)
			}
			p.rowsS = float64(rows) / wall.Seconds()
		}
		cancel()
		p.fg = <-done
		b.Logf("%-14s foreground %s; export %.0f rows/s%s; p99 per second %v", name, p.fg, p.rowsS, p.throttle, p.fg.PerSecond)
		return p
	}
	for range b.N {
		var idle, fixed, adaptive []fgPhase
		abPhases := make([][]fgPhase, len(arms))
		// A first export, not measured, reads the table into the caches
		// (the first export after loading pays for it otherwise).
		phase("warm-up", 0, "--adaptive=false", "--parallel", "16")
		// Cassandra's latency views decay over about a minute: every
		// export phase starts after a minute of foreground alone, so that
		// an adaptive export's baseline is the foreground's own latency.
		// LADING_BENCH_FG_SETTLE (seconds) shortens it for the probes,
		// whose baseline is taken in the 2 s before the first page.
		settle := func() { phase("settle", time.Duration(testenv.EnvInt(b, "LADING_BENCH_FG_SETTLE", 60))*time.Second) }
		for range rounds {
			settle()
			idle = append(idle, phase("idle", 15*time.Second))
			adaptive = append(adaptive, phase("adaptive", 0, "--parallel", "16"))
			for i, arm := range arms {
				if !ab {
					break
				}
				settle()
				abPhases[i] = append(abPhases[i], phase(fmt.Sprintf("ab-%d", i+1), 0, append([]string{"--parallel", "16"}, arm...)...))
			}
			settle()
			fixed = append(fixed, phase("unthrottled", 0, "--adaptive=false", "--parallel", "16"))
		}
		niced := fmt.Sprintf(", exporter at nice %d", nice)
		reportForeground(b, "adaptive"+niced, idle, fixed, adaptive)
		for i, arm := range arms {
			if ab {
				reportForeground(b, "adaptive "+strings.Join(arm, " ")+niced, idle, fixed, abPhases[i])
			}
		}
	}
}

// abArms splits LADING_BENCH_FG_AB_ARGS into its arms (";" between
// arms, spaces between flags); none: one arm, --adaptive-signal pages.
func abArms(v string) [][]string {
	var arms [][]string
	for _, a := range strings.Split(v, ";") {
		if f := strings.Fields(a); len(f) > 0 {
			arms = append(arms, f)
		}
	}
	if len(arms) == 0 {
		arms = [][]string{{"--adaptive-signal", "pages"}}
	}
	return arms
}
