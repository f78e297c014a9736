package cassandra_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/testenv"
)

// compatSession connects to the older server under test and makes a
// keyspace there, dropped at the end.
func compatSession(t *testing.T, params string) (*gocql.Session, string, string) {
	t.Helper()
	url := "cassandra://" + testenv.CompatHosts(t) + "/" + params
	cfg, err := cql.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cql.Connect(context.Background(), cfg, cql.Options{})
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(s.Close)
	ks := fmt.Sprintf("compat_%d", time.Now().UnixNano()%1e9)
	d := s.Driver()
	if err := d.Query("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Query("DROP KEYSPACE IF EXISTS " + ks).Exec() })
	return d, ks, url
}

// TestCompatWritetimeOnOlderServer: a 4.x server refuses WRITETIME/TTL
// on non-frozen collections; an export with --writetime --ttl still
// completes, over native protocol v4 and v5, with those columns listed
// as untimed in the manifest and every other cell's time kept, and the
// loader (into the 5.0 test server) restores them at the row's newest
// dumped writetime without TTL.
func TestCompatWritetimeOnOlderServer(t *testing.T) {
	src, ks, _ := compatSession(t, "")
	q := func(stmt string) {
		t.Helper()
		if err := src.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	q("CREATE TABLE " + ks + ".t (k int PRIMARY KEY, v text, n int, l list<int>, s set<text>, m map<text, int>, f frozen<list<int>>)")
	q("INSERT INTO " + ks + ".t (k, v, l, s, m, f) VALUES (1, 'a', [1, 2], {'x'}, {'a': 1}, [9]) USING TIMESTAMP 5000")
	q("UPDATE " + ks + ".t USING TIMESTAMP 8000 AND TTL 100000 SET n = 7 WHERE k = 1")
	q("INSERT INTO " + ks + ".t (k, l) VALUES (2, [3]) USING TIMESTAMP 6000")

	for _, proto := range []string{"4", "5"} {
		t.Run("protocol"+proto, func(t *testing.T) {
			e := newEnv(t) // the restore target: the 5.0 test server
			batch := "p" + proto
			code, out := sourcetest.Run(t, "--source", "cassandra://"+testenv.CompatHosts(t)+"/?protocol="+proto,
				"--table", ks+".t", "--dest", e.storeURL, "--batch", batch, "--writetime", "--ttl", "--log-level", "warn")
			if code != 0 {
				t.Fatalf("export: exit %d\n%s", code, out)
			}
			prefix := sourcetest.OnlyDump(t, e.store, batch, ks+".t")
			m, lines := sourcetest.ReadDump(t, e.store, prefix)
			if want := []string{"l", "m", "s"}; !slices.Equal(m.Options.Untimed, want) {
				t.Errorf("manifest options.untimed = %v, want %v", m.Options.Untimed, want)
			}
			for _, l := range lines {
				if strings.Contains(string(l), `"k":1`) && !strings.Contains(string(l), `"_writetime":{"f":5000,"n":8000,"v":5000}`) {
					t.Errorf("row 1: want writetimes of v, n and f only: %s", l)
				}
			}
			o := e.opts(e.storeURL + "/" + prefix)
			res := e.run(o)
			if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
				t.Fatalf("load: %+v", res.Dumps)
			}
			var l []int
			var lwt []int64
			var sset []string
			var mm map[string]int
			var nttl int
			if err := e.s.Query("SELECT l, WRITETIME(l), s, m, TTL(n) FROM "+e.ks+".t WHERE k = 1").Scan(&l, &lwt, &sset, &mm, &nttl); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l, []int{1, 2}) || !slices.Equal(sset, []string{"x"}) || mm["a"] != 1 || len(mm) != 1 {
				t.Errorf("row 1 restored as l=%v s=%v m=%v", l, sset, mm)
			}
			if !slices.Equal(lwt, []int64{8000, 8000}) {
				t.Errorf("WRITETIME(l) = %v, want the row's newest dumped writetime [8000 8000]", lwt)
			}
			if nttl <= 0 || nttl > 100000 {
				t.Errorf("TTL(n) = %d, want the dumped TTL's remainder", nttl)
			}
			// A row with no timed cell but the collection: the dump's read time.
			if err := e.s.Query("SELECT l, WRITETIME(l) FROM "+e.ks+".t WHERE k = 2").Scan(&l, &lwt); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(l, []int{3}) || len(lwt) != 1 || lwt[0] < m.Totals.Started.UnixMicro() {
				t.Errorf("row 2: l=%v @%v, want [3] at the read time (>= %d)", l, lwt, m.Totals.Started.UnixMicro())
			}
		})
	}
}

// TestCompatLoaderTLS: the loader reaches a server that requires a
// client certificate with ca, cert and key in its cassandra:// target
// URL, and restores a dump exactly; without the certificate the load is
// refused as a usage error (exit 2), writing nothing.
func TestCompatLoaderTLS(t *testing.T) {
	dir := testenv.CompatTLSDir(t)
	src, ks, _ := compatSession(t, "")
	if err := src.Query("CREATE TABLE " + ks + ".t (k int PRIMARY KEY, v text, n bigint)").Exec(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := src.Query("INSERT INTO "+ks+".t (k, v, n) VALUES (?, ?, ?) USING TIMESTAMP ?", i, fmt.Sprint("v", i), int64(i)<<40, int64(1000+i)).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t) // for its store only
	if code, out := sourcetest.Run(t, "--source", "cassandra://"+testenv.CompatHosts(t)+"/", "--table", ks+".t",
		"--dest", e.storeURL, "--batch", "tls", "--writetime", "--log-level", "warn"); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	prefix := sourcetest.OnlyDump(t, e.store, "tls", ks+".t")
	q := "?ca=" + url.QueryEscape(filepath.Join(dir, "ca.pem"))
	withCert := q + "&cert=" + url.QueryEscape(filepath.Join(dir, "client.pem")) + "&key=" + url.QueryEscape(filepath.Join(dir, "client.key"))
	target := ks + "_restored"
	if err := src.Query("CREATE KEYSPACE " + target + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Query("DROP KEYSPACE IF EXISTS " + target).Exec() })
	o := e.opts(e.storeURL + "/" + prefix)
	o.To = "cassandra://" + testenv.CompatHosts(t) + "/" + target + q
	if _, err := load.Run(context.Background(), o); fault.Code(err) != fault.ExitUsage || err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("load without the client certificate: %v (exit %d); want a usage error naming the certificate", err, fault.Code(err))
	}
	o = e.opts(e.storeURL + "/" + prefix)
	o.To = "cassandra://" + testenv.CompatHosts(t) + "/" + target + withCert
	res, err := load.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("load over TLS: %v", err)
	}
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" || res.Dumps[0].Counts.RowsWritten != 20 {
		t.Fatalf("load over TLS: %+v", res.Dumps)
	}
	var n int64
	var wt int64
	if err := src.Query("SELECT n, WRITETIME(v) FROM "+target+".t WHERE k = 7").Scan(&n, &wt); err != nil || n != 7<<40 || wt != 1007 {
		t.Errorf("row 7 restored as n=%d @%d (%v), want %d @1007", n, wt, err, int64(7)<<40)
	}
}
