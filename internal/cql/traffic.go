package cql

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// ClientRequests reads, from every node that is up, how many point reads
// and writes it has coordinated for each of the applications' tables
// (keyspaces not named system*) since it started or the table was
// created: the count column of the latency views (latencyViews), one
// counter a node, table and view, named "NODE/KEYSPACE.TABLE/reads" (or
// "writes"). The rise of a counter between two readings is the other
// clients' traffic in between: an export's own pages are range scans,
// which count in coordinator_scan_latency, not here. The counters are
// not summed by node: a table dropped between two readings takes its
// count with it, and a node's sum would fall though other tables' counts
// rose. A key-list export's reads are point reads: the reads of
// exceptReadsOf ("keyspace.table", or "") are left out. One query per
// view and node. ErrNoServerLatency: the server lacks the views.
func (s *Session) ClientRequests(ctx context.Context, exceptReadsOf string) (map[string]int64, error) {
	out := map[string]int64{}
	var firstErr error
	for _, h := range s.s.GetHosts() {
		if !h.IsUp() {
			continue
		}
		node := h.ConnectAddress().String()
		counts := map[string]int64{}
		ok := true
		for _, v := range latencyViews {
			it := s.s.Query("SELECT keyspace_name, table_name, count FROM " + v.table).
				SetHostID(h.HostID()).Idempotent(true).IterContext(ctx)
			var ks, table string
			var n int64
			for it.Scan(&ks, &table, &n) {
				own := v.name == "read" && ks+"."+table == exceptReadsOf
				if !strings.HasPrefix(ks, "system") && !own {
					counts[node+"/"+ks+"."+table+"/"+v.name+"s"] = n
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
			maps.Copy(out, counts)
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
