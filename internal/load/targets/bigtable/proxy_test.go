package bigtable

import (
	"fmt"
	"hash/fnv"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/btproxy"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

const wideCols = 200

// manyCells is a dump of rows with wideCols boolean columns each: small
// rows of many mutations, so requests meet the mutation limit long
// before any byte limit.
func manyCells(t *testing.T, e *btEnv, name string, rows int) string {
	t.Helper()
	tbl := schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
	}}
	for i := range wideCols {
		tbl.Columns = append(tbl.Columns, schema.Column{Name: fmt.Sprintf("b%03d", i), Type: "boolean", Role: schema.Regular})
	}
	part := make([]format.Row, rows)
	for r := range part {
		vals := [][]byte{loadtest.Int(int32(r / 10)), loadtest.Int(int32(r % 10))}
		for i := range wideCols {
			vals = append(vals, loadtest.Bool((r+i)%3 == 0))
		}
		part[r] = format.Row{Values: vals}
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Parts: [][]format.Row{part}})
	return e.storeURL + "/" + prefix
}

// startProxy puts a btproxy between this test's clients (the loader's
// included) and the emulator.
func startProxy(t *testing.T) *btproxy.Proxy {
	t.Helper()
	p, err := btproxy.Start(testenv.Bigtable(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	t.Setenv("BIGTABLE_EMULATOR_HOST", p.Addr())
	return p
}

// checkWide checks every loaded row has its wideCols cells and marker.
func checkWide(t *testing.T, e *btEnv, table string, rows int) {
	t.Helper()
	all := e.readAll(table)
	keys := dataKeys(all)
	if len(keys) != rows {
		t.Fatalf("%d rows in Bigtable, want %d", len(keys), rows)
	}
	for _, k := range keys {
		if n := len(all[k]); n != wideCols+1 {
			t.Fatalf("row %x: %d qualifiers, want %d", k, n, wideCols+1)
		}
		for q, cells := range all[k] {
			if len(cells) != 1 {
				t.Fatalf("row %x qualifier %q: %d cells", k, q, len(cells))
			}
		}
	}
}

// TestRequestsStayUnderMutationLimit: with batch sizing free to grow,
// requests come close to Bigtable's 100,000 mutations but never pass it.
func TestRequestsStayUnderMutationLimit(t *testing.T) {
	p := startProxy(t)
	old := initialBatchBytes
	initialBatchBytes = HardBatchBytes
	t.Cleanup(func() { initialBatchBytes = old })
	e := newBTEnv(t)
	const rows = 1200 // two requests at the limit and a rest
	from := manyCells(t, e, "limit", rows)
	o := e.opts(from)
	o.Verify = load.VerifyCount // checkWide reads every cell back
	res := e.run(o)
	st := p.Stats()
	t.Logf("proxy: %d requests, most mutations in one %d, refused %d; verify %s", st.Requests, st.MaxMutations, st.Refused, res.Dumps[0].Verify.Result)
	if st.Refused != 0 || st.MaxMutations > btproxy.MaxMutations {
		t.Fatalf("a request passed the mutation limit: %+v", st)
	}
	if st.MaxMutations < 90_000 {
		t.Errorf("largest request had %d mutations; sizing should come near %d", st.MaxMutations, btproxy.MaxMutations)
	}
	if res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("verify: %+v", res.Dumps[0].Verify)
	}
	checkWide(t, e, "limit", rows)
}

// TestTooManyMutationsSplits: a server that refuses requests over a
// lower limit (Bigtable's INVALID_ARGUMENT "Too many mutations") gets
// them again split, and every row arrives.
func TestTooManyMutationsSplits(t *testing.T) {
	p := startProxy(t)
	p.SetLimit(5000)
	e := newBTEnv(t)
	const rows = 1500
	from := manyCells(t, e, "split", rows)
	o := e.opts(from)
	o.Verify = load.VerifyCount // checkWide reads every cell back
	res := e.run(o)
	st := p.Stats()
	t.Logf("proxy: %d requests, most mutations in one %d, refused %d", st.Requests, st.MaxMutations, st.Refused)
	if st.Refused == 0 {
		t.Fatalf("no request was refused: the test proves nothing (%+v)", st)
	}
	if res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("verify: %+v", res.Dumps[0].Verify)
	}
	checkWide(t, e, "split", rows)
}

// TestFailedEntriesRetriedAlone: entries the server fails with
// UNAVAILABLE, then RESOURCE_EXHAUSTED, are sent again, and only they:
// every other row reaches the server exactly once.
func TestFailedEntriesRetriedAlone(t *testing.T) {
	p := startProxy(t)
	old := entryBackoff
	entryBackoff = 10e6
	t.Cleanup(func() { entryBackoff = old })
	e := newBTEnv(t)
	const rows = 400
	from := manyCells(t, e, "faults", rows)
	chosen := func(key []byte) bool {
		h := fnv.New32a()
		h.Write(key)
		return h.Sum32()%5 == 0
	}
	p.SetFault(func(key []byte, seen int) codes.Code {
		if !chosen(key) {
			return codes.OK
		}
		switch seen {
		case 0:
			return codes.Unavailable
		case 1:
			return codes.ResourceExhausted
		}
		return codes.OK
	})
	o := e.opts(from)
	res := e.run(o)
	st := p.Stats()
	nChosen := 0
	for k, n := range st.Seen {
		if len(k) > 0 && k[0] == 0xff {
			continue // the incarnation row is not written by MutateRows
		}
		want := 1
		if chosen([]byte(k)) {
			want = 3
			nChosen++
		}
		if n != want {
			t.Errorf("row %x reached the server %d times, want %d", k, n, want)
		}
	}
	t.Logf("proxy: %d requests, %d entries failed on purpose, %d rows chosen", st.Requests, st.EntriesFailed, nChosen)
	if nChosen == 0 || st.EntriesFailed != 2*nChosen {
		t.Fatalf("%d chosen rows, %d entries failed: the test proves nothing", nChosen, st.EntriesFailed)
	}
	if res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("verify: %+v", res.Dumps[0].Verify)
	}
	checkWide(t, e, "faults", rows)
	// Write resends both failures itself (no client library retries
	// beneath it): each chosen row twice.
	if got := o.Run.Counter("bigtable_entries_retried"); got != int64(2*nChosen) {
		t.Errorf("bigtable_entries_retried = %d, want %d (UNAVAILABLE and RESOURCE_EXHAUSTED entries resent by Write)", got, 2*nChosen)
	}
}

// TestRejectedEntry: an entry the server refuses for its content
// (INVALID_ARGUMENT, as Bigtable answers a row key over 4 KiB) is
// isolated into the part's reject file; the other rows load, and
// --max-rejects decides whether the load passes.
func TestRejectedEntry(t *testing.T) {
	p := startProxy(t)
	e := newBTEnv(t)
	const rows = 300
	from := manyCells(t, e, "rejects", rows)
	bad, err := encodeKey(nil, []keyCol{{name: "k", t: mustType(t, "int")}, {name: "c", t: mustType(t, "int")}}, [][]byte{loadtest.Int(7), loadtest.Int(3)})
	if err != nil {
		t.Fatal(err)
	}
	p.SetFault(func(key []byte, _ int) codes.Code {
		if string(key) == string(bad) {
			return codes.InvalidArgument
		}
		return codes.OK
	})
	o := e.opts(from)
	expectFail(t, o, 2, "reject")
	o = e.opts(from)
	o.MaxRejects = 1
	res := e.run(o)
	d := res.Dumps[0]
	if d.Counts.Rejects != 1 || d.Verify.Result != "passed" {
		t.Fatalf("load: %+v", d)
	}
	all := e.readAll("rejects")
	if _, ok := all[string(bad)]; ok {
		t.Errorf("the rejected row is in Bigtable")
	}
	if n := len(dataKeys(all)); n != rows-1 {
		t.Errorf("%d rows, want %d", n, rows-1)
	}
}
