package cassandra

import (
	"fmt"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/manifest"
)

// maxRangesPerUnit bounds how many small ranges one unit groups, so that
// a commit stays small and a unit's work stays short.
const maxRangesPerUnit = 256

// planUnits divides the splits (in ring order) into units of work: a
// split alone when its estimate reaches the target, else adjacent splits
// grouped until their estimates do, so that parts reach the target size
// even with many small vnode ranges. Grouping never leaves fewer than
// minUnits units (or one per split, if there are fewer splits), so every
// reader has work. Without estimates every split is a unit.
func planUnits(p *cql.Partitioner, splits []cql.Split, target int64, minUnits int) ([]manifest.Unit, error) {
	var total int64
	for _, s := range splits {
		total += s.EstimatedBytes
	}
	limit := target
	if minUnits > 0 && total > 0 {
		limit = min(limit, total/int64(minUnits))
	}
	var units []manifest.Unit
	for _, s := range splits {
		tr := manifest.TokenRange{Start: s.Start.String(), End: s.End.String()}
		if n := len(units); n > 0 && total > 0 {
			cur := &units[n-1]
			if cur.EstimatedBytes+s.EstimatedBytes <= limit && len(cur.Ranges) < maxRangesPerUnit {
				cur.Ranges = append(cur.Ranges, tr)
				cur.EstimatedBytes += s.EstimatedBytes
				continue
			}
		}
		id, err := manifest.UnitID(tr.Start, p.Name)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		units = append(units, manifest.Unit{ID: id, Ranges: []manifest.TokenRange{tr}, EstimatedBytes: s.EstimatedBytes})
	}
	return units, nil
}
