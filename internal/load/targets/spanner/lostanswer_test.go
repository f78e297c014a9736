package spanner_test

import (
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
)

// A commit Spanner applied whose answer was lost (UNAVAILABLE on the way
// back) is sent again: every row lands once, none is refused, and
// --verify full passes.
func TestCommitAnswerLost(t *testing.T) {
	e := newEnv(t)
	e.proxy.SetLostAnswerEvery(3)
	var parts [][]format.Row
	for p := range 4 {
		parts = append(parts, simpleRows(p*1000, 1000, "lost"))
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: simpleTable("lost"), Parts: parts})
	o := e.opts(e.storeURL + "/" + prefix)
	o.Run = report.New("loader")
	o.BatchBytes = 16 << 10 // many commits
	res := e.run(o)
	d := res.Dumps[0]
	if d.Counts.Rejects != 0 || d.Verify.Result != "passed" {
		t.Errorf("load: %+v", d)
	}
	if n := e.count(e.table); n != 4000 {
		t.Errorf("%d rows, want 4000", n)
	}
	if e.proxy.LostAnswers.Load() == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	t.Logf("proxy: %d commits, %d answers lost", e.proxy.Commits.Load(), e.proxy.LostAnswers.Load())
}
