package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
)

// fakeTable records what it is asked to write. A mutation whose Op is
// "bad" is refused for its content; a batch above tooLarge mutations is
// refused for its size; the first overloads writes time out.
type fakeTable struct {
	mu        sync.Mutex
	written   []Mutation
	batches   [][]Mutation
	tooLarge  int
	overloads int
	fatal     bool
}

var (
	errBad      = errors.New("invalid value")
	errTooLarge = errors.New("batch too large")
	errTimeout  = errors.New("write timeout")
	errFatal    = errors.New("unauthorized")
)

func (f *fakeTable) Identity() Identity {
	return Identity{Kind: "fake", Cluster: "c", Namespace: "n", Table: "t"}
}
func (f *fakeTable) CheckSchema(context.Context) error           { return nil }
func (f *fakeTable) Exists() bool                                { return true }
func (f *fakeTable) Incarnation(context.Context) (string, error) { return "1", nil }
func (f *fakeTable) Empty(context.Context) (bool, error)         { return true, nil }
func (f *fakeTable) Idempotent() bool                            { return true }
func (f *fakeTable) Converter(PartInfo) (Converter, error)       { return nil, nil }
func (f *fakeTable) Count(context.Context) (int64, error)        { return 0, nil }
func (f *fakeTable) Limits() Limits {
	return Limits{MaxBytes: 1000, InitialBytes: 400, MinBytes: 100, SameGroup: true}
}
func (f *fakeTable) Compare(context.Context, PartInfo, []DumpRow) ([]Mismatch, error) {
	return nil, nil
}

func (f *fakeTable) Write(_ context.Context, b *Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, append([]Mutation(nil), b.Mutations...))
	if f.fatal {
		return errFatal
	}
	if f.overloads > 0 {
		f.overloads--
		return errTimeout
	}
	if f.tooLarge > 0 && len(b.Mutations) > f.tooLarge {
		return errTooLarge
	}
	for _, m := range b.Mutations {
		if m.Op == "bad" {
			return fmt.Errorf("line %d: %w", m.Line, errBad)
		}
	}
	f.written = append(f.written, b.Mutations...)
	return nil
}

func (f *fakeTable) Classify(err error) ErrorKind {
	switch {
	case errors.Is(err, errBad):
		return Rejected
	case errors.Is(err, errTooLarge):
		return TooLarge
	case errors.Is(err, errTimeout):
		return Overloaded
	}
	return Fatal
}

var _ Table = (*fakeTable)(nil)
var _ = format.Row{}

// feed sends mutations through a batcher and pool, returning the tracker.
func feed(t *testing.T, ft *fakeTable, muts []Mutation) (*partTracker, *report.Run) {
	t.Helper()
	ctx := context.Background()
	run := report.New("t")
	logger := slog.New(slog.DiscardHandler)
	sz := newSizer(ft.Limits(), 0, run, logger)
	p := newPool(ctx, ft, ft.Identity(), 4, 64<<20, sz, run, logger)
	p.backoff.Initial, p.backoff.Max = 1, 1
	tr := &partTracker{}
	bt := &batcher{p: p, t: tr, limits: ft.Limits()}
	for _, m := range muts {
		if err := bt.add(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := bt.flush(ctx, false); err != nil {
		t.Fatal(err)
	}
	tr.wg.Wait()
	p.close()
	return tr, run
}

func muts(n int, group func(i int) string, bytes int) []Mutation {
	var out []Mutation
	for i := range n {
		out = append(out, Mutation{Group: group(i), Bytes: bytes, Line: int64(i + 1), Op: i})
	}
	return out
}

func TestBatchesKeepToOneGroupAndTheLimit(t *testing.T) {
	ft := &fakeTable{}
	ms := muts(100, func(i int) string { return fmt.Sprint(i / 30) }, 50)
	ms = append(ms, Mutation{Group: "big", Bytes: 5000, Line: 101, Op: "big"})
	tr, _ := feed(t, ft, ms)
	if err := tr.failed(); err != nil {
		t.Fatal(err)
	}
	if len(ft.written) != 101 {
		t.Fatalf("%d written, want 101", len(ft.written))
	}
	for _, b := range ft.batches {
		n := 0
		for _, m := range b {
			n += m.Bytes
			if m.Group != b[0].Group {
				t.Errorf("batch mixes groups %q and %q", b[0].Group, m.Group)
			}
		}
		if len(b) > 1 && n > 1000 {
			t.Errorf("batch of %d mutations, %d bytes: above the hard limit", len(b), n)
		}
	}
}

func TestRejectedRowsAreIsolated(t *testing.T) {
	ft := &fakeTable{}
	ms := muts(20, func(int) string { return "p" }, 10)
	ms[7].Op, ms[13].Op = "bad", "bad"
	tr, run := feed(t, ft, ms)
	if err := tr.failed(); err != nil {
		t.Fatal(err)
	}
	if len(ft.written) != 18 {
		t.Errorf("%d written, want the 18 good ones", len(ft.written))
	}
	rej := tr.sortedRejects()
	if len(rej) != 2 || rej[0].Line != 8 || rej[1].Line != 14 {
		t.Errorf("rejects %+v, want lines 8 and 14", rej)
	}
	if run.Counter("rejects") != 2 {
		t.Errorf("rejects counter %d", run.Counter("rejects"))
	}
}

func TestTooLargeSplitsAndShrinks(t *testing.T) {
	ft := &fakeTable{tooLarge: 2}
	tr, run := feed(t, ft, muts(16, func(int) string { return "p" }, 50))
	if err := tr.failed(); err != nil {
		t.Fatal(err)
	}
	if len(ft.written) != 16 || len(tr.sortedRejects()) != 0 {
		t.Errorf("%d written, %d rejected; want 16 and none", len(ft.written), len(tr.sortedRejects()))
	}
	if run.Counter("batch_size_decreases") == 0 {
		t.Error("the batch size did not shrink")
	}
}

func TestOverloadRetriesThenSucceeds(t *testing.T) {
	ft := &fakeTable{overloads: 3}
	tr, run := feed(t, ft, muts(5, func(int) string { return "p" }, 10))
	if err := tr.failed(); err != nil {
		t.Fatal(err)
	}
	if len(ft.written) != 5 || run.Counter("retries") != 3 {
		t.Errorf("%d written after %d retries; want 5 after 3", len(ft.written), run.Counter("retries"))
	}
}

func TestFatalErrorFailsThePart(t *testing.T) {
	ft := &fakeTable{fatal: true}
	tr, _ := feed(t, ft, muts(5, func(int) string { return "p" }, 10))
	if err := tr.failed(); !errors.Is(err, errFatal) {
		t.Errorf("part error %v, want %v", err, errFatal)
	}
}

func TestTargetID(t *testing.T) {
	a := TargetID(Identity{Kind: "cassandra", Cluster: "Test Cluster", Namespace: "ks", Table: "t"})
	b := TargetID(Identity{Kind: "cassandra", Cluster: "Test_Cluster", Namespace: "ks", Table: "t"})
	c := TargetID(Identity{Kind: "cassandra", Cluster: "prod", Namespace: "ks", Table: "t"})
	if a == b {
		t.Errorf("%q and %q: sanitizing made two identities one", a, b)
	}
	if c != "cassandra.prod.ks.t" {
		t.Errorf("plain identity: %q", c)
	}
	for _, id := range []string{a, b, c, TargetID(Identity{Kind: "x", Cluster: "../..", Namespace: "/", Table: "a/b"})} {
		if id == "" || id == "." || id == ".." || stringsContainsAny(id, "/\\ ") {
			t.Errorf("target id %q is not one safe path level", id)
		}
	}
}

func stringsContainsAny(s, chars string) bool {
	for _, c := range chars {
		for _, d := range s {
			if c == d {
				return true
			}
		}
	}
	return false
}
