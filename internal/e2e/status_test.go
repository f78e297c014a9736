package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/status"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// statusPipeline is the real pipeline the status tests look at: a table
// of 300 rows exported to S3 twice (batches b1 and b2), b1 shipped to
// GCS and loaded from there into Cassandra with --verify count, b2 left
// unshipped.
type statusPipeline struct {
	s3Root, gcsRoot string
	table, target   string
	b1, b2          string // the dumps' batch/table/timestamp
}

func newStatusPipeline(t *testing.T) *statusPipeline {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("the pipeline took %s", time.Since(start).Round(time.Millisecond)) }()
	s := cqltest.Session(t)
	hosts := testenv.CassandraHosts(t)
	endpoint, s3Bucket := testenv.S3(t)
	_, gcsBucket := testenv.GCS(t)
	uniq := fmt.Sprintf("status-%d", time.Now().UnixNano())
	p := &statusPipeline{
		s3Root:  "s3://" + s3Bucket + "/" + uniq + "?endpoint=" + url.QueryEscape(endpoint) + "&region=us-east-1",
		gcsRoot: "gs://" + gcsBucket + "/" + uniq,
		table:   rowsTable(t, s, 300),
	}
	p.target = "cassandra://" + hosts + "/" + cqltest.Keyspace(t, s)
	step := func(name string, args ...string) {
		start := time.Now()
		mustRun(t, name, args...)
		t.Logf("%s took %s", name, time.Since(start).Round(time.Millisecond))
	}
	step("exporter", "--source", "cassandra://"+hosts, "--table", p.table, "--dest", p.s3Root, "--batch", "b1")
	step("shipper", "--from", p.s3Root, "--to", p.gcsRoot)
	step("loader", "--from", p.gcsRoot, "--to", p.target, "--create-table", "--verify", "count")
	step("exporter", "--source", "cassandra://"+hosts, "--table", p.table, "--dest", p.s3Root, "--batch", "b2")
	p.b1, p.b2 = p.dumpOf(t, "b1"), p.dumpOf(t, "b2")
	// Let b2 wait more than the 1s --max-lag the tests use.
	var exported manifest.ExportedNote
	p.readJSON(t, p.s3Root, p.b2+"/_SUCCESS", &exported)
	time.Sleep(time.Until(exported.FinishedAt.Add(1200 * time.Millisecond)))
	return p
}

// dumpOf names batch's one dump of the table (from its dump.json).
func (p *statusPipeline) dumpOf(t *testing.T, batch string) string {
	t.Helper()
	var marker struct{ Timestamp string }
	p.readJSON(t, p.s3Root, batch+"/"+p.table+"/_state/dump.json", &marker)
	return batch + "/" + p.table + "/" + marker.Timestamp
}

func (p *statusPipeline) readJSON(t *testing.T, root, key string, v any) {
	t.Helper()
	ctx := context.Background()
	b, err := objstore.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}

// loadedRecord reads the ledger's record of dump (one target, one
// incarnation: the test's).
func (p *statusPipeline) loadedRecord(t *testing.T, dump string) load.LoadedRecord {
	t.Helper()
	ctx := context.Background()
	b, err := objstore.Open(ctx, p.gcsRoot)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs, _, err := b.ListAll(ctx, load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(dump, "/")
	suffix := "/loaded/" + parts[2] + "." + parts[0] + "." + parts[1] + ".json"
	for _, o := range objs {
		if strings.HasSuffix(o.Key, suffix) {
			var rec load.LoadedRecord
			p.readJSON(t, p.gcsRoot, o.Key, &rec)
			return rec
		}
	}
	t.Fatalf("no loaded record of %s in the ledger", dump)
	return load.LoadedRecord{}
}

// statusJSON runs status --json and decodes its report.
func statusJSON(t *testing.T, args ...string) (int, status.Report, string) {
	t.Helper()
	code, out := run(t, "status", append(args, "--json", "--log-level", "warn")...)
	var rep status.Report
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("status printed no JSON (exit %d):\n%s", code, out)
	}
	dec := json.NewDecoder(strings.NewReader(out[start:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if rep.Format != status.FormatReport {
		t.Fatalf("format %q, want %q", rep.Format, status.FormatReport)
	}
	return code, rep, out
}

func findDump(t *testing.T, rep status.Report, name string) status.Dump {
	t.Helper()
	for _, d := range rep.Dumps {
		if d.Name() == name {
			return d
		}
	}
	t.Fatalf("no dump %s in the report (%d dumps)", name, len(rep.Dumps))
	return status.Dump{}
}

func stageOf(t *testing.T, d status.Dump, stage string) status.Stage {
	t.Helper()
	var found []status.Stage
	for _, s := range d.Stages {
		if s.Stage == stage {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d %s stages, want 1: %+v", d.Name(), len(found), stage, d.Stages)
	}
	return found[0]
}

func sameTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s at %v, want %v", what, got, want)
	}
}

func TestStatus(t *testing.T) {
	p := newStatusPipeline(t)

	t.Run("every stage of a dump exported, shipped, loaded and verified", func(t *testing.T) {
		code, rep, out := statusJSON(t, "--root", p.s3Root, "--root", p.gcsRoot)
		if code != 0 || len(rep.Behind) != 0 {
			t.Fatalf("exit %d, behind %q, want 0 and none without --max-lag:\n%s", code, rep.Behind, out)
		}
		var exported manifest.ExportedNote
		p.readJSON(t, p.s3Root, p.b1+"/_SUCCESS", &exported)
		var shipped manifest.ShippedNote
		p.readJSON(t, p.gcsRoot, p.b1+"/_SUCCESS", &shipped)
		rec := p.loadedRecord(t, p.b1)

		d := findDump(t, rep, p.b1)
		if d.Rows != 300 || d.Exported == nil || !d.Exported.Equal(exported.FinishedAt) || d.StoredBytes != exported.StoredBytes {
			t.Errorf("dump: rows %d exported %v bytes %d, want 300, %v, %d", d.Rows, d.Exported, d.StoredBytes, exported.FinishedAt, exported.StoredBytes)
		}
		if len(d.Stages) != 4 {
			t.Fatalf("%d stages, want export, ship, load, verify: %+v", len(d.Stages), d.Stages)
		}
		ex := stageOf(t, d, status.StageExport)
		if ex.State != status.StateDone || ex.Rows != 300 || ex.Where != rep.Roots[0] {
			t.Errorf("export stage %+v", ex)
		}
		sameTime(t, "export", ex.At, exported.FinishedAt)
		sh := stageOf(t, d, status.StageShip)
		if sh.State != status.StateDone || sh.Where != rep.Roots[1] || !strings.HasPrefix(sh.Where, "gs://") || sh.Rows != 300 {
			t.Errorf("ship stage %+v", sh)
		}
		sameTime(t, "ship", sh.At, shipped.ShippedAt)
		if want := shipped.ShippedAt.Sub(exported.FinishedAt).Seconds(); sh.LagSeconds != want {
			t.Errorf("ship lag %vs, want %vs", sh.LagSeconds, want)
		}
		ld := stageOf(t, d, status.StageLoad)
		if ld.State != status.StateDone || ld.Rows != 300 || ld.Where != rec.Target || ld.TargetID != rec.TargetID {
			t.Errorf("load stage %+v, ledger record %+v", ld, rec)
		}
		sameTime(t, "load", ld.At, rec.Finished)
		vf := stageOf(t, d, status.StageVerify)
		if vf.State != status.StateDone || vf.Mode != load.VerifyCount || !strings.Contains(vf.Detail, "300") {
			t.Errorf("verify stage %+v", vf)
		}
		sameTime(t, "verify", vf.At, rec.Verify.At)

		// b2 waits: not shipped, not loaded into the target that loaded b1.
		d2 := findDump(t, rep, p.b2)
		if s := stageOf(t, d2, status.StageShip); s.State != status.StatePending || s.At != nil || s.LagSeconds <= 0 {
			t.Errorf("b2 ship stage %+v, want pending", s)
		}
		if s := stageOf(t, d2, status.StageLoad); s.State != status.StatePending || s.Where != rec.Target {
			t.Errorf("b2 load stage %+v, want pending in %s", s, rec.Target)
		}
	})

	t.Run("the text table names every stage", func(t *testing.T) {
		out := mustRun(t, "status", "--root", p.s3Root, "--root", p.gcsRoot)
		ts := strings.Split(p.b1, "/")[2]
		for _, want := range []string{p.table, ts, "export", "ship", "load", "verify", "took ", "waiting ", "300 rows", "count: 300 rows"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "lading-test-secret") {
			t.Errorf("a secret in the output:\n%s", out)
		}
	})

	t.Run("max-lag exits 1 naming the dump not shipped", func(t *testing.T) {
		code, rep, out := statusJSON(t, "--root", p.s3Root, "--root", p.gcsRoot, "--max-lag", "1s")
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		shipBehind := false
		for _, b := range rep.Behind {
			if strings.HasPrefix(b, p.b1) {
				t.Errorf("b1 listed as behind: %s", b)
			}
			shipBehind = shipBehind || strings.HasPrefix(b, p.b2+": ship ")
		}
		if !shipBehind || !strings.Contains(out, p.b2+": ship ") {
			t.Errorf("b2's ship stage not named as behind: %q\n%s", rep.Behind, out)
		}
		if code, out := run(t, "status", "--root", p.s3Root, "--root", p.gcsRoot, "--max-lag", "1h"); code != 0 {
			t.Errorf("--max-lag 1h: exit %d, want 0:\n%s", code, out)
		}
	})

	t.Run("target filter", func(t *testing.T) {
		_, rep, _ := statusJSON(t, "--root", p.gcsRoot, "--target", p.target, "--target", "cassandra://127.0.0.1/elsewhere")
		d := findDump(t, rep, p.b1)
		var wheres []string
		for _, s := range d.Stages {
			if s.Stage == status.StageLoad {
				wheres = append(wheres, s.Where+" "+s.State)
			}
		}
		if len(wheres) != 2 || !strings.HasSuffix(wheres[0], " done") || wheres[1] != "cassandra://127.0.0.1/elsewhere pending" {
			t.Errorf("load stages %q, want the test's target done and the other one pending", wheres)
		}
		// Only GCS given: the export is read from the manifest there.
		if ex := stageOf(t, d, status.StageExport); ex.State != status.StateDone || ex.Rows != 300 || !strings.Contains(ex.Detail, "manifest") {
			t.Errorf("export stage from the manifest: %+v", ex)
		}
	})

	t.Run("empty root", func(t *testing.T) {
		root := fileRoot(t)
		code, rep, out := statusJSON(t, "--root", root, "--max-lag", "1s")
		if code != 0 || len(rep.Dumps) != 0 || rep.Behind == nil || len(rep.Behind) != 0 {
			t.Fatalf("exit %d, %d dumps, behind %v:\n%s", code, len(rep.Dumps), rep.Behind, out)
		}
		if out := mustRun(t, "status", "--root", root); !strings.Contains(out, "no dumps under") {
			t.Errorf("text for an empty root: %q", out)
		}
	})

	t.Run("export in progress", func(t *testing.T) {
		root := fileRoot(t)
		out := mustRun(t, "exporter", "--source", "cassandra://"+testenv.CassandraHosts(t), "--table", p.table, "--dest", root,
			"--batch", "half", "--splits", "8", "--shard", "0/2")
		if !strings.Contains(out, "units left to other shards") {
			t.Fatalf("shard 0/2 finished the dump alone:\n%s", out)
		}
		before := snapshot(t, root)
		_, rep, _ := statusJSON(t, "--root", root)
		if !equalMaps(before, snapshot(t, root)) {
			t.Errorf("status changed the store it reports on")
		}
		if len(rep.Dumps) != 1 || len(rep.Dumps[0].Stages) != 1 {
			t.Fatalf("want one dump with only its export stage: %+v", rep.Dumps)
		}
		ex := rep.Dumps[0].Stages[0]
		if ex.State != status.StateRunning || ex.Units < 2 || ex.UnitsDone < 1 || ex.UnitsDone >= ex.Units || rep.Dumps[0].Exported != nil {
			t.Errorf("export stage %+v, want running with some units committed", ex)
		}
		code, rep, out := statusJSON(t, "--root", root, "--stale", "1ms", "--max-lag", "1ms")
		if st := rep.Dumps[0].Stages[0]; code != 1 || st.State != status.StateStale || !st.Behind {
			t.Errorf("with --stale 1ms: exit %d, stage %+v, want 1 and stale, behind:\n%s", code, st, out)
		}
	})

	t.Run("html", func(t *testing.T) { checkStatusPage(t, p) })
}
