package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// BatchMarker is a batch's marker (<batch>/_SUCCESS, written when every
// table of a --tables run is exported, and copied last by the shipper) in
// one root: what a scheduler's sensor waits for.
type BatchMarker struct {
	Batch string `json:"batch"`
	// Where is the root's URL.
	Where string `json:"where"`
	// At is when the batch completed (the marker's own time); absent
	// when the root has no marker for the batch.
	At *time.Time `json:"at,omitempty"`
	// Tables is how many dumps the marker lists.
	Tables int `json:"tables,omitempty"`
}

// batchMarkers reads the marker of every batch the report's dumps belong
// to, in every root. A batch made by --table runs has none, which is
// not a fault: such batches are listed without a time.
func (b *builder) batchMarkers(ctx context.Context, dumps []Dump) ([]BatchMarker, error) {
	var batches []string
	for _, d := range dumps {
		if !slices.Contains(batches, d.Batch) {
			batches = append(batches, d.Batch)
		}
	}
	out := []BatchMarker{}
	for _, batch := range batches {
		for i, r := range b.roots {
			m := BatchMarker{Batch: batch, Where: b.names[i]}
			data, err := r.Bucket.ReadAll(ctx, manifest.BatchSuccessKey(batch))
			switch {
			case errors.Is(err, objstore.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("read %s in %s: %w", manifest.BatchSuccessKey(batch), b.names[i], err)
			default:
				bs, err := manifest.DecodeBatchSuccess(data)
				if err != nil {
					return nil, fmt.Errorf("%s in %s: %w", manifest.BatchSuccessKey(batch), b.names[i], err)
				}
				at := bs.Completed
				m.At, m.Tables = &at, len(bs.Dumps)
			}
			out = append(out, m)
		}
	}
	return out, nil
}
