package load

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/pkg/objstore"
)

// supersededDir holds, beside loaded/, the loaded records of dumps whose
// rows a reset (TRUNCATE) of the table removed:
//
//	<incarnation>/superseded/<timestamp>.<batch>.<table>.json
//
// A record there says what was once loaded, not what the table holds.
const supersededDir = "superseded/"

// SupersedeLoaded moves every loaded record of the incarnation to
// superseded/, before the table is emptied: from then on none of them
// describes the table, and a load killed after the reset must not be
// taken for finished. Each record is copied before it is deleted, so a
// run killed midway leaves it in one place or both, never in none.
func (in *Incarnation) SupersedeLoaded(ctx context.Context) (int, error) {
	names, err := in.LoadedDumps(ctx)
	if err != nil {
		return 0, err
	}
	for _, n := range names {
		key := in.prefix + "loaded/" + n
		data, err := in.l.b.ReadAll(ctx, key)
		if errors.Is(err, objstore.ErrNotFound) {
			continue // another loader moved it
		}
		if err != nil {
			return 0, fmt.Errorf("ledger: supersede %s: %w", n, err)
		}
		if _, err := in.l.b.WriteAll(ctx, in.prefix+supersededDir+n, data, &objstore.WriterOptions{ContentType: "application/json"}); err != nil {
			return 0, fmt.Errorf("ledger: supersede %s: %w", n, err)
		}
		if err := in.l.b.Delete(ctx, key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return 0, fmt.Errorf("ledger: supersede %s: %w", n, err)
		}
	}
	return len(names), nil
}

// SupersededDumps lists the superseded records' names.
func (in *Incarnation) SupersededDumps(ctx context.Context) ([]string, error) {
	objs, _, err := in.l.b.ListAll(ctx, in.prefix+supersededDir, "/")
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", in.l.Location(), err)
	}
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, strings.TrimPrefix(o.Key, in.prefix+supersededDir))
	}
	return names, nil
}
