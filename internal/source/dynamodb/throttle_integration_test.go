package dynamodb_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
)

// throttlingProxy stands in front of the test DynamoDB (which never
// throttles) and answers Scan requests with
// ProvisionedThroughputExceededException: every one until allUntil, then
// a fraction of them.
type throttlingProxy struct {
	srv      *httptest.Server
	mu       sync.Mutex
	allUntil time.Time
	fraction float64
	// scans counts Scan requests; throttled those answered with the
	// exception; inWindow the Scan requests before allUntil; consistent
	// those that asked for strongly consistent reads.
	scans, throttled, inWindow, consistent int
}

func newThrottlingProxy(t *testing.T, all time.Duration, fraction float64) *throttlingProxy {
	t.Helper()
	target, err := url.Parse(testenv.DynamoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &throttlingProxy{fraction: fraction}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".Scan") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			p.mu.Lock()
			if bytes.Contains(body, []byte(`"ConsistentRead":true`)) {
				p.consistent++
			}
			if p.allUntil.IsZero() {
				p.allUntil = time.Now().Add(all)
			}
			p.scans++
			inWindow := time.Now().Before(p.allUntil)
			if inWindow {
				p.inWindow++
			}
			throttle := inWindow || rand.Float64() < p.fraction
			if throttle {
				p.throttled++
			}
			p.mu.Unlock()
			if throttle {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *throttlingProxy) counts() (scans, throttled, inWindow int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.scans, p.throttled, p.inWindow
}

// Throttled Scans are retried with backoff: while every Scan is throttled
// the exporter asks a few times per segment, not in a tight loop, and
// with a third of them throttled afterwards the dump is still exact.
func TestDynamoExportThrottled(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, smallItems(1500))
	const segments = 3
	window := 2 * time.Second
	p := newThrottlingProxy(t, window, 0.3)
	dest := fileDest(t)
	report := filepath.Join(t.TempDir(), "report.json")
	start := time.Now()
	code, out := runExporter(t, "--source", dynamotest.URL(t, p.srv.URL), "--table", table, "--dest", dest,
		"--batch", "thr", "--splits", "3", "--parallel", "3", "--page-size", "50", "--log-level", "warn", "--report", report)
	took := time.Since(start)
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	scans, throttled, inWindow := p.counts()
	t.Logf("%d Scan requests, %d throttled, %d in the first %s (all throttled); took %s", scans, throttled, inWindow, window, took)
	if throttled <= inWindow {
		t.Errorf("%d throttled answers, %d of them in the window: none after it", throttled, inWindow)
	}
	// Backoff from 100ms doubling (full jitter): a handful of tries per
	// segment in two seconds; a loop without backoff makes hundreds.
	if inWindow > segments*10 {
		t.Errorf("%d Scan requests in %s of throttling from %d segments: no backoff", inWindow, window, segments)
	}
	if took < window {
		t.Errorf("the export took %s, less than the %s every Scan was throttled", took, window)
	}
	if !strings.Contains(out, "ProvisionedThroughputExceededException") {
		t.Errorf("the retries were not logged:\n%s", out)
	}
	// The adaptive controller heard of the throttling and lowered the
	// page requests in flight, as it does for an overloaded Cassandra.
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Counters map[string]int64 `json:"counters"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Counters["throttled"] != int64(throttled) || r.Counters["throttle_decreases"] == 0 {
		t.Errorf("report: %d throttled (the proxy answered %d), %d throttle decreases; want all counted and at least one decrease",
			r.Counters["throttled"], throttled, r.Counters["throttle_decreases"])
	}
	root := openRoot(t, dest)
	_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "thr", table))
	sameItems(t, items, tableItems(t, c, table))
}
