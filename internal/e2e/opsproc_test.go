package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// proc is a real command running in the background, its stderr read line
// by line as it comes.
type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	lines  []string // stderr
	done   chan struct{}
	err    error
}

// start starts the binary name with args; it is killed if still running
// when the test ends.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(command(t, name), args...), done: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stderr returns the lines written to stderr so far.
func (p *proc) stderr() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit (at most limit) and returns its
// exit code.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		t.Fatalf("%s still running after %s; stderr:\n%s", p.cmd.Path, limit, strings.Join(p.stderr(), "\n"))
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(p.err)
	return -1
}

// terminate sends SIGTERM and returns the exit code.
func (p *proc) terminate(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t, 30*time.Second)
}

// jsonLines decodes every stderr line as a JSON log record, failing the
// test on any line that is not one with the collectors' field names.
func (p *proc) jsonLines(t *testing.T) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, line := range p.stderr() {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stderr line %d is not JSON: %v\n%s", i+1, err, line)
		}
		sev, _ := rec["severity"].(string)
		msg, _ := rec["message"].(string)
		ts, _ := rec["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || msg == "" ||
			(sev != "DEBUG" && sev != "INFO" && sev != "WARNING" && sev != "ERROR") {
			t.Fatalf("stderr line %d lacks severity, message or an RFC 3339 time: %s", i+1, line)
		}
		if _, ok := rec["level"]; ok {
			t.Fatalf("stderr line %d still has slog's level key: %s", i+1, line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// metricsAddr waits for the "serving metrics" log record and returns its
// address.
func (p *proc) metricsAddr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range p.stderr() {
			var rec struct{ Message, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "serving metrics" && rec.Addr != "" {
				return rec.Addr
			}
		}
		if p.exited() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no metrics address logged; stderr:\n%s", strings.Join(p.stderr(), "\n"))
	return ""
}

// scrape GETs the metrics and parses them with Prometheus's own text
// parser; nil when the server is gone (the command exited).
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse as Prometheus text: %v\n%s", err, body)
	}
	return mfs
}

// value returns the value of the series of family name whose labels
// include want, and whether there is one.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// runReport is the part of a run report these tests read.
type runReport struct {
	Command         string           `json:"command"`
	ExitCode        *int             `json:"exit_code"`
	DurationSeconds float64          `json:"duration_seconds"`
	Counters        map[string]int64 `json:"counters"`
	Gauges          map[string]int64 `json:"gauges"`
	Tables          map[string]struct {
		Counters map[string]int64 `json:"counters"`
		Gauges   map[string]int64 `json:"gauges"`
	} `json:"tables"`
}

func readReport(t *testing.T, path string) (runReport, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r runReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return r, b
}

// sameAsReport checks every lading counter series of a scrape taken when
// the command was idle against the final report: per table, and the
// series of each counter summed against the run's total.
func sameAsReport(t *testing.T, mfs map[string]*dto.MetricFamily, rep runReport) {
	t.Helper()
	sums := map[string]float64{}
	for name, mf := range mfs {
		counter, ok := strings.CutSuffix(strings.TrimPrefix(name, "lading_"), "_total")
		if !ok || !strings.HasPrefix(name, "lading_") || mf.GetType() != dto.MetricType_COUNTER {
			continue
		}
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue()
			sums[counter] += v
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() != "" {
					if want := rep.Tables[l.GetValue()].Counters[counter]; float64(want) != v {
						t.Errorf("%s{table=%q} = %v, the report says %d", name, l.GetValue(), v, want)
					}
				}
			}
		}
	}
	for counter, want := range rep.Counters {
		if sums[counter] != float64(want) {
			t.Errorf("lading_%s_total summed over its series = %v, the report says %d", counter, sums[counter], want)
		}
	}
	if len(sums) != len(rep.Counters) {
		t.Errorf("%d counters in the metrics, %d in the report", len(sums), len(rep.Counters))
	}
}
