package dynamodb_test

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/bigtable"
	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
)

// spannerDB is the database the test names: spannertest serves one
// database whatever the name; tables keep tests apart.
const spannerDB = "projects/lading/instances/test/databases/loadtest"

// gnValues are the N sort keys of the test index: NUMERIC holds them.
var gnValues = []string{"-12.5", "0", "1000", "99999999999999999999999999999.999999999", "7E-9"}

// dynamoLoad is the world of the load test: a dump of two DynamoDB
// tables (one with a global secondary index) in a file:// store, the
// loader binary, and the targets.
type dynamoLoad struct {
	dest, loader      string
	root              *objstore.Bucket
	indexed, plain    string // DynamoDB (and target) table names
	btURL, route      string
	bt                *bigtable.Client
	sp                *spanner.Client
	wantIx, wantPlain []format.DynamoItem
}

// A DynamoDB table with a global secondary index and one without, in
// dynalite, exported by the real exporter and loaded by the real loader
// with --route: the indexed one into Spanner (through the test proxy,
// which holds JSON and NUMERIC for spannertest) with its index, the
// other into the Bigtable emulator. Read back with the targets' own
// clients, every attribute of every item equals the dump's exactly
// (38-digit numbers, binary, sets, nested maps and lists, NULL, BOOL,
// empty strings, lists, maps and binary; a NUMERIC column's number by
// value). Loading again
// (--force) changes nothing, and --verify full catches a changed value
// in each target (exit 3).
func TestDynamoLoadBigtableSpanner(t *testing.T) {
	e := newDynamoLoad(t, 40)
	args := []string{"--from", e.dest, "--route", e.route, "--create-table", "--create-indexes", "--verify", "full", "--spool-dir", t.TempDir()}
	code, out := runBinary(t, e.loader, args...)
	if code != 0 || strings.Count(out, "verify full: passed") != 2 ||
		!strings.Contains(out, "dynamodb."+e.indexed+"/") || !strings.Contains(out, "into spanner:") || !strings.Contains(out, "into bigtable:") {
		t.Fatalf("loader: exit %d, want both dumps loaded and verified\n%s", code, out)
	}
	btItems, spItems := e.bigtableItems(t), e.spannerItems(t)
	sameItems(t, btItems, e.wantPlain)
	sameItems(t, spItems, e.wantIx)
	if ddl := strings.Join(ddlStatements(t), "\n"); !strings.Contains(ddl, "CREATE NULL_FILTERED INDEX `"+e.indexed+"_"+dynamotest.IndexName+"` ON `"+e.indexed+"` (`g`, `gn`)") {
		t.Errorf("the index was not created as documented:\n%s", ddl)
	}

	// Every part loaded a second time: the same items, nothing more.
	code, out = runBinary(t, e.loader, append(args, "--force")...)
	if code != 0 || strings.Count(out, "verify full: passed") != 2 {
		t.Fatalf("second load: exit %d\n%s", code, out)
	}
	sameItems(t, e.bigtableItems(t), e.wantPlain)
	sameItems(t, e.spannerItems(t), e.wantIx)

	// A changed value in each target, the dumps forgotten by the ledger
	// (their parts stay loaded, so the next run only verifies).
	e.changeBigtable(t)
	e.changeSpanner(t)
	for _, k := range targettest.LoadedRecords(t, e.root) {
		if err := e.root.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	code, out = runBinary(t, e.loader, args...)
	if code != 3 || !strings.Contains(out, "column s") || !strings.Contains(out, "column attributes") {
		t.Errorf("--verify full after changed values: exit %d, want 3 naming both changed attributes\n%s", code, out)
	}
}

// newDynamoLoad makes the world with n items in each table.
func newDynamoLoad(t testing.TB, n int) *dynamoLoad {
	t.Helper()
	btHost := testenv.Bigtable(t)
	proxy := spannerproxy.Start(t, testenv.Spanner(t))
	t.Setenv("SPANNER_EMULATOR_HOST", proxy.Addr)
	t.Setenv("BIGTABLE_EMULATOR_HOST", btHost)
	c := dynamotest.Client(t)
	e := &dynamoLoad{
		indexed: dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true, Index: true}, 10000),
		plain:   dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000),
		dest:    fileDest(t),
	}
	items, plainItems := allTypes(n, 11), allTypes(n, 12)
	for _, it := range append(items, plainItems...) {
		it["b0"] = &types.AttributeValueMemberB{Value: []byte{}} // DynamoDB allows empty binary outside keys
	}
	for i, it := range items {
		if i%3 == 0 { // a sparse index: not every item has its key
			it["g"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("grp%d", i%4)}
			it["gn"] = &types.AttributeValueMemberN{Value: gnValues[i%len(gnValues)]}
		}
	}
	dynamotest.Put(t, c, e.indexed, items)
	dynamotest.Put(t, c, e.plain, plainItems)
	for _, tb := range []string{e.indexed, e.plain} {
		if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", tb, "--dest", e.dest, "--batch", "b1",
			"--splits", "2", "--part-size", "4KiB", "--log-level", "warn"); code != 0 {
			t.Fatalf("exporter %s: exit %d\n%s", tb, code, out)
		}
	}
	e.root = openRoot(t, e.dest)
	_, e.wantIx = dynamotest.ReadDump(t, e.root, onlyDump(t, e.root, "b1", e.indexed))
	_, e.wantPlain = dynamotest.ReadDump(t, e.root, onlyDump(t, e.root, "b1", e.plain))
	// The edge values the comparison relies on reached the dump.
	for _, it := range [][]format.DynamoItem{e.wantIx, e.wantPlain} {
		if b0, n := it[0]["b0"], it[0]["n"]; b0.Kind != format.DynamoB || len(b0.B) != 0 || n.Kind != format.DynamoN || it[0]["empty"].Kind != format.DynamoS {
			t.Fatalf("the dump lacks the edge values: b0 %+v, n %+v", b0, n)
		}
	}
	e.loader = filepath.Join(targettest.BuildCommands(t, "loader"), "loader")

	e.connect(t, btHost, "dyn-"+e.plain[len(e.plain)-6:])
	return e
}

// connect opens clients of the Bigtable emulator (instance) and of
// Spanner (through the proxy SPANNER_EMULATOR_HOST names), and sets the
// targets' URLs.
func (e *dynamoLoad) connect(t testing.TB, btHost, instance string) {
	t.Helper()
	e.btURL = "bigtable://lading-test/" + instance + "?family=cf"
	e.route = "indexed=spanner://" + spannerDB + ",plain=" + e.btURL
	ctx := context.Background()
	conn, err := grpc.NewClient("passthrough:///"+btHost, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if e.bt, err = bigtable.NewClientWithConfig(ctx, "lading-test", instance, bigtable.ClientConfig{MetricsProvider: bigtable.NoopMetricsProvider{}}, option.WithGRPCConn(conn)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.bt.Close() })
	if e.sp, err = spanner.NewClientWithConfig(ctx, spannerDB, spanner.ClientConfig{DisableNativeMetrics: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sp.Close)
}

// bigtableItems reads the plain table's items back as docs/loader.md
// tells a reader to: each row's cells at its marker's timestamp, each an
// attribute in DynamoDB JSON. It also checks that rows come in the
// order of their keys: by partition key, then by sort key's value.
func (e *dynamoLoad) bigtableItems(t *testing.T) []format.DynamoItem {
	t.Helper()
	var out []format.DynamoItem
	var prevPK string
	var prevSK *big.Rat
	err := e.bt.Open(e.plain).ReadRows(context.Background(), bigtable.InfiniteRange(""), func(r bigtable.Row) bool {
		if strings.HasPrefix(r.Key(), "\xff") {
			return true // the target's incarnation row
		}
		var marker bigtable.Timestamp = -1
		for _, c := range r["cf"] {
			if c.Column == "cf:" {
				marker = c.Timestamp
			}
		}
		if marker < 0 {
			t.Errorf("row %x has no marker cell", r.Key())
			return true
		}
		item := format.DynamoItem{}
		for _, c := range r["cf"] {
			name := strings.TrimPrefix(c.Column, "cf:")
			if name == "" || c.Timestamp != marker {
				continue
			}
			v, err := format.DecodeDynamoTyped(c.Value)
			if err != nil {
				t.Errorf("row %x attribute %s: %v", r.Key(), name, err)
			}
			item[name] = v
		}
		sk, _ := new(big.Rat).SetString(item["sk"].S)
		if item["pk"].S == prevPK && prevSK != nil && sk.Cmp(prevSK) <= 0 || item["pk"].S < prevPK {
			t.Errorf("row %x (%s, %s) after (%s, %s): keys out of order", r.Key(), item["pk"].S, item["sk"].S, prevPK, prevSK)
		}
		prevPK, prevSK = item["pk"].S, sk
		out = append(out, item)
		return true
	}, bigtable.RowFilter(bigtable.LatestNFilter(1)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// spannerItems reads the indexed table's items back: the typed columns
// (pk STRING, sk and gn NUMERIC, g STRING) and the JSON of the other
// attributes. A NUMERIC comes back in NUMERIC's text; where it has the
// dump's value it takes the dump's text, so that the comparison is exact
// for everything else.
func (e *dynamoLoad) spannerItems(t *testing.T) []format.DynamoItem {
	t.Helper()
	want := map[string]format.DynamoItem{}
	for _, it := range e.wantIx {
		want[it["pk"].S+"/"+it["sk"].S] = it
	}
	var out []format.DynamoItem
	cols := []string{"pk", "sk", "g", "gn", "attributes"}
	err := e.sp.Single().Read(context.Background(), e.indexed, spanner.AllKeys(), cols).Do(func(r *spanner.Row) error {
		vals := make([]*structpb.Value, len(cols))
		for i := range cols {
			var g spanner.GenericColumnValue
			if err := r.Column(i, &g); err != nil {
				return err
			}
			vals[i] = g.Value
		}
		item, err := format.DecodeDynamoTypedMap([]byte(vals[4].GetStringValue()))
		if err != nil {
			return fmt.Errorf("attributes %s: %w", vals[4].GetStringValue(), err)
		}
		item["pk"] = format.DynamoValue{Kind: format.DynamoS, S: vals[0].GetStringValue()}
		if _, null := vals[2].Kind.(*structpb.Value_NullValue); !null {
			item["g"] = format.DynamoValue{Kind: format.DynamoS, S: vals[2].GetStringValue()}
		}
		w := want[item["pk"].S+"/"+vals[1].GetStringValue()]
		for _, n := range []struct {
			name string
			v    *structpb.Value
		}{{"sk", vals[1]}, {"gn", vals[3]}} {
			if _, null := n.v.Kind.(*structpb.Value_NullValue); null {
				continue
			}
			item[n.name] = format.DynamoValue{Kind: format.DynamoN, S: sameNumber(n.v.GetStringValue(), w[n.name].S)}
		}
		out = append(out, item)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameNumber returns want when got has its value, else got.
func sameNumber(got, want string) string {
	a, ok1 := new(big.Rat).SetString(got)
	b, ok2 := new(big.Rat).SetString(want)
	if ok1 && ok2 && a.Cmp(b) == 0 {
		return want
	}
	return got
}

// changeBigtable changes attribute s of one item, at the dump's time.
func (e *dynamoLoad) changeBigtable(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	tbl := e.bt.Open(e.plain)
	var key string
	var ts bigtable.Timestamp
	err := tbl.ReadRows(ctx, bigtable.PrefixRange("p"), func(r bigtable.Row) bool {
		for _, c := range r["cf"] {
			if c.Column == "cf:s" {
				key, ts = r.Key(), c.Timestamp
				return false
			}
		}
		return true
	})
	if err != nil || key == "" {
		t.Fatalf("no row with attribute s: %v", err)
	}
	m := bigtable.NewMutation()
	m.Set("cf", "s", ts, []byte(`{"S":"changed behind the loader's back"}`))
	if err := tbl.Apply(ctx, key, m); err != nil {
		t.Fatal(err)
	}
}

// changeSpanner changes the JSON attributes of one item.
func (e *dynamoLoad) changeSpanner(t *testing.T) {
	t.Helper()
	// sk as the text the loader sent: spannertest holds NUMERIC as
	// STRING behind the proxy.
	it := e.wantIx[0]
	_, err := e.sp.Apply(context.Background(), []*spanner.Mutation{spanner.Update(e.indexed, []string{"pk", "sk", "attributes"},
		[]any{it["pk"].S, it["sk"].S, spanner.NullJSON{Value: map[string]any{"s": map[string]any{"S": "changed"}}, Valid: true}})})
	if err != nil {
		t.Fatal(err)
	}
}

// runBinary runs a built command: its exit code and output.
func runBinary(t testing.TB, bin string, args ...string) (int, string) {
	t.Helper()
	return testenv.RunCommand(t, bin, args...)
}

// ddlStatements is the test database's schema.
func ddlStatements(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	resp, err := admin.GetDatabaseDdl(ctx, &databasepb.GetDatabaseDdlRequest{Database: spannerDB})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Statements
}
