package export_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// tablesKeyspace creates a keyspace with one table (p bigint, c int,
// v text) per entry of rows, holding that many rows in partitions of 5.
func tablesKeyspace(t testing.TB, s *cql.Session, rows map[string]int) string {
	t.Helper()
	ks := cqltest.Keyspace(t, s)
	for name, n := range rows {
		cqltest.Exec(t, s, "CREATE TABLE "+ks+"."+name+" (p bigint, c int, v text, PRIMARY KEY (p, c))")
		cqltest.InsertBatches(t, s, "INSERT INTO "+ks+"."+name+" (p, c, v) VALUES (?, ?, ?)", n, 5, 64, func(i int) []any {
			return []any{int64(i / 5), i % 5, fmt.Sprintf("%s-%d", name, i)}
		})
	}
	return ks
}

// tablesArgs are the flags of a small, many-unit export of ks's tables.
func tablesArgs(dest, batch, patterns string) []string {
	return []string{"--source", "", "--tables", patterns, "--dest", dest, "--batch", batch,
		"--splits", "8", "--parallel", "2", "--page-size", "100", "--part-size", "8KiB", "--log-level", "warn"}
}

// withSource fills the --source of tablesArgs.
func withSource(t testing.TB, args []string, extra ...string) []string {
	out := slices.Clone(args)
	out[1] = cqltest.URL(t)
	return append(out, extra...)
}

// checkBatch fails unless every table of ks named in tables has an exact
// dump in the batch and the batch marker lists exactly those dumps with
// their manifests' SHA-256; it returns the marker.
func checkBatch(t testing.TB, s *cql.Session, root *objstore.Bucket, batch, ks string, tables []string) *manifest.BatchSuccess {
	t.Helper()
	ctx := context.Background()
	data, err := root.ReadAll(ctx, manifest.BatchSuccessKey(batch))
	if err != nil {
		t.Fatalf("batch marker: %v", err)
	}
	bs, err := manifest.DecodeBatchSuccess(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs.Dumps) != len(tables) {
		t.Fatalf("the batch marker lists %d dumps, want %d: %+v", len(bs.Dumps), len(tables), bs.Dumps)
	}
	for i, name := range tables {
		d := bs.Dumps[i]
		if d.Table != ks+"."+name {
			t.Fatalf("marker dump %d is %s, want %s.%s", i, d.Table, ks, name)
		}
		prefix := sourcetest.OnlyDump(t, root, batch, d.Table)
		if prefix != strings.TrimSuffix(d.Prefix(batch), "/") {
			t.Fatalf("marker names dump %s, the batch holds %s", d.Prefix(batch), prefix)
		}
		mdata, err := root.ReadAll(ctx, prefix+"/"+manifest.ManifestName)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(mdata); hex.EncodeToString(sum[:]) != d.ManifestSHA256 {
			t.Fatalf("marker: %s's manifest SHA-256 %s, the manifest's is %x", d.Table, d.ManifestSHA256, sum)
		}
		dump := readDump(t, root, prefix)
		if d.Rows != dump.m.Totals.Rows || d.Files != dump.m.Totals.Files {
			t.Fatalf("marker: %s has %d rows in %d files, the manifest %d in %d", d.Table, d.Rows, d.Files, dump.m.Totals.Rows, dump.m.Totals.Files)
		}
		compareKeys(t, dump.keys, sourceKeys(t, s, ks, name, []string{"p", "c"}))
	}
	return bs
}

// Three tables matched by one pattern are exported by one run, each into
// an exact dump of the batch, and the batch marker lists all three with
// their manifests' checksums. A re-run with the same patterns (or the
// same ones from a file) finds the batch complete; patterns that match
// other tables are refused, and --table with --tables is a usage error.
func TestTablesByPattern(t *testing.T) {
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": 600, "b": 900, "c": 300})
	dest := fileDest(t)
	args := withSource(t, tablesArgs(dest, "many", ks+".*"))
	code, out := runToEnd(t, args...)
	if code != 0 || !strings.Contains(out, "batch many complete: 3 tables; batch marker written") {
		t.Fatalf("exporter --tables: exit %d\n%s", code, out)
	}
	for _, name := range []string{"a", "b", "c"} {
		if !strings.Contains(out, "table "+ks+"."+name+": dump complete") {
			t.Errorf("the summary does not list %s.%s as complete:\n%s", ks, name, out)
		}
	}
	root := openRoot(t, dest)
	checkBatch(t, s, root, "many", ks, []string{"a", "b", "c"})

	if code, out := runToEnd(t, args...); code != 0 || !strings.Contains(out, "batch many already complete") {
		t.Errorf("re-run: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "tables.txt")
	if err := os.WriteFile(file, []byte("# the test's tables\n"+ks+".a\n\n"+ks+".[bc]   # two more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile := withSource(t, tablesArgs(dest, "many", ""))
	fromFile[slices.Index(fromFile, "--tables")] = "--tables-file"
	fromFile[slices.Index(fromFile, "--tables-file")+1] = file
	if code, out := runToEnd(t, fromFile...); code != 0 || !strings.Contains(out, "batch marker already there") {
		t.Errorf("--tables-file matching the same tables: exit %d\n%s", code, out)
	}
	other := withSource(t, tablesArgs(dest, "many", ks+".a,"+ks+".b"))
	if code, out := runToEnd(t, other...); code != 2 || !strings.Contains(out, "in the list but not matched: "+ks+".c") {
		t.Errorf("other patterns in the batch: exit %d, want 2 naming the missing table\n%s", code, out)
	}
	both := withSource(t, tablesArgs(dest, "x", ks+".a"), "--table", ks+".b")
	if code, out := runToEnd(t, both...); code != 2 || !strings.Contains(out, "--table and --tables") {
		t.Errorf("--table with --tables: exit %d, want 2\n%s", code, out)
	}
}

// One table that the run's options do not fit (a --columns it lacks)
// fails with exit 2 while the others are exported; no batch marker is
// written. Once the table is fixed, the same command exports it and
// writes the marker.
func TestTablesOneFails(t *testing.T) {
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": 400, "b": 300})
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".c (p bigint, c int, w text, PRIMARY KEY (p, c))",
		"INSERT INTO "+ks+".c (p, c, w) VALUES (1, 1, 'x')")
	dest := fileDest(t)
	args := withSource(t, tablesArgs(dest, "fail", ks+".*"), "--columns", "v")
	code, out := runToEnd(t, args...)
	if code != 2 || !strings.Contains(out, "table "+ks+".c: failed (exit 2)") || !strings.Contains(out, "not complete: 1 of 3 tables") {
		t.Fatalf("one table refusing --columns: exit %d, want 2 and the table named\n%s", code, out)
	}
	for _, name := range []string{"a", "b"} {
		if !strings.Contains(out, "table "+ks+"."+name+": dump complete") {
			t.Errorf("%s was not exported beside the failing table:\n%s", name, out)
		}
	}
	root := openRoot(t, dest)
	if ok, err := root.Exists(context.Background(), manifest.BatchSuccessKey("fail")); err != nil || ok {
		t.Fatalf("batch marker written with a table failed (%v)", err)
	}
	cqltest.Exec(t, s, "ALTER TABLE "+ks+".c ADD v text", "INSERT INTO "+ks+".c (p, c, v) VALUES (2, 2, 'y')")
	code, out = runToEnd(t, args...)
	if code != 0 || !strings.Contains(out, "batch fail complete: 3 tables; batch marker written") {
		t.Fatalf("re-run after the fix: exit %d\n%s", code, out)
	}
	checkBatch(t, s, root, "fail", ks, []string{"a", "b", "c"})
}

var shardWorked = regexp.MustCompile(`: [1-9][0-9]* units committed by this run`)

// Two shards, run at once, share the three tables' work (each commits
// units) and leave every row exactly once; the batch marker is written
// by exactly one of them.
func TestTablesShards(t *testing.T) {
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": 700, "b": 500, "c": 200})
	dest := s3Dest(t)
	args := withSource(t, tablesArgs(dest, "sharded", ks+".*"))
	sourcetest.Binary(t)
	outs := make([]string, 2)
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i] = runToEnd(t, append(slices.Clone(args), "--shard", fmt.Sprintf("%d/2", i))...)
		}()
	}
	wg.Wait()
	written := 0
	for i := range 2 {
		if codes[i] != 0 {
			t.Fatalf("shard %d/2: exit %d\n%s", i, codes[i], outs[i])
		}
		if strings.Contains(outs[i], "batch marker written") {
			written++
		}
		if !shardWorked.MatchString(outs[i]) && !strings.Contains(outs[i], "dump complete") {
			t.Errorf("shard %d/2 did no work:\n%s", i, outs[i])
		}
	}
	if written != 1 {
		t.Fatalf("%d shards wrote the batch marker, want 1:\n%s\n%s", written, outs[0], outs[1])
	}
	checkBatch(t, s, openRoot(t, dest), "sharded", ks, []string{"a", "b", "c"})
}

// A multi-table run killed with SIGKILL again and again, then run to its
// end, leaves every table's dump exact and the batch marker.
func TestTablesKill9(t *testing.T) {
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": 3000, "b": 3000, "c": 2000})
	dest := fileDest(t)
	args := withSource(t, tablesArgs(dest, "killed", ks+".*"))
	root := openRoot(t, dest)
	sourcetest.KillRepeatedly(t, 3, 500*time.Millisecond, sourcetest.Committed(t, root, "killed/"), append(slices.Clone(args), "--max-rate", "600")...)
	if ok, _ := root.Exists(context.Background(), manifest.BatchSuccessKey("killed")); ok {
		t.Fatal("the batch completed before the last kill: the kills came too late to test resuming")
	}
	objs, _, err := root.ListAll(context.Background(), "killed/", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(objs, func(o objstore.Object) bool { return strings.Contains(o.Key, "/_state/commits/") }) {
		t.Fatal("nothing committed after the kills: they came too early to test resuming")
	}
	if code, out := runToEnd(t, args...); code != 0 || !strings.Contains(out, "batch marker written") {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	checkBatch(t, s, root, "killed", ks, []string{"a", "b", "c"})
}

// --max-rate holds for the run, not per table: two tables exported at
// once at --max-rate R read no more than R rows a second together (the
// token bucket allows one second's burst), measured from the run report.
func TestTablesShareMaxRate(t *testing.T) {
	const rate, rows = 1500, 3000
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": rows, "b": rows})
	reportFile := filepath.Join(t.TempDir(), "report.json")
	args := withSource(t, tablesArgs(fileDest(t), "rate", ks+".*"), "--table-parallel", "2",
		"--max-rate", fmt.Sprint(rate), "--report", reportFile)
	if code, out := runToEnd(t, args...); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Duration float64          `json:"duration_seconds"`
		Counters map[string]int64 `json:"counters"`
		Events   []struct {
			Kind  string         `json:"kind"`
			Attrs map[string]any `json:"attrs"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if got := rep.Counters["rows"]; got != 2*rows {
		t.Fatalf("the report counts %d rows, want %d", got, 2*rows)
	}
	allowed := rate * (rep.Duration + 1) * 1.05
	t.Logf("%d rows in %.2fs: %.0f rows/s under --max-rate %d over two tables (allowed with the burst: %.0f rows)",
		2*rows, rep.Duration, float64(2*rows)/rep.Duration, rate, allowed)
	if float64(2*rows) > allowed {
		t.Fatalf("%d rows in %.2fs: more than --max-rate %d allows for the run (%.0f)", 2*rows, rep.Duration, rate, allowed)
	}
	tables := 0
	for _, ev := range rep.Events {
		if ev.Kind == "table" && ev.Attrs["outcome"] == "complete" {
			tables++
		}
	}
	if tables != 2 {
		t.Errorf("the report's table events name %d complete tables, want 2", tables)
	}
}

// In process (so that -race sees it): two tables exported at once count
// their units into the run's one pair of progress gauges, which end with
// every unit of both plans done.
func TestRunTablesGauges(t *testing.T) {
	s := cqltest.Session(t)
	ks := tablesKeyspace(t, s, map[string]int{"a": 300, "b": 200})
	dest := fileDest(t)
	run := report.New("exporter")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := export.RunTables(ctx, export.Config{Source: cqltest.URL(t), Tables: []string{ks + ".*"}, Dest: dest, Batch: "g",
		Splits: 4, Parallel: 2, PageSize: 50, TableParallel: 2}, nil, run)
	if err != nil || !res.MarkerWritten || len(res.Tables) != 2 {
		t.Fatalf("RunTables: %v, %+v", err, res)
	}
	units := 0
	for _, tr := range res.Tables {
		if tr.Outcome() != "complete" || tr.Rows == 0 {
			t.Errorf("table %s: %s, %d rows", tr.Table, tr.Outcome(), tr.Rows)
		}
		units += tr.Units
	}
	if total, done := run.Gauge("units_total"), run.Gauge("units_done"); total != int64(units) || done != total {
		t.Fatalf("gauges units %d/%d, want %d/%d", done, total, units, units)
	}
	if run.Counter("rows") != 500 || run.Counter("tables_done") != 2 {
		t.Fatalf("report: %d rows, %d tables done", run.Counter("rows"), run.Counter("tables_done"))
	}
}
