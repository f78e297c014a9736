package dynamodb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
	"github.com/lading-dev/lading/pkg/manifest"
)

// A DynamoDB table whose name holds '-' and '.' (both legal in
// DynamoDB) goes the whole way: the exporter dumps it under
// dynamodb.<name>, the shipper copies the dump, status reports it, and
// the loader loads the copy into Bigtable under the table's own name
// (Bigtable ids allow '-' and '.'), every item exact. Spanner, whose
// names are identifiers, refuses the name (exit 2, naming it and
// --target-table), and takes the dump under --target-table. Bigtable
// refuses a name of 51 characters the same way, creating nothing.
func TestDynamoDottedTableName(t *testing.T) {
	btHost := testenv.Bigtable(t)
	proxy := spannerproxy.Start(t, testenv.Spanner(t))
	t.Setenv("SPANNER_EMULATOR_HOST", proxy.Addr)
	t.Setenv("BIGTABLE_EMULATOR_HOST", btHost)
	c := dynamotest.Client(t)
	id := fmt.Sprintf("%08x", rand.Uint32())
	name := "t-" + id + ".v2"
	dynamotest.CreateTemp(t, c, name, dynamotest.Key{SortKey: true, Index: true}, 10000)
	items := allTypes(60, 21)
	for i, it := range items {
		if i%3 == 0 {
			it["g"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("grp%d", i%4)}
			it["gn"] = &types.AttributeValueMemberN{Value: gnValues[i%len(gnValues)]}
		}
	}
	dynamotest.Put(t, c, name, items)

	// A name of 51 characters: too long for a Bigtable table id.
	long := "t-" + id + "-" + strings.Repeat("x", 51-len(id)-6) + ".v2"
	dynamotest.CreateTemp(t, c, long, dynamotest.Key{}, 10000)
	dynamotest.Put(t, c, long, allTypes(5, 22))

	src := fileDest(t)
	for _, tb := range []string{name, long} {
		if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", tb, "--dest", src, "--batch", "b1",
			"--splits", "2", "--part-size", "4KiB", "--log-level", "warn"); code != 0 {
			t.Fatalf("exporter --table %s: exit %d\n%s", tb, code, out)
		}
	}
	e := &dynamoLoad{dest: fileDest(t), plain: name, indexed: "t_" + id}
	_, want := dynamotest.ReadDump(t, openRoot(t, src), onlyDump(t, openRoot(t, src), "b1", name))
	sameItems(t, want, tableItems(t, c, name))

	bins := targettest.BuildCommands(t, "shipper", "loader", "status")
	run := func(cmd string, args ...string) (int, string) { return runBinary(t, filepath.Join(bins, cmd), args...) }
	if code, out := run("shipper", "--from", src, "--to", e.dest); code != 0 || !strings.Contains(out, "dynamodb."+name) {
		t.Fatalf("shipper: exit %d, want dynamodb.%s shipped\n%s", code, name, out)
	}
	e.root = openRoot(t, e.dest)
	_, shipped := dynamotest.ReadDump(t, e.root, onlyDump(t, e.root, "b1", name))
	sameItems(t, shipped, want)
	if code, out := run("status", "--root", src, "--root", e.dest, "--table", "dynamodb."+name); code != 0 || !strings.Contains(out, "dynamodb."+name) {
		t.Fatalf("status: exit %d, want dynamodb.%s listed\n%s", code, name, out)
	}

	e.connect(t, btHost, "dn-"+id)
	if code, out := run("loader", "--from", e.dest, "--to", e.btURL, "--table", "dynamodb."+name, "--create-table", "--verify", "full"); code != 0 || !strings.Contains(out, "verify full: passed") {
		t.Fatalf("loader into Bigtable: exit %d\n%s", code, out)
	}
	sameItems(t, e.bigtableItems(t), want)
	code, out := run("loader", "--from", e.dest, "--to", e.btURL, "--table", "dynamodb."+long, "--create-table")
	if code != 2 || !strings.Contains(out, fmt.Sprintf("%q", long)) || !strings.Contains(out, "--target-table") {
		t.Fatalf("loader of a 51-character name into Bigtable: exit %d, want 2 naming %q and --target-table\n%s", code, long, out)
	}
	if _, err := e.bt.Open(long).ReadRow(context.Background(), "x"); status.Code(err) != codes.NotFound {
		t.Fatalf("Bigtable table %s after the refusal: %v, want NotFound", long, err)
	}

	sp := "spanner://" + spannerDB
	code, out = run("loader", "--from", e.dest, "--to", sp, "--table", "dynamodb."+name, "--create-table")
	if code != 2 || !strings.Contains(out, fmt.Sprintf("%q", name)) || !strings.Contains(out, "--target-table") {
		t.Fatalf("loader into Spanner without --target-table: exit %d, want 2 naming %q and --target-table\n%s", code, name, out)
	}
	e.wantIx = want
	if code, out := run("loader", "--from", e.dest, "--to", sp, "--table", "dynamodb."+name, "--target-table", e.indexed,
		"--create-table", "--verify", "full"); code != 0 || !strings.Contains(out, "verify full: passed") {
		t.Fatalf("loader into Spanner --target-table %s: exit %d\n%s", e.indexed, code, out)
	}
	sameItems(t, e.spannerItems(t), want)

	// status finds both loads of the dump in the ledgers, by its name.
	code, out = run("status", "--root", e.dest, "--table", "dynamodb."+name, "--json")
	var st struct {
		Dumps []struct {
			Table  string `json:"table"`
			Stages []struct{ Stage, State, Where string }
		} `json:"dumps"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Dumps) != 1 || st.Dumps[0].Table != "dynamodb."+name {
		t.Fatalf("status --json: exit %d (%v), want the one dump of dynamodb.%s\n%s", code, err, name, out)
	}
	loads := 0
	for _, sg := range st.Dumps[0].Stages {
		if sg.Stage == "load" && sg.State == "done" {
			loads++
		}
	}
	if loads != 2 {
		t.Errorf("status: %d loads done, want 2 (Bigtable, Spanner)\n%s", loads, out)
	}
}

// The longest DynamoDB name a dump path holds (the <table> segment
// "dynamodb.<name>" is one file name of at most 255 bytes) exports into
// a file:// store exactly; a name one character longer, which DynamoDB
// allows, is refused with exit 2 naming the limit, nothing written.
func TestDynamoLongTableName(t *testing.T) {
	c := dynamotest.Client(t)
	id := fmt.Sprintf("%08x", rand.Uint32())
	fits := "l-" + id + "." + strings.Repeat("x", manifest.MaxDynamoDBDumpName-len(id)-3)
	over := fits + "y"
	for _, name := range []string{fits, over} {
		dynamotest.CreateTemp(t, c, name, dynamotest.Key{SortKey: true}, 10000)
		dynamotest.Put(t, c, name, allTypes(30, 5))
	}
	src := dynamotest.URL(t, "")
	dest := fileDest(t)
	if code, out := runExporter(t, "--source", src, "--table", fits, "--dest", dest, "--batch", "b1", "--log-level", "warn"); code != 0 {
		t.Fatalf("exporter --table <%d characters>: exit %d\n%s", len(fits), code, out)
	}
	root := openRoot(t, dest)
	_, items := dynamotest.ReadDump(t, root, onlyDump(t, root, "b1", fits))
	sameItems(t, items, tableItems(t, c, fits))

	dest = fileDest(t)
	code, out := runExporter(t, "--source", src, "--table", over, "--dest", dest, "--batch", "b1", "--log-level", "warn")
	want := fmt.Sprintf("up to %d characters", manifest.MaxDynamoDBDumpName)
	if code != 2 || !strings.Contains(out, want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("exporter --table <%d characters>: exit %d, want 2 and one line saying %q\n%s", len(over), code, want, out)
	}
	if objs, _, err := openRoot(t, dest).ListAll(context.Background(), "", ""); err != nil || len(objs) > 0 {
		t.Errorf("refused, but wrote %d objects (%v)", len(objs), err)
	}
}
