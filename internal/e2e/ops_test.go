package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// webhook is a local HTTP server that keeps the JSON bodies POSTed to it.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Errorf("webhook body is not JSON: %s", b)
		}
		w.mu.Lock()
		w.bodies = append(w.bodies, doc)
		w.mu.Unlock()
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) received() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.bodies...)
}

// One export, a ship, then a watching load of the copy, with the metrics
// endpoint scraped while the real binary runs: the counters move during
// the export, and once the load is done and idle every counter matches
// the final run report. Logs are JSON records with the collectors' field
// names on every stderr line, progress included; the report is also
// beside the dump's state; the webhook hears of each stage.
func TestMetricsReportsLogsWhileCommandsRun(t *testing.T) {
	s := cqltest.Session(t)
	const n = 5000
	begin := time.Now()
	table := rowsTable(t, s, n)
	t.Logf("%d rows inserted in %s", n, time.Since(begin).Round(time.Millisecond))
	root, dir := fileRoot(t), t.TempDir()
	hook := newWebhook(t)

	exp := start(t, "exporter", "--source", cqltest.URL(t), "--table", table, "--dest", root, "--batch", "b1",
		"--max-rate", "1250", "--page-size", "100", "--metrics-addr", "127.0.0.1:0", "--log-format", "json",
		"--log-level", "debug", "--progress", "--report", filepath.Join(dir, "export.json"), "--notify", hook.URL)
	addr := exp.metricsAddr(t)
	var seen []float64
	var p99 bool
	for !exp.exited() {
		if mfs := scrape(t, addr); mfs != nil {
			if v, ok := value(mfs, "lading_rows_total", map[string]string{"command": "exporter", "table": table}); ok && (len(seen) == 0 || v != seen[len(seen)-1]) {
				seen = append(seen, v)
			}
			_, ok := value(mfs, "lading_latency_p99_seconds", map[string]string{"table": table})
			p99 = p99 || ok
		}
		time.Sleep(150 * time.Millisecond)
	}
	if code := exp.wait(t, time.Minute); code != 0 {
		t.Fatalf("exporter: exit %d\n%s", code, strings.Join(exp.stderr(), "\n"))
	}
	moving := 0
	for i, v := range seen {
		if v > 0 && v < n && (i == 0 || v > seen[i-1]) {
			moving++
		}
	}
	if moving < 2 {
		t.Fatalf("rows scraped while exporting %v: want at least two rising values below %d", seen, n)
	}
	if !p99 {
		t.Errorf("no lading_latency_p99_seconds for %s while exporting", table)
	}
	recs := exp.jsonLines(t)
	if !hasMessage(recs, "progress: ") || !hasSeverity(recs, "DEBUG") {
		t.Fatalf("JSON logs lack a progress record or a DEBUG one:\n%s", strings.Join(exp.stderr(), "\n"))
	}
	rep, repBytes := readReport(t, filepath.Join(dir, "export.json"))
	if got := rep.Tables[table].Counters["rows"]; got != n || rep.Counters["rows"] != n || seen[len(seen)-1] > n {
		t.Fatalf("report rows %d (table %d), last scraped %v, want %d", rep.Counters["rows"], got, seen[len(seen)-1], n)
	}
	dump := onlyDump(t, root, "b1", table)
	beside := reportsBeside(t, root, dump)
	if len(beside) != 1 || !strings.HasPrefix(filepath.Base(beside[0].key), "exporter-") || !bytes.Equal(beside[0].data, repBytes) {
		t.Fatalf("reports beside the dump's state: %v; want one exporter-*.json equal to --report's", beside)
	}
	notes := hook.received()
	if len(notes) != 1 {
		t.Fatalf("webhook got %d notifications, want 1: %v", len(notes), notes)
	}
	lading, _ := notes[0]["lading"].(map[string]any)
	if text, _ := notes[0]["text"].(string); !strings.Contains(text, dump) || lading["outcome"] != "complete" ||
		lading["rows"] != float64(n) || lading["success"] != true {
		t.Fatalf("notification: %v", notes[0])
	}

	t.Logf("exported in %s", time.Since(begin).Round(time.Millisecond))

	// Shipped elsewhere: the webhook hears of it, the shipper's report is
	// beside the copy.
	copyRoot := fileRoot(t)
	mustRun(t, "shipper", "--from", root, "--to", copyRoot, "--notify", hook.URL, "--log-level", "warn")
	if got := reportsBeside(t, copyRoot, dump); len(got) != 1 || !strings.HasPrefix(filepath.Base(got[0].key), "shipper-") {
		t.Fatalf("reports beside the shipped copy: %v", got)
	}
	notes = hook.received()
	if len(notes) != 2 || notes[1]["lading"].(map[string]any)["outcome"] != "shipped" {
		t.Fatalf("notifications after shipping: %v", notes)
	}

	// The load, watching: scraped until the dump is loaded, then once
	// more while idle, then stopped; the last scrape is the report.
	ks := cqltest.Keyspace(t, s)
	ld := start(t, "loader", "--from", copyRoot, "--to", cqltest.URL(t)+ks, "--notify", hook.URL,
		"--create-table", "--watch", "--interval", "1h", "--metrics-addr", "127.0.0.1:0", "--log-format", "json",
		"--report", filepath.Join(dir, "load.json"))
	addr = ld.metricsAddr(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mfs := scrape(t, addr)
		if v, _ := value(mfs, "lading_dumps_loaded_total", map[string]string{"table": table}); v == 1 {
			break
		}
		if ld.exited() || time.Now().After(deadline) {
			t.Fatalf("the loader did not load the dump; stderr:\n%s", strings.Join(ld.stderr(), "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	last := scrape(t, addr)
	t.Logf("loaded in %s", time.Since(begin).Round(time.Millisecond))
	if code := ld.terminate(t); code != 0 {
		t.Fatalf("loader stopped by SIGTERM: exit %d\n%s", code, strings.Join(ld.stderr(), "\n"))
	}
	ld.jsonLines(t)
	lrep, _ := readReport(t, filepath.Join(dir, "load.json"))
	sameAsReport(t, last, lrep)
	if v, _ := value(last, "lading_rows_total", map[string]string{"command": "loader", "table": table}); v != n {
		t.Errorf("loader rows for %s: %v, want %d", table, v, n)
	}
	if v, _ := value(last, "lading_batches_total", map[string]string{"table": table}); v <= 0 {
		t.Errorf("no batches counted for %s", table)
	}
	if v, ok := value(last, "lading_batch_bytes_limit", map[string]string{"table": table}); !ok || v <= 0 {
		t.Errorf("no batch size limit for %s", table)
	}
	if got := reportsBeside(t, copyRoot, dump); len(got) != 2 {
		t.Errorf("reports beside the copy after the load: %d, want the shipper's and the loader's", len(got))
	}
	notes = hook.received()
	if len(notes) != 3 || notes[2]["lading"].(map[string]any)["outcome"] != "loaded" || notes[2]["lading"].(map[string]any)["rows"] != float64(n) {
		t.Errorf("notifications after loading: %v", notes)
	}
}

func hasMessage(recs []map[string]any, prefix string) bool {
	for _, r := range recs {
		if m, _ := r["message"].(string); strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}

func hasSeverity(recs []map[string]any, sev string) bool {
	for _, r := range recs {
		if r["severity"] == sev {
			return true
		}
	}
	return false
}

// onlyDump returns the prefix of the batch's one dump of table under root.
func onlyDump(t *testing.T, root, batch, table string) string {
	t.Helper()
	stamps := dumpsOf(t, root, batch, table)
	if len(stamps) != 1 {
		t.Fatalf("dumps of %s in %s: %v, want one", table, batch, stamps)
	}
	return batch + "/" + table + "/" + stamps[0]
}

type object struct {
	key  string
	data []byte
}

// reportsBeside returns the run reports kept beside a dump's state.
func reportsBeside(t *testing.T, root, dump string) []object {
	t.Helper()
	ctx := context.Background()
	b, err := objstore.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs, _, err := b.ListAll(ctx, dump+"/_state/reports/", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	for _, o := range objs {
		data, err := b.ReadAll(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, object{o.Key, data})
	}
	return out
}

var _ = manifest.ManifestName
