package dynamodb_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
)

// --read-ratio of a provisioned table, and --max-rcu of an on-demand
// one, hold the capacity the export consumes (as DynamoDB reports it per
// page) within 10% of the cap, measured over the whole run from the run
// report.
func TestDynamoExportHoldsReadRatio(t *testing.T) {
	c := dynamotest.Client(t)
	for _, tc := range []struct {
		name string
		key  dynamotest.Key
		rcu  int64
		flag []string
		want float64
	}{
		{"read-ratio", dynamotest.Key{SortKey: true}, 20, []string{"--read-ratio", "0.5"}, 10},
		{"max-rcu", dynamotest.Key{SortKey: true, OnDemand: true}, 0, []string{"--max-rcu", "10"}, 10},
	} {
		// Both take about 20s (a second's worth of burst is 5% of that),
		// side by side.
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := dynamotest.CreateTable(t, c, tc.key, tc.rcu)
			dynamotest.Put(t, c, table, smallItems(4000))
			dest := fileDest(t)
			report := filepath.Join(t.TempDir(), "report.json")
			code, out := runExporter(t, append([]string{"--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "cap",
				"--splits", "4", "--parallel", "4", "--page-size", "10", "--log-level", "warn", "--report", report}, tc.flag...)...)
			if code != 0 || !strings.Contains(out, "dump complete") {
				t.Fatalf("exporter: exit %d\n%s", code, out)
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Duration float64          `json:"duration_seconds"`
				Counters map[string]int64 `json:"counters"`
			}
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatal(err)
			}
			consumed := float64(r.Counters["consumed_rcu_milli"]) / 1000
			rate := consumed / r.Duration
			t.Logf("consumed %.1f RCU in %.1fs: %.2f RCU/s (cap %.1f), %d pages, %d rows", consumed, r.Duration, rate, tc.want, r.Counters["pages"], r.Counters["rows"])
			if r.Duration < 10 {
				t.Fatalf("the export took %.1fs: too short to measure the rate", r.Duration)
			}
			if math.Abs(rate-tc.want)/tc.want > 0.10 {
				t.Errorf("consumed %.2f RCU/s, want %.1f ± 10%%", rate, tc.want)
			}
			root := openRoot(t, dest)
			_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "cap", table))
			sameItems(t, items, tableItems(t, c, table))
		})
	}
}

// Shards divide --read-ratio among them: two shards running at once
// each consume about half of the share, and together the share.
func TestDynamoExportShardsShareReadRatio(t *testing.T) {
	c := dynamotest.Client(t)
	const rcu, ratio = 20, 0.5
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, rcu)
	dynamotest.Put(t, c, table, smallItems(4000))
	dest := fileDest(t)
	dynamodbURL := dynamotest.URL(t, "")
	exporterBinary(t)
	type result struct {
		code int
		out  string
		rate float64
		dur  float64
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			report := filepath.Join(t.TempDir(), "report.json")
			code, out := runExporter(t, "--source", dynamodbURL, "--table", table, "--dest", dest, "--batch", "capsh",
				"--splits", "8", "--parallel", "4", "--page-size", "10", "--read-ratio", "0.5", "--log-level", "warn",
				"--shard", fmt.Sprintf("%d/2", i), "--report", report)
			r := result{code: code, out: out}
			if data, err := os.ReadFile(report); err == nil {
				var rep struct {
					Duration float64          `json:"duration_seconds"`
					Counters map[string]int64 `json:"counters"`
				}
				if json.Unmarshal(data, &rep) == nil && rep.Duration > 0 {
					r.rate, r.dur = float64(rep.Counters["consumed_rcu_milli"])/1000/rep.Duration, rep.Duration
				}
			}
			results[i] = r
		}()
	}
	wg.Wait()
	want := rcu * ratio / 2
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("shard %d/2: exit %d\n%s", i, r.code, r.out)
		}
		t.Logf("shard %d/2: %.2f RCU/s over %.1fs (its share %.1f)", i, r.rate, r.dur, want)
		if r.dur < 8 {
			t.Errorf("shard %d/2 took %.1fs: too short to measure", i, r.dur)
		}
		if math.Abs(r.rate-want)/want > 0.15 {
			t.Errorf("shard %d/2 consumed %.2f RCU/s, want its share %.1f ± 15%%", i, r.rate, want)
		}
	}
	root := openRoot(t, dest)
	_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "capsh", table))
	sameItems(t, items, tableItems(t, c, table))
}
