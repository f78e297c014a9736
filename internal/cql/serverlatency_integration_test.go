package cql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
)

// TestServerLatencyReadsTheNode: after point reads and writes of an
// application table, the node reports their p99 through its virtual
// tables: one "<node> read" and one "<node> write" reading, each a
// plausible latency (above zero, under the request timeout).
func TestServerLatencyReadsTheNode(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".fg (k int PRIMARY KEY, v text)")
	ctx := context.Background()
	d := s.Driver()
	// The views weigh tables by their request rate, which Cassandra
	// updates every 5 s: keep the requests going until it has.
	deadline := time.Now().Add(30 * time.Second)
	for {
		for i := range 50 {
			if err := d.Query("INSERT INTO "+ks+".fg (k, v) VALUES (?, 'x')", i).Exec(); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := d.Query("SELECT v FROM "+ks+".fg WHERE k = ?", i).Scan(&v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ServerLatency(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var reads, writes int
		for name, lat := range got {
			if lat <= 0 || lat > 10*time.Second {
				t.Fatalf("reading %q = %s: not a plausible p99", name, lat)
			}
			switch {
			case strings.HasSuffix(name, " read"):
				reads++
			case strings.HasSuffix(name, " write"):
				writes++
			default:
				t.Fatalf("reading %q: want \"<node> read\" or \"<node> write\"", name)
			}
		}
		if reads == 1 && writes == 1 {
			t.Logf("readings: %v", got)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read and write readings after 30 s of requests: %v", got)
		}
		time.Sleep(time.Second)
	}
}
