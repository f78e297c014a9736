package bigtable

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestKill9: the real loader killed with SIGKILL at random points of a
// load, then run to the end: every row is in Bigtable once, each cell a
// single version (the table keeps up to 5), with the dump's values, and
// the ledger records the dump loaded and verified.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newBTEnv(t)
	bin := filepath.Join(buildCommands(t, "loader"), "loader")
	tbl := schema.Table{Keyspace: "src", Name: "k9", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	const parts, perPart = 40, 1000
	var dump [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			rows = append(rows, format.Row{
				Values:    [][]byte{loadtest.Int(n / 10), loadtest.Int(n % 10), loadtest.Coll(loadtest.Int(n), loadtest.Int(n+1)), loadtest.Text(fmt.Sprintf("row %d %s", n, strings.Repeat("x", 200)))},
				Writetime: [][]int64{nil, nil, {1000, 2000}, {int64(n) * 1000}},
			})
		}
		dump = append(dump, rows)
	}
	loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Writetime: true, Parts: dump})
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--versions", "5", "--workers", "4", "--parts", "2", "--spool-dir", t.TempDir()}
	countParts := func() int {
		objs, _, err := e.store.ListAll(e.ctx, load.LedgerDir, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if strings.Contains(o.Key, "/parts/") {
				n++
			}
		}
		return n
	}
	killed, midLoad := 0, 0
	for i := 0; killed < 6 && i < 12; i++ {
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		want := countParts() + 1 + rand.IntN(4)
		deadline := time.Now().Add(60 * time.Second)
		finished := false
		for !finished && countParts() < want && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Logf("run %d finished before it was killed: %v", i, err)
				finished = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		if finished {
			break
		}
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		cmd.Process.Kill()
		<-done
		killed++
		if recs := countParts(); recs > 0 && recs < parts {
			midLoad++
		}
		t.Logf("run %d killed with %d of %d parts recorded", i, countParts(), parts)
	}
	if killed < 5 || midLoad == 0 {
		t.Errorf("%d runs killed, %d of them mid-load: want at least 5 and 1", killed, midLoad)
	}
	out, err := exec.Command(bin, append(args, "--verify", "full")...).CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "verify full: passed") && !strings.Contains(string(out), "already loaded") {
		t.Errorf("final run did not verify: %s", out)
	}
	all := e.readAll("k9")
	keys := dataKeys(all)
	if len(keys) != parts*perPart {
		t.Errorf("%d rows, want %d", len(keys), parts*perPart)
	}
	bad := 0
	for _, k := range keys {
		r := all[k]
		for q, cells := range r {
			if len(cells) != 1 && bad < 5 {
				t.Errorf("row %x qualifier %q: %d versions, want 1", k, q, len(cells))
				bad++
			}
		}
		if len(r) != 3 || !strings.HasPrefix(r["v"][0].value, "row ") || r["l"][0].ts != 2000 {
			if bad < 5 {
				t.Errorf("row %x: %v", k, r)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d bad rows", bad)
	}
	objs, _, err := e.store.ListAll(e.ctx, load.LedgerDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	for _, o := range objs {
		if strings.Contains(o.Key, "/loaded/") {
			loaded = append(loaded, o.Key)
		}
	}
	if len(loaded) != 1 {
		t.Fatalf("loaded records: %v", loaded)
	}
	data, err := e.store.ReadAll(e.ctx, loaded[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec load.LoadedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Counts.Rows != parts*perPart || rec.Verify.Result != "passed" {
		t.Errorf("loaded record %+v", rec)
	}
}
