package spanner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
)

// TestBatchWrite: with write=batch every row goes as a mutation group of
// its own through BatchWrite (answered by the test proxy, spannertest
// lacks it); groups the server aborts are sent again alone, and the
// table ends with every row once, exact (verify full, and a count).
func TestBatchWrite(t *testing.T) {
	e := newEnv(t)
	// A twentieth of the groups aborted, spread evenly: about 150
	// resent, and none aborted twice in a row (five in a row would hand
	// the whole batch back to the loader, to be sent again whole).
	e.proxy.SetAbortRate(0.05)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: wideTable("wide"), Parts: [][]format.Row{wideRows(0, 1500), wideRows(1500, 1500)}})
	o := e.opts(e.storeURL + "/" + prefix)
	o.To, o.Run = e.target()+"?write=batch", report.New("loader")
	res := e.run(o)
	if res.Dumps[0].Err != nil || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("load: %v, verify %+v", res.Dumps[0].Err, res.Dumps[0].Verify)
	}
	if n := e.count(e.table); n != 3000 {
		t.Errorf("%d rows, want 3000", n)
	}
	groups, aborted, retried := e.proxy.Groups.Load(), e.proxy.Aborted.Load(), o.Run.Counter("spanner_groups_retried")
	t.Logf("%d BatchWrite calls, %d groups, %d aborted, %d resent", e.proxy.BatchWrites.Load(), groups, aborted, retried)
	if e.proxy.BatchWrites.Load() == 0 || aborted == 0 {
		t.Fatalf("no BatchWrite or no aborted group: the test proves nothing")
	}
	// Every row's group went once, and again only when aborted (the
	// loader's own transactions can be aborted too, and the client
	// retries those itself).
	if retried == 0 || groups != 3000+retried || retried > aborted {
		t.Errorf("%d groups for 3000 rows with %d aborted and %d resent: want 3000+resent, resent <= aborted", groups, aborted, retried)
	}
}

// TestBatchWriteUnimplemented: a server without BatchWrite (the proxy
// answering UNIMPLEMENTED; spannertest itself would crash) fails the
// load with exit 2 and a message naming the fix; --to with an unknown
// write mode is refused likewise.
func TestBatchWriteUnimplemented(t *testing.T) {
	e := newEnv(t)
	e.proxy.NoBatchWrite.Store(true)
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: wideTable("wide"), Parts: [][]format.Row{wideRows(0, 10)}})
	bin := buildLoader(t)
	code, out := runLoader(t, bin, "--from", e.storeURL+"/"+prefix, "--to", e.target()+"?write=batch", "--target-table", e.table, "--create-table")
	if code != 2 || !strings.Contains(out, "does not implement BatchWrite: load with write=commit") {
		t.Errorf("exit %d, want 2 naming write=commit:\n%s", code, out)
	}
	code, out = runLoader(t, bin, "--from", e.storeURL+"/"+prefix, "--to", e.target()+"?write=fast", "--target-table", e.table)
	if code != 2 || !strings.Contains(out, fmt.Sprintf("write=%q", "fast")) {
		t.Errorf("exit %d, want 2 naming write=\"fast\":\n%s", code, out)
	}
}
