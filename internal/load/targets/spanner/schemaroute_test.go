package spanner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/bigtable"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// btRows counts a Bigtable table's data rows in the emulator (not the
// target's incarnation row, whose key starts with 0xff); -1 when the
// table does not exist.
func btRows(t *testing.T, host, project, instance, table string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := grpc.NewClient("passthrough:///"+host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin, err := bigtable.NewAdminClient(ctx, project, instance, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tables, err := admin.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tb := range tables {
		found = found || tb == table
	}
	if !found {
		return -1
	}
	client, err := bigtable.NewClientWithConfig(ctx, project, instance, bigtable.ClientConfig{MetricsProvider: bigtable.NoopMetricsProvider{}}, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	n := 0
	err = client.Open(table).ReadRows(ctx, bigtable.InfiniteRange(""), func(r bigtable.Row) bool {
		if !strings.HasPrefix(r.Key(), "\xff") {
			n++
		}
		return true
	}, bigtable.RowFilter(bigtable.StripValueFilter()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// --route 'indexed=spanner://…,plain=bigtable://…' sends the table whose
// manifest lists a secondary index, and the one that has only a
// materialized view, to Spanner (creating the index and the view's index
// with --create-indexes) and the plain one to Bigtable, each with its own
// ledger; a table --route-file names goes where the file says, whatever
// its indexes; a second run finds all loaded; with indexed= alone the
// plain table is skipped with a log line; --route with --to, and a
// malformed --route, are refused (exit 2).
func TestSchemaRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bt := testenv.Bigtable(t)
	bin := buildLoader(t)
	instance := "route-" + strings.ReplaceAll(e.table[len(e.table)-6:], "_", "")
	btURL := "bigtable://lading-test/" + instance + "?family=cf"

	indexed := simpleTable(e.table)
	indexed.Indexes = []schema.Index{{Name: e.table + "_by_v", Kind: schema.IndexSecondary, Target: "v", CQL: "CREATE INDEX ..."}}
	plain := "plain_" + e.table[len(e.table)-6:]
	pinned := e.table + "_pinned"
	viewed := simpleTable(e.table + "_mv")
	viewed.Indexes = []schema.Index{{Name: e.table + "_mv_by_v", Kind: schema.IndexView, Key: []string{"v", "k", "c"}, CQL: "CREATE MATERIALIZED VIEW ..."}}
	loadtest.Write(t, e.store, loadtest.Dump{Table: viewed, Parts: [][]format.Row{simpleRows(0, 15, "viewed")}})
	loadtest.Write(t, e.store, loadtest.Dump{Table: indexed, Parts: [][]format.Row{simpleRows(0, 30, "indexed")}})
	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable(plain), Parts: [][]format.Row{simpleRows(0, 20, "plain")}})
	loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable(pinned), Parts: [][]format.Row{simpleRows(0, 10, "pinned")}})
	routes := filepath.Join(t.TempDir(), "routes.txt")
	if err := os.WriteFile(routes, []byte("src."+pinned+"="+e.target()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	route := "indexed=" + e.target() + ",plain=" + btURL
	args := []string{"--from", e.storeURL, "--route", route, "--route-file", routes, "--create-table", "--create-indexes", "--spool-dir", t.TempDir()}
	code, out := runLoader(t, bin, args...)
	if code != 0 || !strings.Contains(out, "loaded b1/src."+e.table+"/20260101T000000Z into spanner:") ||
		!strings.Contains(out, "loaded b1/src."+plain+"/20260101T000000Z into bigtable:") ||
		!strings.Contains(out, "loaded b1/src."+pinned+"/20260101T000000Z into spanner:") ||
		!strings.Contains(out, "loaded b1/src."+viewed.Name+"/20260101T000000Z into spanner:") {
		t.Fatalf("routed run: exit %d\n%s", code, out)
	}
	if n := e.count(e.table); n != 30 {
		t.Errorf("spanner %s: %d rows, want 30", e.table, n)
	}
	if n := e.count(pinned); n != 10 {
		t.Errorf("spanner %s: %d rows, want 10", pinned, n)
	}
	if n := e.count(viewed.Name); n != 15 {
		t.Errorf("spanner %s: %d rows, want 15", viewed.Name, n)
	}
	if !strings.Contains(e.ddlAll(), "CREATE INDEX `"+e.table+"_mv_by_v`") {
		t.Errorf("the view's index was not created:\n%s", e.ddlAll())
	}
	if !strings.Contains(e.ddlAll(), "CREATE INDEX `"+e.table+"_by_v`") {
		t.Errorf("the index was not created:\n%s", e.ddlAll())
	}
	if n := btRows(t, bt, "lading-test", instance, plain); n != 20 {
		t.Errorf("bigtable %s: %d rows, want 20", plain, n)
	}
	for _, tb := range []string{e.table, pinned, viewed.Name} {
		if n := btRows(t, bt, "lading-test", instance, tb); n != -1 {
			t.Errorf("bigtable holds table %s (%d rows)", tb, n)
		}
	}
	// Each table's ledger is under its own target.
	ledgers := map[string]bool{}
	objs, _, err := e.store.ListAll(e.ctx, "_state/loads/", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(o.Key, "/loaded/") {
			ledgers[strings.Split(strings.TrimPrefix(o.Key, "_state/loads/"), "/")[0]] = true
		}
	}
	if len(ledgers) != 4 {
		t.Errorf("loaded records under %d target tables, want 4: %v", len(ledgers), ledgers)
	}

	code, out = runLoader(t, bin, args...)
	if code != 0 || strings.Count(out, "\nalready loaded b1/") != 4 {
		t.Errorf("second run: exit %d, want all four already loaded\n%s", code, out)
	}
	// With indexed= alone (and no route file), the tables without
	// indexes go nowhere: skipped with a log line naming each, not an
	// error; the indexed ones are already loaded.
	code, out = runLoader(t, bin, "--from", e.storeURL, "--route", "indexed="+e.target(), "--spool-dir", t.TempDir())
	if code != 0 || strings.Count(out, "skipped: --route names no target for this kind of table") != 2 ||
		!strings.Contains(out, "src."+plain+"/") || !strings.Contains(out, "src."+pinned+"/") || strings.Count(out, "\nalready loaded b1/") != 2 {
		t.Errorf("--route indexed= alone: exit %d, want 0, two tables skipped with a log line and two already loaded\n%s", code, out)
	}

	for _, bad := range [][]string{
		{"--from", e.storeURL, "--route", route, "--to", e.target()},
		{"--from", e.storeURL, "--route", "spanner=" + e.target()},
		{"--from", e.storeURL, "--route", "indexed=,plain=" + btURL},
		{"--from", e.storeURL, "--route", "indexed=a,indexed=" + btURL},
	} {
		if code, out := runLoader(t, bin, bad...); code != 2 || strings.Count(strings.TrimSpace(out), "\n") > 1 {
			t.Errorf("%v: exit %d, want 2 and one line\n%s", bad, code, out)
		}
	}
}
