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
	var got map[string]time.Duration
	cqltest.PointTraffic(t, s, ks, 30*time.Second, func() bool {
		var err error
		if got, err = s.ServerLatency(context.Background()); err != nil {
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
		return reads == 1 && writes == 1
	})
	t.Logf("readings: %v", got)
}
