package cql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/throttle"
)

// TestClientRequestsCountsPointRequests: the node's counters of the
// test table's point reads and writes rise by at least the 50 reads and
// 50 writes sent to it, and reading them counts nothing itself (a
// system_views read).
func TestClientRequestsCountsPointRequests(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".fg (k int PRIMARY KEY, v text)")
	before := clientRequests(t, s)
	rounds := 0
	cqltest.PointTraffic(t, s, ks, 30*time.Second, func() bool { rounds++; return rounds > 1 })
	after := clientRequests(t, s)
	for _, kind := range []string{"reads", "writes"} {
		var names []string // the table's counter on each node: the test cluster has one
		for name := range after {
			if strings.HasSuffix(name, "/"+ks+".fg/"+kind) {
				names = append(names, name)
			}
		}
		if len(names) != 1 {
			t.Fatalf("counters of %s.fg's %s: %v, want one (counters %v)", ks, kind, names, after)
		}
		if name := names[0]; after[name]-before[name] < 50 {
			t.Errorf("%s: %d -> %d after 50 point %s", name, before[name], after[name], kind)
		}
	}
}

// TestClientRequestsTableDropped: a table dropped between two readings
// takes its count away, and the other tables' requests in between still
// show as other clients' traffic. (Summed by node, as the counts once
// were, the node's sum fell, which reads as a restart: the exporter took
// the cluster for idle and a CI run, whose other tests drop tables all
// the time, failed.)
func TestClientRequestsTableDropped(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".busy (k int PRIMARY KEY, v text)")
	cqltest.Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".fg (k int PRIMARY KEY, v text)")
	insert := func(table string, n int) {
		cqltest.Insert(t, s, "INSERT INTO "+ks+"."+table+" (k, v) VALUES (?, 'x')", n, 8, func(i int) []any { return []any{i} })
	}
	insert("busy", 300)
	var tr throttle.Traffic
	if _, known, reason := tr.Observe(time.Now(), clientRequests(t, s)); known {
		t.Fatalf("first reading: known (%s)", reason)
	}
	cqltest.Exec(t, s, "DROP TABLE "+ks+".busy")
	insert("fg", 20)
	after := clientRequests(t, s)
	present, known, reason := tr.Observe(time.Now(), after)
	if !present || !known {
		t.Fatalf("20 writes after a table with 300 was dropped: present %v known %v (%s)", present, known, reason)
	}
	t.Logf("verdict: %s", reason)
}

func clientRequests(t *testing.T, s *cql.Session) map[string]int64 {
	t.Helper()
	counts, err := s.ClientRequests(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return counts
}
