package cql_test

import (
	"context"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
)

// TestClientRequestsCountsPointRequests: the node's count of point
// requests of the applications' tables rises by at least the 50 writes
// and 50 reads sent to it (other tests' traffic may add more), and
// reading it counts nothing itself (a system_views read).
func TestClientRequestsCountsPointRequests(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".fg (k int PRIMARY KEY, v text)")
	before, err := s.ClientRequests(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 1 { // the test cluster has one node
		t.Fatalf("counts %v, want one node", before)
	}
	rounds := 0
	cqltest.PointTraffic(t, s, ks, 30*time.Second, func() bool { rounds++; return rounds > 1 })
	after, err := s.ClientRequests(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for node, n := range before {
		if rise := after[node] - n; rise < 100 {
			t.Fatalf("node %s: count %d -> %d after 100 point requests", node, n, after[node])
		}
	}
	t.Logf("counts %v -> %v", before, after)
}
