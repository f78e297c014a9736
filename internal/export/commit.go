package export

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// commit records a unit's parts with a conditional create of
// _state/commits/<unit>.json. If the commit already exists it is read
// back: this attempt's own (a create retried after its answer was lost)
// means we won; another attempt's means we lost, and our parts are left
// for the finisher to delete.
func (x *exporter) commit(ctx context.Context, u *unitRun, started time.Time) (bool, error) {
	cm := &manifest.Commit{
		Format:   manifest.FormatCommit,
		Unit:     u.unit.ID,
		Attempt:  u.attempt,
		Ranges:   u.unit.Ranges,
		Files:    slices.SortedFunc(slices.Values(u.files), func(a, b manifest.File) int { return strings.Compare(a.Name, b.Name) }),
		Rows:     u.rows,
		Started:  started.UTC(),
		Finished: x.cfg.Now().UTC(),
	}
	if cm.Finished.Before(cm.Started) {
		cm.Finished = cm.Started
	}
	data, err := cm.Marshal()
	if err != nil {
		return false, fmt.Errorf("commit unit %s: %w", u.unit.ID, err)
	}
	key := x.d.key(manifest.CommitName(u.unit.ID))
	err = x.root.CreateIfAbsent(ctx, key, data)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return false, fmt.Errorf("commit unit %s: %w", u.unit.ID, err)
	}
	got, err := x.readCommit(ctx, u.unit.ID)
	if err != nil {
		return false, err
	}
	return got.Attempt == u.attempt, nil
}

// readCommit reads and decodes a unit's commit.
func (x *exporter) readCommit(ctx context.Context, unit string) (*manifest.Commit, error) {
	key := x.d.key(manifest.CommitName(unit))
	data, err := x.root.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read commit of unit %s: %w", unit, err)
	}
	cm, err := manifest.DecodeCommit(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", x.root.Location().Join(key), err)
	}
	if cm.Unit != unit {
		return nil, fault.Usagef("%s: commit of unit %s under the name of unit %s", x.root.Location().Join(key), cm.Unit, unit)
	}
	return cm, nil
}

// committedUnits lists the units that have a commit.
func (x *exporter) committedUnits(ctx context.Context) (map[string]bool, error) {
	objs, _, err := x.root.ListAll(ctx, x.d.key(manifest.CommitsDir), "")
	if err != nil {
		return nil, fmt.Errorf("list commits: %w", err)
	}
	out := make(map[string]bool, len(objs))
	for _, o := range objs {
		rel := o.Key[len(x.d.prefix):]
		if unit, ok := manifest.ParseCommitName(rel); ok {
			out[unit] = true
		}
	}
	return out, nil
}
