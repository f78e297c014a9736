package cql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// ErrNoServerLatency: the server has no virtual tables of request
// latency (Cassandra before 4.0).
var ErrNoServerLatency = errors.New("the server reports no request latency to this user (system_views.coordinator_read_latency and coordinator_write_latency need Cassandra 4.0 or later)")

// latencyViews are the virtual tables (Cassandra 4.0, 4.1 and 5.0) of
// the latency of the requests each node coordinated, per table: point
// reads and writes, which is what an application's requests are. A range
// scan (the export's own pages) counts in coordinator_scan_latency
// instead, so these readings are the other clients' latency.
var latencyViews = []struct{ name, table string }{
	{"read", "system_views.coordinator_read_latency"},
	{"write", "system_views.coordinator_write_latency"},
}

// ServerLatency reads, from every node that is up, the p99 latency of
// the point reads and of the writes it coordinated for the
// applications' tables (keyspaces not named system*): the tables' p99
// averaged weighted by their request rates. Both come from Cassandra's
// decaying histograms (about the last minute, the recent seconds
// weighing most). The readings are named "<node> read" and
// "<node> write"; a node with no such requests in the last minute has
// none. One query per view and node, each returning one small row per
// table of the cluster. ErrNoServerLatency: the server lacks the views.
func (s *Session) ServerLatency(ctx context.Context) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	var firstErr error
	for _, h := range s.s.GetHosts() {
		if !h.IsUp() {
			continue
		}
		for _, v := range latencyViews {
			lat, err := s.nodeLatency(ctx, h, v.table)
			if err != nil {
				if isInvalid(err) { // no such view, or no permission to read it
					return nil, fmt.Errorf("%w: %v", ErrNoServerLatency, err)
				}
				if firstErr == nil {
					firstErr = fmt.Errorf("read %s of %s: %w", v.table, h.ConnectAddress(), err)
				}
				continue
			}
			if lat > 0 {
				out[h.ConnectAddress().String()+" "+v.name] = lat
			}
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// viewResolution is the smallest step of the latency views' p99th_ms.
const viewResolution = 0.001

// nodeLatency is one node's rate-weighted p99 of one view.
func (s *Session) nodeLatency(ctx context.Context, h *gocql.HostInfo, view string) (time.Duration, error) {
	it := s.s.Query("SELECT keyspace_name, p99th_ms, per_second FROM " + view).
		SetHostID(h.HostID()).Idempotent(true).IterContext(ctx)
	var ks string
	var p99, rate, sum, weight float64
	for it.Scan(&ks, &p99, &rate) {
		if strings.HasPrefix(ks, "system") || rate <= 0 {
			continue
		}
		// The views round to a thousandth of their unit, and Cassandra
		// 5.0's unit reads a thousand times smaller than 4.0's: a warm
		// 5.0 node's point requests show a p99 of 0. That is a reading
		// ("under the resolution"), not a missing one: it counts as half
		// the resolution, so that the controller, which only compares
		// readings with their baseline, keeps the node's signal.
		p99 = max(p99, viewResolution/2)
		sum += p99 * rate
		weight += rate
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if weight == 0 {
		return 0, nil
	}
	return time.Duration(sum / weight * float64(time.Millisecond)), nil
}
