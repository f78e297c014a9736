package cassandra_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/load/targets/cassandra"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// overwriteWindow mirrors the target's window above a dump's newest
// element writetime in which a list rewritten as a whole lands (see
// list.go): a list is exact when its writetimes are the dump's, or all
// one value in that window.
const overwriteWindow = 1 << 20

// wtList decodes a serialized list<bigint> of writetimes.
func wtList(t *testing.T, v []byte) []int64 {
	t.Helper()
	if v == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(v)
	v = v[4:]
	var out []int64
	for range n {
		l := binary.BigEndian.Uint32(v)
		out = append(out, int64(binary.BigEndian.Uint64(v[4:4+l])))
		v = v[4+l:]
	}
	return out
}

// listExact describes how a list read back differs from the dump's
// ("" when it does not): values exactly, writetimes the dump's or all
// one value just above the dump's newest.
func listExact(got, want [][]byte, gotWT, wantWT []int64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d elements, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			return fmt.Sprintf("element %d differs", i)
		}
	}
	if len(gotWT) != len(wantWT) {
		return "writetimes differ in number"
	}
	same, uniform := true, true
	var newest int64
	for i := range gotWT {
		same = same && gotWT[i] == wantWT[i]
		uniform = uniform && gotWT[i] == gotWT[0]
		newest = max(newest, wantWT[i])
	}
	if same || uniform && gotWT[0] > newest && gotWT[0] <= newest+overwriteWindow {
		return ""
	}
	return "writetimes differ"
}

func show(v [][]byte) string {
	var parts []string
	for _, e := range v {
		parts = append(parts, string(e))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// listValues splits a serialized list into its elements.
func listValues(v []byte) [][]byte {
	if v == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(v)
	v = v[4:]
	var out [][]byte
	for range n {
		l := int32(binary.BigEndian.Uint32(v))
		if l < 0 { // null
			out = append(out, nil)
			v = v[4:]
			continue
		}
		out = append(out, v[4:4+l])
		v = v[4+l:]
	}
	return out
}

// Two loader processes started together on one dump of a table with
// lists: each part is begun by one of them; the other must not append
// the same elements again. Every list, regular and static, comes out
// exactly as dumped.
func TestTwoLoadersOneDump(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader binary")
	}
	e := newEnv(t)
	bin := buildLoader(t)
	tbl := schema.Table{Keyspace: "src", Name: "two", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "sl", Type: "list<int>", Role: schema.Static},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	const parts, perPart = 16, 200 // ten rows a partition: none spans two parts
	var dump [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			rows = append(rows, format.Row{
				Values: [][]byte{loadtest.Int(n / 10), loadtest.Int(n % 10),
					loadtest.Coll(loadtest.Int(n/10), loadtest.Int(n/10+1)),
					loadtest.Coll(loadtest.Int(n), loadtest.Int(n), loadtest.Int(n+1)),
					loadtest.Text("row")},
				Writetime: [][]int64{nil, nil, {1500, 1600}, {1000, 1000, 2000}, {4000}},
			})
		}
		dump = append(dump, rows)
	}
	loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Writetime: true, Parts: dump})
	args := []string{"--from", e.storeURL, "--to", e.target(), "--create-table", "--workers", "4", "--parts", "2"}

	// The table exists before either starts, so neither fails creating it.
	e.exec("CREATE TABLE " + e.ks + ".two (k int, c int, sl list<int> static, l list<int>, v text, PRIMARY KEY (k, c))")
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	reports := []string{filepath.Join(t.TempDir(), "r0.json"), filepath.Join(t.TempDir(), "r1.json")}
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, append(args, "--report", reports[i])...)
			cmd.Env = os.Environ()
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Errorf("loader %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	for _, r := range reports {
		data, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct{ Counters map[string]int64 }
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: lists already there %d, replaced %d", filepath.Base(r), rep.Counters["lists_already_there"], rep.Counters["lists_replaced"])
	}
	// Both loaded: they ran at the same time (a loader that started
	// after the other finished would find the dump loaded).
	for i := range 2 {
		if strings.Contains(string(outs[i]), "already loaded") {
			t.Fatalf("loader %d started after the other finished; the test proved nothing:\n%s", i, outs[i])
		}
	}
	if n := e.count("two"); n != parts*perPart {
		t.Errorf("%d rows, want %d", n, parts*perPart)
	}
	iter := e.s.Query("SELECT k, c, sl, WRITETIME(sl), l, WRITETIME(l) FROM " + e.ks + ".two").Consistency(gocql.One).Iter()
	var k, c int32
	var sl, slwt, l, lwt cql.Raw
	bad := 0
	for iter.Scan(&k, &c, &sl, &slwt, &l, &lwt) {
		n := k*10 + c
		d1 := listExact(listValues(l), [][]byte{loadtest.Int(n), loadtest.Int(n), loadtest.Int(n + 1)}, wtList(t, lwt), []int64{1000, 1000, 2000})
		d2 := listExact(listValues(sl), [][]byte{loadtest.Int(k), loadtest.Int(k + 1)}, wtList(t, slwt), []int64{1500, 1600})
		if d1 != "" || d2 != "" {
			if bad < 5 {
				t.Errorf("row %d: l %s (%v @%v); sl %s (%v @%v)", n, d1, int32s(t, l), wtList(t, lwt), d2, int32s(t, sl), wtList(t, slwt))
			}
			bad++
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("%d of %d rows with a list not as dumped", bad, parts*perPart)
	}
	// And the loader's own full verification agrees.
	out, err := exec.Command(bin, append(args, "--force", "--verify", "full")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify full: passed") {
		t.Errorf("forced reload with full verification: %v\n%s", err, out)
	}
}

// A fresh list write whose connection fails after the request left the
// loader, and that Cassandra applies only after the loader's retry has
// read the list (still empty) and written it: the list must not end up
// with its elements twice.
func TestLateFreshListWrite(t *testing.T) {
	e := newEnv(t)
	marker := []byte("late-landing-element-5f3a")
	tbl := schema.Table{Keyspace: "src", Name: "late", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "l", Type: "list<text>", Role: schema.Regular},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	const rows = 40
	elems := func(n int32) [][]byte {
		first := loadtest.Text("e" + string(rune('a'+n%26)))
		if n == 17 {
			first = marker
		}
		return [][]byte{first, loadtest.Text("x"), loadtest.Text("y")}
	}
	var part []format.Row
	for n := range int32(rows) {
		es := elems(n)
		part = append(part, format.Row{
			Values:    [][]byte{loadtest.Int(n / 4), loadtest.Int(n % 4), loadtest.Coll(es...), loadtest.Text("v")},
			Writetime: [][]int64{nil, nil, {3000, 3000, 3500}, {4000}},
		})
	}
	loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Writetime: true, Parts: [][]format.Row{part}})

	// Every connection goes through the proxy; the first request that
	// carries the marker element is held back 3s while the loader sees
	// its connection fail.
	upstream := strings.Split(testenv.CassandraHosts(t), ",")[0]
	var fired atomic.Bool
	const hold = 3 * time.Second
	proxy := faultproxy.Start(t, upstream, faultproxy.Options{Plan: func(int64) faultproxy.Fault {
		return faultproxy.Fault{LateWrite: func(b []byte) time.Duration {
			if bytes.Contains(b, marker) && fired.CompareAndSwap(false, true) {
				return hold
			}
			return 0
		}}
	}})
	via := netip.MustParseAddrPort(proxy.Addr())
	undo := cassandra.SetTestConnect(func(o *cql.Options) {
		o.TranslateAddress = func(netip.AddrPort) netip.AddrPort { return via }
	})
	defer undo()

	o := e.opts(e.storeURL)
	o.To = "cassandra://" + proxy.Addr() + "/" + e.ks
	o.Workers = 2
	res := e.run(o)
	if !fired.Load() {
		t.Fatal("no request carried the marker element: the test proved nothing")
	}
	if o.Run.Counter("retries") == 0 {
		t.Errorf("no batch was retried after its connection failed")
	}
	t.Logf("lists replaced %d, already there %d", o.Run.Counter("lists_replaced"), o.Run.Counter("lists_already_there"))
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" {
		t.Fatalf("result %+v", res.Dumps)
	}
	// Wait until the held request reached Cassandra and was answered.
	deadline := time.Now().Add(hold + 15*time.Second)
	for proxy.Stats().LateAnswered == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s := proxy.Stats(); s.LateAnswered == 0 {
		t.Fatalf("the held request was never answered: %+v", s)
	}

	iter := e.s.Query("SELECT k, c, l, WRITETIME(l) FROM " + e.ks + ".late").Consistency(gocql.One).Iter()
	var k, c int32
	var l, lwt cql.Raw
	seen := 0
	for iter.Scan(&k, &c, &l, &lwt) {
		seen++
		n := k*4 + c
		if d := listExact(listValues(l), elems(n), wtList(t, lwt), []int64{3000, 3000, 3500}); d != "" {
			t.Errorf("row %d: l %s (got %s @%v)", n, d, show(listValues(l)), wtList(t, lwt))
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if seen != rows {
		t.Errorf("%d rows, want %d", seen, rows)
	}
}

// A list replaced as a whole (a forced reload over a list that holds an
// element the dump lacks) keeps the dump's order and each run's TTL, and
// takes one writetime just above the dump's newest; full verification
// accepts it.
func TestListReplacedKeepsOrderAndTTLs(t *testing.T) {
	e := newEnv(t)
	tbl := schema.Table{Keyspace: "src", Name: "rep", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "l", Type: "list<text>", Role: schema.Regular},
	}}
	es := [][]byte{loadtest.Text("a"), loadtest.Text("b"), loadtest.Text("c"), loadtest.Text("d")}
	row := format.Row{
		Values:    [][]byte{loadtest.Int(1), loadtest.Coll(es...)},
		Writetime: [][]int64{nil, {5000, 5000, 6000, 6000}},
		TTL:       [][]int64{nil, {0, 0, 7200, 7200}},
	}
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{Table: tbl, Writetime: true, TTL: true, Parts: [][]format.Row{{row}}})
	e.run(e.opts(e.storeURL + "/" + prefix))
	// Something the dump lacks, older than the dump.
	e.exec("UPDATE " + e.ks + ".rep USING TIMESTAMP 10 SET l = l + ['junk'] WHERE k = 1")
	o := e.opts(e.storeURL + "/" + prefix)
	o.Force = true
	res := e.run(o)
	if res.Dumps[0].Verify.Result != "passed" {
		t.Errorf("forced reload: %+v", res.Dumps[0])
	}
	if n := o.Run.Counter("lists_replaced"); n != 1 {
		t.Errorf("%d lists replaced, want 1", n)
	}
	var l, lwt, lttl cql.Raw
	if err := e.s.Query("SELECT l, WRITETIME(l), TTL(l) FROM "+e.ks+".rep WHERE k = 1").Consistency(gocql.One).Scan(&l, &lwt, &lttl); err != nil {
		t.Fatal(err)
	}
	wts := wtList(t, lwt)
	if d := listExact(listValues(l), es, wts, []int64{5000, 5000, 6000, 6000}); d != "" {
		t.Errorf("l %s: %s @%v", d, show(listValues(l)), wts)
	}
	if len(wts) > 0 && wts[0] <= 6000 {
		t.Errorf("writetimes %v: want the replacement's, above 6000", wts)
	}
	// TTLs: none for the first run, about 7200s for the second.
	ttls := listValues(lttl)
	if len(ttls) != 4 {
		t.Fatalf("TTL(l) = %x", lttl)
	}
	for i, v := range ttls {
		var ttl int32
		if v != nil {
			ttl = int32(binary.BigEndian.Uint32(v))
		}
		if i < 2 && ttl != 0 || i >= 2 && (ttl < 7200-120 || ttl > 7200) {
			t.Errorf("element %d: TTL %d", i, ttl)
		}
	}
}
