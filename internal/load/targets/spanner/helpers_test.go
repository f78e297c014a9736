package spanner_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/load"
	_ "github.com/lading-dev/lading/internal/load/targets/spanner"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
	"github.com/lading-dev/lading/pkg/objstore"
)

// testDB is the database the tests name: spannertest serves one
// database whatever the name, so tests keep apart by table names.
const testDB = "projects/lading/instances/test/databases/loadtest"

// env is one test's world: spannertest behind a proxy (in
// SPANNER_EMULATOR_HOST for this process and the loaders it starts), a
// Spanner client, a file:// store and a table name of its own.
type env struct {
	t        *testing.T
	ctx      context.Context
	proxy    *spannerproxy.Proxy
	client   *spanner.Client
	admin    *database.DatabaseAdminClient
	storeURL string
	store    *objstore.Bucket
	// table is a name no other test uses.
	table string
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

func newEnv(t *testing.T) *env {
	t.Helper()
	upstream := testenv.Spanner(t)
	ctx := context.Background()
	p := spannerproxy.Start(t, upstream)
	t.Setenv("SPANNER_EMULATOR_HOST", p.Addr)
	client, err := spanner.NewClientWithConfig(ctx, testDB, spanner.ClientConfig{DisableNativeMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	e := &env{t: t, ctx: ctx, proxy: p, client: client, admin: admin,
		table: "t_" + strings.Trim(name, "_") + "_" + hex.EncodeToString(suffix)}
	dir := t.TempDir()
	e.storeURL = "file://" + dir
	if e.store, err = objstore.Open(ctx, e.storeURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	return e
}

// target is the test database's URL.
func (e *env) target() string { return "spanner://" + testDB }

// opts loads from a store URL into the env's table, creating it.
func (e *env) opts(from string) load.Options {
	return load.Options{
		From: from, To: e.target(), CreateTable: true, Verify: load.VerifyFull, TargetTable: e.table,
		Workers: 4, SpoolBytes: 64 << 20, SpoolDir: e.t.TempDir(), Run: report.New("loader"),
	}
}

// run runs a load and fails the test on error.
func (e *env) run(o load.Options) load.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Minute)
	defer cancel()
	res, err := load.Run(ctx, o)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return res
}

// ddl applies schema statements.
func (e *env) ddl(stmts ...string) {
	e.t.Helper()
	op, err := e.admin.UpdateDatabaseDdl(e.ctx, &databasepb.UpdateDatabaseDdlRequest{Database: testDB, Statements: stmts})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		e.t.Fatalf("%v: %v", stmts, err)
	}
}

// applyDDL applies schema statements with a client of its own (for
// benchmarks, which have no env).
func applyDDL(ctx context.Context, stmts ...string) error {
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return err
	}
	defer admin.Close()
	op, err := admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: testDB, Statements: stmts})
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// schemaOf returns the CREATE TABLE statement of a table as the
// database prints it.
func (e *env) schemaOf(table string) string {
	e.t.Helper()
	resp, err := e.admin.GetDatabaseDdl(e.ctx, &databasepb.GetDatabaseDdlRequest{Database: testDB})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range resp.Statements {
		if strings.Contains(s, "CREATE TABLE `"+table+"`") || strings.Contains(s, "CREATE TABLE "+table+" ") {
			return s
		}
	}
	return ""
}

// count counts a table's rows.
func (e *env) count(table string) int64 {
	e.t.Helper()
	iter := e.client.Single().Query(e.ctx, spanner.Statement{SQL: "SELECT COUNT(*) FROM " + table})
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	var n int64
	if err := row.Columns(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// rowsByKey reads every row of a table as the JSON of its wire values
// joined by " | ", keyed by the first nkey values joined by ",".
func (e *env) rowsByKey(table string, nkey int, cols ...string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	iter := e.client.Single().Read(e.ctx, table, spanner.AllKeys(), cols)
	err := iter.Do(func(r *spanner.Row) error {
		var parts []string
		for i := range r.Size() {
			var g spanner.GenericColumnValue
			if err := r.Column(i, &g); err != nil {
				return err
			}
			parts = append(parts, render(g.Value))
		}
		out[strings.Join(parts[:nkey], ",")] = strings.Join(parts, " | ")
		return nil
	})
	if err != nil {
		e.t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// buildLoader returns the path of cmd/loader, built once per test
// process (testenv.Command).
func buildLoader(t *testing.T) string {
	t.Helper()
	return testenv.Command(t, "loader")
}

// runLoader runs the loader binary and returns its exit code and output.
func runLoader(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	return testenv.RunCommand(t, bin, args...)
}

// render writes a wire value as JSON, NaN and the infinities as the
// strings Spanner's protocol uses for them.
func render(v *structpb.Value) string {
	switch x := v.Kind.(type) {
	case *structpb.Value_NumberValue:
		switch f := x.NumberValue; {
		case math.IsNaN(f):
			return `"NaN"`
		case math.IsInf(f, 1):
			return `"Infinity"`
		case math.IsInf(f, -1):
			return `"-Infinity"`
		}
	case *structpb.Value_ListValue:
		parts := make([]string, len(x.ListValue.Values))
		for i, e := range x.ListValue.Values {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	js, _ := v.MarshalJSON()
	return string(js)
}

// ddlAll is the database's schema as GetDatabaseDdl returns it.
func (e *env) ddlAll() string {
	e.t.Helper()
	resp, err := e.admin.GetDatabaseDdl(e.ctx, &databasepb.GetDatabaseDdlRequest{Database: testDB})
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Join(resp.Statements, "\n")
}
