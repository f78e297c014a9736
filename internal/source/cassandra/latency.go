package cassandra

import (
	"context"
	"time"

	"github.com/lading-dev/lading/internal/source"
)

var _ source.LatencyReporter = (*Source)(nil)

// ServerLatency is every node's p99 of the point reads and writes of
// the applications' tables, from its virtual tables (Cassandra 4.0 and
// later; see cql.Session.ServerLatency).
func (c *Source) ServerLatency(ctx context.Context) (map[string]time.Duration, error) {
	return c.s.ServerLatency(ctx)
}

var _ source.Prober = (*Source)(nil)

// Probe times a one-row read of every node's own system.local (see
// cql.Session.Probe).
func (c *Source) Probe(ctx context.Context, timeout time.Duration) (map[string]time.Duration, error) {
	return c.s.Probe(ctx, timeout)
}

var _ source.TrafficReporter = (*Source)(nil)

// ClientRequests is every node's count of point reads and writes of the
// applications' tables since it started (Cassandra 4.0 and later; see
// cql.Session.ClientRequests).
func (c *Source) ClientRequests(ctx context.Context, exceptReadsOf string) (map[string]int64, error) {
	return c.s.ClientRequests(ctx, exceptReadsOf)
}
