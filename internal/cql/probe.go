package cql

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// probeQuery is the probe: a read of the one row of the node's own
// system.local, answered by that node alone. It takes the path of an
// application's point read on the node (native transport, the request
// queue, a read of a single partition) and nothing more, so its latency
// rises with what slows a point read there: a busy CPU, queues, GC.
const probeQuery = "SELECT key FROM system.local WHERE key = 'local'"

// Probe sends the probe query to every node that is up, all at once, and
// returns each one's latency by node address, timed from the client. A
// probe that runs past timeout counts with the time it took (at least
// timeout): a node that slow is overloaded, not missing. One that fails
// otherwise (e.g. its connection is gone) has no reading; when no node
// has one, the first error is returned.
func (s *Session) Probe(ctx context.Context, timeout time.Duration) (map[string]time.Duration, error) {
	type reading struct {
		node string
		lat  time.Duration
		err  error
	}
	var wg sync.WaitGroup
	ch := make(chan reading, 16)
	for _, h := range s.s.GetHosts() {
		if !h.IsUp() {
			continue
		}
		wg.Add(1)
		go func(h *gocql.HostInfo) {
			defer wg.Done()
			node := h.ConnectAddress().String()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			t0 := time.Now()
			var key string
			it := s.s.Query(probeQuery).SetHostID(h.HostID()).Consistency(gocql.One).Idempotent(true).IterContext(pctx)
			it.Scan(&key)
			err := it.Close()
			lat := time.Since(t0)
			if err != nil && ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || lat >= timeout) {
				err = nil // slow, not missing
			}
			if err != nil {
				err = fmt.Errorf("probe %s: %w", node, err)
			}
			ch <- reading{node, lat, err}
		}(h)
	}
	go func() { wg.Wait(); close(ch) }()
	out := map[string]time.Duration{}
	var firstErr error
	for r := range ch {
		switch {
		case r.err == nil:
			out[r.node] = r.lat
		case firstErr == nil:
			firstErr = r.err
		}
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = errors.New("probe: no node is up")
		}
		return nil, firstErr
	}
	return out, nil
}
