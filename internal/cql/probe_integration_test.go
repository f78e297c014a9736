package cql_test

import (
	"context"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
)

// TestProbeTimesEveryNode: a probe answers from every node that is up
// with a plausible latency (above zero, under a second), and a probe
// that runs past its timeout counts as that slow rather than failing.
func TestProbeTimesEveryNode(t *testing.T) {
	s := cqltest.Session(t)
	got, err := s.Probe(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 { // the test cluster has one node
		t.Fatalf("probed %v, want one node", got)
	}
	for node, lat := range got {
		if lat <= 0 || lat >= time.Second {
			t.Fatalf("probe of %s took %s: not plausible", node, lat)
		}
		t.Logf("probe of %s: %s", node, lat)
	}
	slow, err := s.Probe(context.Background(), time.Nanosecond)
	if err != nil {
		t.Fatalf("a probe past its timeout failed: %v", err)
	}
	for node, lat := range slow {
		if lat < time.Nanosecond {
			t.Fatalf("probe of %s past its timeout counted %s", node, lat)
		}
	}
	if len(slow) != 1 {
		t.Fatalf("probes past their timeout: %v, want one node", slow)
	}
}
