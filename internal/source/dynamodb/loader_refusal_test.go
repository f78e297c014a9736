package dynamodb_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/internal/testenv"
)

// TestLoaderRefusesDynamoDump: no loader target maps DynamoDB items yet,
// so a DynamoDB dump is refused by name (exit 2) before any table is
// created or any ledger record written, not loaded as if its items were
// CQL rows.
func TestLoaderRefusesDynamoDump(t *testing.T) {
	host := testenv.Bigtable(t)
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(40, 7))
	dest := fileDest(t)
	if code, out := runExporter(t, "--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "b1", "--log-level", "warn"); code != 0 {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	loader := filepath.Join(t.TempDir(), "loader")
	if out, err := exec.Command("go", "build", "-o", loader, "github.com/lading-dev/lading/cmd/loader").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/loader: %v\n%s", err, out)
	}
	t.Setenv("BIGTABLE_EMULATOR_HOST", host)
	cmd := exec.Command(loader, "--from", dest, "--to", "bigtable://lading-test/refusal?family=cf", "--create-table", "--target-table", "t_"+table)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(out.String(), "dynamodb") {
		t.Fatalf("loading a DynamoDB dump: %v, want exit 2 naming the dump's source kind:\n%s", err, out.String())
	}
	root := openRoot(t, dest)
	ledger, _, lerr := root.ListAll(context.Background(), "_state/", "")
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(ledger) != 0 {
		t.Errorf("the refused load wrote %v", ledger)
	}
}
