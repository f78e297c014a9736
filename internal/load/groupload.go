package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// GroupLoader is implemented by PartLoader tables that load many proven
// parts in one statement (Snowflake's COPY INTO with a FILES list), and
// that load parts whose rows may already be in the table into a merge
// area first, applied to the table once per dump (a MERGE on the key:
// one per dump, not one per group, which would rescan the table each
// time). The loader proves each part of a group, records that an
// attempt at it began, and hands it to StagePart; then it calls
// LoadGroup once for the group. Parts loaded straight are recorded as
// loaded after their group; parts loaded through the merge area after
// Merge.
type GroupLoader interface {
	PartLoader
	// MaxGroup is the most parts one LoadGroup takes.
	MaxGroup() int
	// StagePart makes a proven part readable by LoadGroup (uploads it
	// to a stage the target reads, say); a target that reads the dump's
	// own store does nothing. It is called concurrently.
	StagePart(ctx context.Context, p PartInfo, open func(context.Context) (io.ReadCloser, error)) error
	// LoadGroup loads staged parts: straight into the table when fresh
	// (no row of them can be there), otherwise into the merge area. It
	// returns one result per part, in order. With maxRejects 0 a refused
	// row stops the group, loading none of it, with a *RejectedRowError.
	LoadGroup(ctx context.Context, parts []PartInfo, fresh bool, maxRejects int64) ([]GroupResult, error)
	// Merge applies the merge area to the table and empties it.
	Merge(ctx context.Context) error
	// Release gives up what the dump's groups held (a session, a
	// temporary stage, an unmerged staging table), whether they loaded
	// or not.
	Release(ctx context.Context)
}

// GroupResult is what LoadGroup did with one part.
type GroupResult struct {
	Record PartRecord
	// Rejects are the refused rows the target named; it may name fewer
	// than Record.Rejects counts (COPY names each file's first).
	Rejects []RejectedRow
}

// RejectedRow is one row the target refused.
type RejectedRow struct {
	Part   string
	Line   int64
	Reason string
}

// RejectedRowError stops a group at a refused row (maxRejects 0).
type RejectedRowError struct{ Row RejectedRow }

func (e *RejectedRowError) Error() string {
	return fmt.Sprintf("part %s line %d refused: %s", e.Row.Part, e.Row.Line, e.Row.Reason)
}

// groupRun is one dump's load through a GroupLoader.
type groupRun struct {
	l          *Loader
	d          discover.Dump
	m          *manifest.Manifest
	gl         GroupLoader
	dl         *DumpLedger
	addRejects func(n int64, part string) error
	done       func(*PartRecord)
}

// groupRun returns the group load of one dump, counting rejects against
// --max-rejects and this run's rows as the part-by-part load does.
func (l *Loader) groupRun(d discover.Dump, m *manifest.Manifest, gl GroupLoader, dl *DumpLedger, mu *sync.Mutex, rejected *int64, run *Counts) *groupRun {
	o := &l.opts
	return &groupRun{l: l, d: d, m: m, gl: gl, dl: dl,
		addRejects: func(n int64, part string) error {
			mu.Lock()
			defer mu.Unlock()
			*rejected += n
			if *rejected > o.MaxRejects {
				return fault.Usagef("%d rows rejected by %s, more than --max-rejects %d (see %s)", *rejected, dl.in.l.id, o.MaxRejects, dl.RejectsLocation(part))
			}
			return nil
		},
		done: func(rec *PartRecord) {
			mu.Lock()
			defer mu.Unlock()
			run.RowsWritten += rec.RowsWritten
			run.Rejects += rec.Rejects
		},
	}
}

// loadGroups loads the todo parts of a dump through a GroupLoader: the
// fresh ones straight in, group by group, the others through the merge
// area and one Merge.
func (g *groupRun) loadGroups(ctx context.Context, todo []*manifest.File, fresh func(*manifest.File) bool) error {
	// Also when ctx is cancelled: the session's cleanup must still run.
	defer g.gl.Release(context.WithoutCancel(ctx))
	var straight, merged []*manifest.File
	for _, f := range todo {
		if fresh(f) {
			straight = append(straight, f)
		} else {
			merged = append(merged, f)
		}
	}
	_, begun, err := g.load(ctx, straight, true)
	if err != nil {
		return err
	}
	merged = append(merged, begun...)
	if len(merged) == 0 {
		return nil
	}
	recs, _, err := g.load(ctx, merged, false)
	if err != nil {
		return err
	}
	if err := g.gl.Merge(ctx); err != nil {
		return err
	}
	return g.record(ctx, recs)
}

// load loads parts in groups of at most MaxGroup; fresh groups are
// recorded as they land, the others returned for recording after Merge.
// A part taken as fresh that another attempt turns out to have begun
// meanwhile (its begin record existed) is not loaded straight: it is
// returned in begun, for the merge.
func (g *groupRun) load(ctx context.Context, fs []*manifest.File, fresh bool) (out []*PartRecord, begun []*manifest.File, err error) {
	for len(fs) > 0 {
		group := fs[:min(len(fs), max(g.gl.MaxGroup(), 1))]
		fs = fs[len(group):]
		infos, err := g.stage(ctx, group, fresh)
		if err != nil {
			return nil, nil, err
		}
		if fresh {
			var keep []PartInfo
			group = group[:0:0]
			for _, in := range infos {
				if in.Fresh {
					keep = append(keep, in)
					group = append(group, in.File)
				} else {
					begun = append(begun, in.File)
				}
			}
			if infos = keep; len(infos) == 0 {
				continue
			}
		}
		results, err := g.gl.LoadGroup(ctx, infos, fresh, g.l.opts.MaxRejects)
		var rr *RejectedRowError
		if errors.As(err, &rr) {
			if werr := g.writeRejects(ctx, rr.Row.Part, []RejectedRow{rr.Row}); werr != nil {
				return nil, nil, werr
			}
			if aerr := g.addRejects(1, rr.Row.Part); aerr != nil {
				return nil, nil, aerr
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if len(results) != len(group) {
			return nil, nil, fmt.Errorf("the target returned %d results for a group of %d parts", len(results), len(group))
		}
		var recs []*PartRecord
		for i, r := range results {
			rec, err := g.check(ctx, group[i], r)
			if err != nil {
				return nil, nil, err
			}
			recs = append(recs, rec)
		}
		if !fresh {
			out = append(out, recs...)
			continue
		}
		if err := g.record(ctx, recs); err != nil {
			return nil, nil, err
		}
	}
	return out, begun, nil
}

// stage proves the group's parts (o.Parts at a time), records that an
// attempt at each began, and stages them.
func (g *groupRun) stage(ctx context.Context, group []*manifest.File, fresh bool) ([]PartInfo, error) {
	o := &g.l.opts
	infos := make([]PartInfo, len(group))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(o.Parts)
	for i, f := range group {
		eg.Go(func() error {
			part, err := g.l.verifier.Prove(ectx, g.l.root.Bucket, g.d.Key(f.Name), f)
			if err != nil {
				return err
			}
			defer part.Close()
			existed, err := g.dl.BeginPart(ectx, f.Name)
			if err != nil {
				return err
			}
			infos[i] = PartInfo{Manifest: g.m, File: f, Fresh: fresh && !existed, Shared: existed, Now: o.Now}
			if err := g.gl.StagePart(ectx, infos[i], part.Open); err != nil {
				return fmt.Errorf("part %s: %w", f.Name, err)
			}
			return nil
		})
	}
	return infos, eg.Wait()
}

// check compares a part's result with its manifest entry and keeps its
// rejects.
func (g *groupRun) check(ctx context.Context, f *manifest.File, r GroupResult) (*PartRecord, error) {
	o := &g.l.opts
	rec := r.Record
	if rec.Rows != f.Rows {
		return nil, fault.Verifyf("part %s: the target loaded %d rows, the manifest says %d", f.Name, rec.Rows, f.Rows)
	}
	rec.Part, rec.CRC32C, rec.Loaded = f.Name, f.CRC32C, o.Now().UTC()
	o.Run.Add("rows", rec.Rows)
	if rec.Rejects == 0 {
		return &rec, g.dl.DeleteRejects(ctx, f.Name)
	}
	if err := g.writeRejects(ctx, f.Name, r.Rejects); err != nil {
		return nil, err
	}
	o.Logger.Warn("rows rejected", "part", f.Name, "rejects", rec.Rejects, "file", g.dl.RejectsLocation(f.Name))
	return &rec, g.addRejects(rec.Rejects, f.Name)
}

// writeRejects writes a part's reject file, with each row's text read
// again from the proven part.
func (g *groupRun) writeRejects(ctx context.Context, name string, rows []RejectedRow) error {
	var f *manifest.File
	for i := range g.m.Files {
		if g.m.Files[i].Name == name {
			f = &g.m.Files[i]
		}
	}
	if f == nil {
		return fmt.Errorf("the target rejected rows of %s, which is not in the manifest", name)
	}
	rejects := make([]reject, len(rows))
	for i, r := range rows {
		rejects[i] = reject{Line: r.Line, Error: r.Reason}
	}
	part, err := g.l.verifier.Prove(ctx, g.l.root.Bucket, g.d.Key(name), f)
	if err != nil {
		return err
	}
	defer part.Close()
	if err := fillRejectRows(ctx, part, f, rejects); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rejects {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return g.dl.WriteRejects(ctx, name, buf.Bytes())
}

// record writes the parts' ledger records.
func (g *groupRun) record(ctx context.Context, recs []*PartRecord) error {
	for _, rec := range recs {
		if err := g.dl.PartLoaded(ctx, rec); err != nil {
			return err
		}
		g.done(rec)
		g.l.opts.Run.Add("parts", 1)
	}
	return nil
}
