package cqltest

import (
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
)

// PointTraffic makes a table ks.fg and sends point writes and reads of it
// (as an application would) until done returns true or timeout passes,
// failing the test then. Cassandra's latency views weigh tables by a
// request rate it updates every 5 s, so a test of them needs a few
// seconds of such traffic.
func PointTraffic(t testing.TB, s *cql.Session, ks string, timeout time.Duration, done func() bool) {
	t.Helper()
	Exec(t, s, "CREATE TABLE IF NOT EXISTS "+ks+".fg (k int PRIMARY KEY, v text)")
	d := s.Driver()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("point traffic for %s did not get there", timeout)
		}
		for i := range 50 {
			if err := d.Query("INSERT INTO "+ks+".fg (k, v) VALUES (?, 'x')", i).Exec(); err != nil {
				t.Fatal(err)
			}
			var v string
			if err := d.Query("SELECT v FROM "+ks+".fg WHERE k = ?", i).Scan(&v); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}
