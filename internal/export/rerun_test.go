package export_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
)

// partialRun runs an export in this process and cancels it once some
// units are committed, leaving a plan and some commits.
func partialRun(t *testing.T, cfg export.Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := openRoot(t, cfg.Dest)
	done := make(chan error, 1)
	go func() {
		_, err := export.Run(ctx, cfg, nil, report.New("exporter"))
		done <- err
	}()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case err := <-done:
			t.Fatalf("the first run ended (%v) before it could be interrupted", err)
		case <-deadline:
			t.Fatal("no commit within 2 minutes")
		case <-time.After(20 * time.Millisecond):
		}
		_, dumps, err := root.ListAll(ctx, cfg.Batch+"/"+cfg.Table+"/", "/")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dumps {
			if strings.HasSuffix(d, "/_state/") {
				continue
			}
			objs, _, err := root.ListAll(ctx, d+"_state/commits/", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) >= 2 {
				cancel()
				<-done
				return strings.TrimSuffix(d, "/")
			}
		}
	}
}

// A re-run with another --splits continues the first run's plan and the
// dump is exact; a re-run with other --columns is refused, naming the
// option; so is a run after the table's schema changed.
func TestExportRerunAgainstPlan(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 4000, 5, 0)
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})
	dest := fileDest(t)
	base := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: dest, Batch: "rerun", Parallel: 2, PageSize: 100, MaxRate: 4000}
	first := base
	first.Splits = 40
	prefix := partialRun(t, first)
	root := openRoot(t, dest)
	data, err := root.ReadAll(context.Background(), prefix+"/"+manifest.PlanName)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := manifest.DecodePlan(data)
	if err != nil {
		t.Fatal(err)
	}

	cols := base
	cols.Columns = []string{"v"}
	_, err = runExport(t, cols)
	if fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), "columns:") {
		t.Fatalf("re-run with other --columns: %v (exit %d), want exit 2 naming columns", err, fault.Code(err))
	}

	second := base
	second.Splits = 7
	second.MaxRate = 0
	res, err := runExport(t, second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Units != len(plan.Units) || res.Skipped < 2 {
		t.Errorf("second run: %d units (plan has %d), %d skipped as committed", res.Units, len(plan.Units), res.Skipped)
	}
	d := readDump(t, root, prefix)
	if len(d.m.Files) == 0 || d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest: %d files, %d rows; source %d", len(d.m.Files), d.m.Totals.Rows, n)
	}
	compareKeys(t, d.keys, src)

	// The schema changes while a dump is under way: refused.
	cqltest.Exec(t, s, "ALTER TABLE "+ks+".kv ADD extra int")
	third := base
	third.Batch = "rerun2"
	partialRun(t, third)
	cqltest.Exec(t, s, "ALTER TABLE "+ks+".kv DROP extra")
	_, err = runExport(t, third)
	if fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), `column "extra" was dropped`) {
		t.Fatalf("run after a schema change: %v (exit %d), want exit 2 naming the change", err, fault.Code(err))
	}
}

// A schema change while a run reads fails that run, naming the change.
func TestExportSchemaChangeDuringRun(t *testing.T) {
	defer export.SetSchemaCheckInterval(100 * time.Millisecond)()
	s := cqltest.Session(t)
	ks, _ := kvTable(t, s, 2000, 5, 0)
	cfg := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: fileDest(t), Batch: "watch",
		Parallel: 1, PageSize: 50, MaxRate: 1000, Splits: 20}
	done := make(chan error, 1)
	go func() {
		_, err := runExport(t, cfg)
		done <- err
	}()
	time.Sleep(1500 * time.Millisecond)
	cqltest.Exec(t, s, "ALTER TABLE "+ks+".kv ADD late text")
	select {
	case err := <-done:
		if fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), `column "late" was added`) {
			t.Fatalf("run during a schema change: %v (exit %d), want exit 2 naming the change", err, fault.Code(err))
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not stop after the schema change")
	}
}
