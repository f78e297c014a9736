package cassandra

import (
	"context"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Plan divides the ring into units: token ranges from the ring (cut to
// about req.Splits, or sized from system.size_estimates), grouped by
// planUnits.
func (c *Source) Plan(ctx context.Context, live *manifest.Source, req source.PlanRequest) ([]manifest.Unit, error) {
	t := &live.Table
	p, err := cql.PartitionerByName(live.Partitioner)
	if err != nil {
		return nil, err
	}
	ring, err := c.ring(ctx, p, t.Keyspace)
	if err != nil {
		return nil, err
	}
	var est []cql.Estimate
	if req.Splits == 0 {
		err = c.meta(ctx, "read size estimates of "+t.QualifiedName(), func(ctx context.Context) (err error) {
			est, err = cql.ReadEstimates(ctx, c.s, p, t.Keyspace, t.Name)
			return err
		})
		if err != nil {
			c.opts.Logger.Warn("no size estimates; sizing splits by token width", "err", err)
		}
	}
	splits := cql.Splits(ring, est, cql.SplitOptions{Count: req.Splits, Min: req.MinUnits})
	units, err := planUnits(p, splits, req.PartBytes, req.MinUnits)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Debug("ring", "ranges", len(ring.Ranges), "estimates", len(est), "splits", len(splits), "units", len(units))
	return units, nil
}

// ring reads the token ring with keyspace's replicas (meta retries it).
func (c *Source) ring(ctx context.Context, p *cql.Partitioner, keyspace string) (ring *cql.Ring, err error) {
	err = c.meta(ctx, "read the token ring of "+keyspace, func(ctx context.Context) (err error) {
		ring, err = cql.ReadRing(ctx, c.s, p, keyspace)
		return err
	})
	return ring, err
}
