package bigtable

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// memoryRows is the size of the memory test's dump: enough rows that an
// unbounded queue (or a copy of every queued row's text) shows.
const memoryRows = 100_000

// maxLoaderRSS is the loader's peak resident memory promised for any
// dump size with the default memory budget.
const maxLoaderRSS = 256 << 20

// TestLoaderPeakRSS: the real loader binary loading 100,000 rows of about
// 1 KB into the emulator with its default settings stays under 256 MB
// of peak resident memory (the kernel's high-water mark of the process).
func TestLoaderPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader")
	}
	e := newBTEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "mem", Columns: []schema.Column{
		{Name: "k", Type: "bigint", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "name", Type: "text", Role: schema.Regular},
		{Name: "body", Type: "text", Role: schema.Regular},
	}}
	body := loadtest.Text(strings.Repeat("lorem ipsum ", 80)) // 960 bytes
	parts := loadtest.Parts(memoryRows, 50_000, func(i int) format.Row {
		return format.Row{Values: [][]byte{loadtest.Bigint(int64(i / 10)), loadtest.Int(int32(i % 10)), loadtest.Text(fmt.Sprintf("name %d", i)), body}}
	})
	loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: parts})
	parts = nil
	bins := buildCommands(t, "loader")
	cmd := exec.Command(filepath.Join(bins, "loader"), "--from", e.storeURL, "--to", e.target(), "--create-table", "--verify", "count", "--spool-dir", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	m, err := testenv.RunMeasured(cmd)
	if err != nil || !strings.Contains(out.String(), "verify count: passed") {
		t.Fatalf("loader: %v\n%s", err, out.String())
	}
	rss := m.PeakRSS
	t.Logf("peak RSS %d MB loading %d rows", rss>>20, memoryRows)
	if rss > maxLoaderRSS {
		t.Errorf("peak RSS %d MB, want under %d MB", rss>>20, maxLoaderRSS>>20)
	}
}
