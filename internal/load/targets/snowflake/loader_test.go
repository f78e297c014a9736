package snowflake

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// runLoader runs the built loader with SNOWFLAKE_PASSWORD set to secret
// and returns its exit code and output.
func runLoader(t *testing.T, bins, secret string, args ...string) (int, string) {
	t.Helper()
	cmd := osexec.Command(filepath.Join(bins, "loader"), args...)
	cmd.Env = append(os.Environ(), EnvPassword+"="+secret)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*osexec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func kvTable(name string) schema.Table {
	return schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
}

func kvParts(parts, perPart int) [][]format.Row {
	var out [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			rows = append(rows, format.Row{Values: [][]byte{loadtest.Int(n), loadtest.Int(0), loadtest.Text("v")}})
		}
		out = append(out, rows)
	}
	return out
}

// newStore opens a new prefix of a test bucket (base: s3://B or gs://B;
// query: the URL's parameters), writes the kv dump of 3 parts of 5 rows
// into it and empties it when t ends. It returns the prefix and the
// store's URL.
func newStore(t *testing.T, base, query string) (string, string) {
	t.Helper()
	suffix := make([]byte, 4)
	for i := range suffix {
		suffix[i] = byte(rand.IntN(256))
	}
	prefix := "sftest/" + hex.EncodeToString(suffix)
	storeURL := base + "/" + prefix + query
	store := loadtest.ScratchStore(t, storeURL)
	loadtest.Write(t, store, loadtest.Dump{Table: kvTable("ext"), Parts: kvParts(3, 5)})
	return prefix, storeURL
}

// count counts a table's rows behind the loader's back.
func count(t *testing.T, h *harness, target, table string) int {
	t.Helper()
	var n int
	if err := h.db.QueryRow(countSQL(of(t, target, table))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoader runs the real loader (built once) on the stand-in for what
// the conformance suite does not cover.
func TestLoader(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader")
	}
	bins := targettest.BuildCommands(t, "loader")
	t.Run("ExternalStagesAndNoSecretInLogs", func(t *testing.T) { externalStagesAndNoSecretInLogs(t, bins) })
	t.Run("RejectsNamedWithFileAndLine", func(t *testing.T) { rejectsNamedWithFileAndLine(t, bins, "") })
	t.Run("InsertRejectsNamedWithFileAndLine", func(t *testing.T) { rejectsNamedWithFileAndLine(t, bins, "&load=insert") })
	t.Run("InsertPathExactValues", func(t *testing.T) { insertPathExactValues(t, bins) })
	t.Run("ModeFlag", func(t *testing.T) { modeFlag(t, bins) })
	t.Run("ReplaceIntoTableWithRows", func(t *testing.T) { replaceIntoTableWithRows(t, bins) })
	t.Run("KillMidReplace", func(t *testing.T) { killMidReplace(t, bins) })
	t.Run("KillAfterSwap", func(t *testing.T) { killAfterSwap(t, bins) })
	t.Run("KillLeavesNoStagingTable", func(t *testing.T) { killLeavesNoStagingTable(t, bins) })
	t.Run("OneMergePerDump", func(t *testing.T) { oneMergePerDump(t, bins) })
	t.Run("KilledCopyCancelledBeforeReRunLoads", func(t *testing.T) { killedCopyCancelledBeforeReRunLoads(t, bins) })
}

// externalStagesAndNoSecretInLogs loads a dump in GCS and one in S3
// through an external stage the loader creates (--storage-integration),
// and the S3 one through a stage it is given (--stage), at debug log level: the password appears
// nowhere in the output, and no PUT is needed (the front reads the parts
// from the store's server, as Snowflake would from the bucket).
func externalStagesAndNoSecretInLogs(t *testing.T, bins string) {
	f := front(t)
	h := &harness{db: standIn(t), f: f}
	endpoint, bucket := testenv.S3(t)
	prefix, storeURL := newStore(t, "s3://"+bucket, "?endpoint="+url.QueryEscape(endpoint))
	const secret = "s3cr3t-Pa55word-never-logged"

	_, gcsBucket := testenv.GCS(t)
	_, gcsURL := newStore(t, "gs://"+gcsBucket, "")
	target := h.NewTarget(t)
	code, out := runLoader(t, bins, secret, "--from", gcsURL, "--to", target, "--create-table", "--storage-integration", "GCS_INT")
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--storage-integration over gs://: exit %d\n%s", code, out)
	}
	if n := count(t, h, target, "ext"); n != 15 {
		t.Errorf("--storage-integration over gs://: %d rows, want 15", n)
	}

	target = h.NewTarget(t)
	code, out = runLoader(t, bins, secret, "--from", storeURL, "--to", target, "--create-table", "--storage-integration", "S3_INT", "--log-level", "debug")
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--storage-integration: exit %d\n%s", code, out)
	}
	if n := count(t, h, target, "ext"); n != 15 {
		t.Errorf("--storage-integration: %d rows, want 15", n)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the password is in the loader's output:\n%s", out)
	}

	target = h.NewTarget(t)
	db := strings.Split(strings.TrimPrefix(target, "snowflake://loader@acme/"), "/")[0]
	exec(t, frontDB(t, f), `CREATE STAGE `+quoteIdent(db)+`."RAW".DUMPS URL = 's3://`+bucket+`/`+prefix+`/'`)
	code, out = runLoader(t, bins, secret, "--from", storeURL, "--to", target, "--create-table", "--stage", "DUMPS", "--log-level", "debug")
	if code != 0 || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--stage: exit %d\n%s", code, out)
	}
	if n := count(t, h, target, "ext"); n != 15 {
		t.Errorf("--stage: %d rows, want 15", n)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the password is in the loader's output:\n%s", out)
	}
	if code, out = runLoader(t, bins, secret, "--from", storeURL, "--to", target, "--stage", "x;drop", "--force"); code != 2 || !strings.Contains(out, `--stage "x;drop"`) {
		t.Errorf("a bad --stage: exit %d, want 2 naming it:\n%s", code, out)
	}
}

// rejectsNamedWithFileAndLine maps --max-rejects onto ON_ERROR: a
// timestamp past year 9999 (refused by Snowflake and the stand-in alike)
// fails the load with --max-rejects 0 (ABORT_STATEMENT: nothing of the
// COPY lands), its part and line in the reject file; with 1 the other
// rows load (CONTINUE) and the summary counts the reject. query is added
// to the target URL ("&load=insert": the same through the INSERT path).
func rejectsNamedWithFileAndLine(t *testing.T, bins, query string) {
	f := front(t)
	h := &harness{db: standIn(t), f: f}
	store, from := loadtest.FileStore(t)
	tbl := schema.Table{Keyspace: "src", Name: "rej", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "ts", Type: "timestamp", Role: schema.Regular},
	}}
	ts := func(ms int64) []byte { return loadtest.Bigint(ms) }
	m, _ := loadtest.Write(t, store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{{
		{Values: [][]byte{loadtest.Int(1), ts(1_700_000_000_000)}},
		{Values: [][]byte{loadtest.Int(2), ts(253_402_300_800_000)}}, // +10000-01-01
		{Values: [][]byte{loadtest.Int(3), ts(0)}},
	}}})
	target := h.NewTarget(t) + query
	code, out := runLoader(t, bins, "pw", "--from", from, "--to", target, "--create-table")
	if code != 2 || !strings.Contains(out, "max-rejects") {
		t.Fatalf("exit %d, want 2 naming --max-rejects:\n%s", code, out)
	}
	if n := count(t, h, target, "rej"); n != 0 {
		t.Errorf("%d rows landed from an aborted COPY", n)
	}
	rejects := targettest.Keys(t, store, load.LedgerDir, "/rejects/")
	if len(rejects) != 1 || !strings.Contains(rejects[0], m.Files[0].Name) {
		t.Fatalf("reject files %v, want one for %s", rejects, m.Files[0].Name)
	}
	data, err := store.ReadAll(context.Background(), rejects[0])
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.Contains(s, `"line":2`) || !strings.Contains(s, `+10000-01-01`) || !strings.Contains(s, "timestamp") {
		t.Errorf("the reject file does not name line 2, its row and the reason: %s", s)
	}

	code, out = runLoader(t, bins, "pw", "--from", from, "--to", target, "--max-rejects", "1")
	if code != 0 || !strings.Contains(out, "1 rejected") || !strings.Contains(out, "verify count: passed") {
		t.Fatalf("--max-rejects 1: exit %d\n%s", code, out)
	}
	if n := count(t, h, target, "rej"); n != 2 {
		t.Errorf("%d rows, want the 2 good ones", n)
	}
}
