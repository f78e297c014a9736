package cql

import (
	"context"
	"fmt"
	"strings"
)

// ClientRequests reads, from every node that is up, how many point reads
// and writes it has coordinated for the applications' tables (keyspaces
// not named system*) since it started: the count column of the latency
// views (latencyViews), summed by node. The rise between two readings is
// the other clients' traffic in between: an export's own pages are range
// scans, which count in coordinator_scan_latency, not here. A key-list
// export's reads are point reads: the reads of exceptReadsOf
// ("keyspace.table", or "") are left out. One query per view and node.
// ErrNoServerLatency: the server lacks the views.
func (s *Session) ClientRequests(ctx context.Context, exceptReadsOf string) (map[string]int64, error) {
	out := map[string]int64{}
	var firstErr error
	for _, h := range s.s.GetHosts() {
		if !h.IsUp() {
			continue
		}
		node := h.ConnectAddress().String()
		var sum int64
		ok := true
		for _, v := range latencyViews {
			it := s.s.Query("SELECT keyspace_name, table_name, count FROM " + v.table).
				SetHostID(h.HostID()).Idempotent(true).IterContext(ctx)
			var ks, table string
			var n int64
			for it.Scan(&ks, &table, &n) {
				own := v.name == "read" && ks+"."+table == exceptReadsOf
				if !strings.HasPrefix(ks, "system") && !own {
					sum += n
				}
			}
			if err := it.Close(); err != nil {
				if isInvalid(err) {
					return nil, fmt.Errorf("%w: %v", ErrNoServerLatency, err)
				}
				if firstErr == nil {
					firstErr = fmt.Errorf("read %s of %s: %w", v.table, node, err)
				}
				ok = false
				break
			}
		}
		if ok {
			out[node] = sum
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
