package status

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Build reads the roots and their ledgers and returns the report. It
// only lists and reads; it never writes.
func Build(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Roots) == 0 {
		return nil, fault.Usagef("no --root given")
	}
	if err := cfg.Filter.Validate(); err != nil {
		return nil, fault.Usage(err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Stale <= 0 {
		cfg.Stale = DefaultStale
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	var tus []*targetURL
	for _, raw := range cfg.Targets {
		tu, err := parseTarget(raw)
		if err != nil {
			return nil, err
		}
		tus = append(tus, tu)
	}
	roots, names, err := openRoots(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer closeRoots(roots)
	entries, err := scanRoots(ctx, cfg, roots, names)
	if err != nil {
		return nil, err
	}
	stores, closeStates, err := openStates(ctx, cfg.States)
	if err != nil {
		return nil, err
	}
	defer closeStates()
	for _, r := range roots {
		stores = append(stores, ledgerStore{b: r.Bucket, base: load.LedgerDir})
	}
	targets, err := scanLedgers(ctx, cfg, stores, entries)
	if err != nil {
		return nil, err
	}
	b := &builder{cfg: cfg, now: cfg.Now().UTC(), roots: roots, names: names, targets: targets, tus: tus}
	rep := &Report{Format: FormatReport, GeneratedAt: b.now, Roots: names, Behind: []string{}, Dumps: []Dump{}, MaxLagSeconds: cfg.MaxLag.Seconds()}
	for _, tu := range tus {
		rep.Targets = append(rep.Targets, tu.label)
	}
	keys := make([]*entry, 0, len(entries))
	for _, e := range entries {
		keys = append(keys, e)
	}
	slices.SortFunc(keys, func(x, y *entry) int {
		return cmp.Or(cmp.Compare(x.d.Batch, y.d.Batch), cmp.Compare(x.d.Table, y.d.Table), cmp.Compare(x.d.Timestamp, y.d.Timestamp))
	})
	for _, e := range keys {
		d, err := b.dump(ctx, e)
		if err != nil {
			return nil, err
		}
		for i := range d.Stages {
			s := &d.Stages[i]
			if b.behind(s) {
				s.Behind, d.Behind = true, true
				rep.Behind = append(rep.Behind, fmt.Sprintf("%s: %s %s %s for %s", d.Name(), s.Stage, s.Where, s.State, report.HumanDuration(s.Lag())))
			}
		}
		rep.Dumps = append(rep.Dumps, d)
	}
	if rep.Batches, err = b.batchMarkers(ctx, rep.Dumps); err != nil {
		return nil, err
	}
	return rep, nil
}

type builder struct {
	cfg     Config
	now     time.Time
	roots   []*discover.Root
	names   []string
	targets map[string]*target
	tus     []*targetURL
}

// behind says whether a stage needs someone's attention: a failed
// verification always; with --max-lag, a stage still waiting longer.
func (b *builder) behind(s *Stage) bool {
	if s.State == StateFailed {
		return true
	}
	if b.cfg.MaxLag <= 0 || s.Stage == StageVerify && s.State == StatePending {
		return false // a pending verification waits on its load, which says so
	}
	switch s.State {
	case StatePending, StateRunning, StateStale:
		return s.Lag() > b.cfg.MaxLag
	}
	return false
}

func (b *builder) dump(ctx context.Context, e *entry) (Dump, error) {
	d := Dump{Batch: e.d.Batch, Table: e.d.Table, Timestamp: e.d.Timestamp}
	exp, exportRoot, err := b.export(ctx, e, &d)
	if err != nil {
		return d, err
	}
	d.Stages = append(d.Stages, exp)
	if d.Exported == nil {
		return d, nil
	}
	for i := range b.roots {
		if i != exportRoot {
			d.Stages = append(d.Stages, b.ship(e, i, *d.Exported))
		}
	}
	for _, t := range b.expected(e.d.Table) {
		st, err := b.load(ctx, e.d, t, *d.Exported)
		if err != nil {
			return d, err
		}
		d.Stages = append(d.Stages, st...)
	}
	return d, nil
}

// export is the export stage and the root the dump was exported to (-1
// when it is in none of the roots given).
func (b *builder) export(ctx context.Context, e *entry, d *Dump) (Stage, int, error) {
	st := Stage{Stage: StageExport}
	began, _ := manifest.ParseTimestamp(e.d.Timestamp)
	var firstComplete *copyAt
	for _, c := range e.copies {
		switch {
		case c.exported != nil:
			n := c.exported
			st.Where, st.State, st.Rows = b.names[c.root], StateDone, n.Rows
			st.Started, st.At = ptr(began), ptr(n.FinishedAt)
			st.LagSeconds = n.FinishedAt.Sub(began).Seconds()
			st.Detail = fmt.Sprintf("%d rows, %s in %d files", n.Rows, report.HumanBytes(float64(n.StoredBytes)), n.Files)
			d.Exported, d.Rows, d.StoredBytes, d.Files = ptr(n.FinishedAt), n.Rows, n.StoredBytes, n.Files
			return st, c.root, nil
		case c.plan != nil:
			st.Where, st.State = b.names[c.root], StateRunning
			st.Started = ptr(c.plan.Created)
			st.LagSeconds = b.now.Sub(c.plan.Created).Seconds()
			st.UnitsDone, st.Units = validUnits(c.plan, c.commits)
			st.Detail = fmt.Sprintf("%d of %d units committed", st.UnitsDone, st.Units)
			if b.now.Sub(c.plan.Created) > b.cfg.Stale {
				st.State = StateStale
				st.Detail += fmt.Sprintf("; unfinished %s after its plan", report.HumanDuration(b.now.Sub(c.plan.Created)))
			}
			return st, c.root, nil
		case c.complete && firstComplete == nil:
			firstComplete = c
		}
	}
	if firstComplete == nil {
		// Only a copy in progress, and its source is not among the roots.
		st.Where, st.State, st.Detail = "", StateRunning, "a copy is in progress; the root it is exported to was not given"
		return st, -1, nil
	}
	m, err := manifestTotals(ctx, b.roots[firstComplete.root].Bucket, e.d)
	if err != nil {
		return st, -1, fmt.Errorf("%s: %s: %w", b.names[firstComplete.root], e.d.ManifestKey(), err)
	}
	t := m.Totals
	st.State, st.Rows, st.Started, st.At = StateDone, t.Rows, ptr(t.Started), ptr(t.Finished)
	st.LagSeconds = t.Finished.Sub(t.Started).Seconds()
	st.Detail = fmt.Sprintf("%d rows, %s in %d files (from the manifest at %s; the export root was not given or no longer holds it)",
		t.Rows, report.HumanBytes(float64(t.StoredBytes)), t.Files, b.names[firstComplete.root])
	d.Exported, d.Rows, d.StoredBytes, d.Files = ptr(t.Finished), t.Rows, t.StoredBytes, t.Files
	return st, -1, nil
}

// ship is the dump's ship stage to root i.
func (b *builder) ship(e *entry, i int, exported time.Time) Stage {
	st := Stage{Stage: StageShip, Where: b.names[i], State: StatePending, LagSeconds: b.now.Sub(exported).Seconds()}
	for _, c := range e.copies {
		if c.root != i {
			continue
		}
		var at time.Time
		switch {
		case c.shipped != nil:
			at, st.Rows = c.shipped.ShippedAt, c.shipped.Rows
		case c.exported != nil:
			at, st.Rows = c.exported.FinishedAt, c.exported.Rows
		case c.complete:
			at = c.noteTime
		default:
			st.State, st.Detail = StateRunning, "copy in progress (no _SUCCESS yet)"
			return st
		}
		st.State, st.At, st.LagSeconds = StateDone, ptr(at), at.Sub(exported).Seconds()
	}
	return st
}

// expected lists the targets a dump of table should be loaded into:
// those --target names (a --target matching no ledger stands for itself)
// or, without --target, every target that loaded a dump of the table.
func (b *builder) expected(table string) []*target {
	var out []*target
	seen := map[string]bool{}
	add := func(t *target) {
		if !seen[t.id] {
			seen[t.id] = true
			out = append(out, t)
		}
	}
	ids := make([]string, 0, len(b.targets))
	for id := range b.targets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(b.tus) == 0 {
		for _, id := range ids {
			if b.targets[id].covers(table) {
				add(b.targets[id])
			}
		}
		return out
	}
	for _, tu := range b.tus {
		found := false
		for _, id := range ids {
			if t := b.targets[id]; t.matches(tu) && t.covers(table) {
				add(t)
				found = true
			}
		}
		if !found {
			add(&target{id: tu.label, label: tu.label, loaded: map[string]*load.LoadedRecord{}, newest: map[string]string{}})
		}
	}
	return out
}

// load is the dump's load and verify stages in target t.
func (b *builder) load(ctx context.Context, d discover.Dump, t *target, exported time.Time) ([]Stage, error) {
	ld := Stage{Stage: StageLoad, Where: t.name(), TargetID: t.id, State: StatePending, LagSeconds: b.now.Sub(exported).Seconds()}
	vf := Stage{Stage: StageVerify, Where: t.name(), TargetID: t.id, State: StatePending, LagSeconds: ld.LagSeconds}
	rec := t.loaded[d.Prefix]
	if rec == nil {
		if newest := t.newest[d.Table]; newest > d.Timestamp {
			ld.State, ld.Detail = StateSuperseded, "a newer dump ("+newest+") is loaded; loads go in timestamp order"
			return []Stage{ld}, nil
		}
		if len(t.incs) > 0 {
			started, failed, err := t.started(ctx, d)
			if err != nil {
				return nil, err
			}
			if started != nil {
				ld.State, ld.Started, ld.Detail = StateRunning, ptr(started.Started), "load begun, not finished"
			}
			if failed != nil && failed.Result == "failed" {
				// The loader records a failed verification and no loaded
				// record: the rows are written, the dump is not loaded.
				ld.Detail = "rows written; not recorded as loaded: its verification failed"
				verifyStage(&vf, *failed, exported, ld.LagSeconds)
			}
		}
		return []Stage{ld, vf}, nil
	}
	ld.State, ld.Started, ld.At, ld.Rows = StateDone, ptr(rec.Started), ptr(rec.Finished), rec.Counts.Rows
	ld.LagSeconds = rec.Finished.Sub(exported).Seconds()
	ld.Detail = fmt.Sprintf("%d rows written", rec.Counts.RowsWritten)
	if rec.Counts.Rejects > 0 {
		ld.Detail += fmt.Sprintf(", %d rejected", rec.Counts.Rejects)
	}
	if rec.Counts.RowsExpired > 0 {
		ld.Detail += fmt.Sprintf(", %d expired", rec.Counts.RowsExpired)
	}
	verifyStage(&vf, rec.Verify, exported, ld.LagSeconds)
	return []Stage{ld, vf}, nil
}

// verifyStage fills the verify stage from a recorded result.
func verifyStage(vf *Stage, v load.VerifyResult, exported time.Time, loadLag float64) {
	vf.Mode, vf.Detail = v.Mode, v.Detail
	switch v.Result {
	case "passed":
		vf.State = StateDone
		if vf.Detail == "" {
			vf.Detail = verifyDetail(v)
		}
	case "failed":
		vf.State = StateFailed
	default:
		vf.State = StateSkipped
	}
	if !v.At.IsZero() {
		vf.At, vf.LagSeconds = ptr(v.At), v.At.Sub(exported).Seconds()
	} else {
		vf.LagSeconds = loadLag
	}
}

func verifyDetail(v load.VerifyResult) string {
	switch v.Mode {
	case load.VerifyCount:
		return fmt.Sprintf("count: %d rows, as expected", v.Found)
	case load.VerifyFull:
		return fmt.Sprintf("full: %d rows compared, %d differ", v.Expected, v.Mismatches)
	}
	return v.Mode
}

func ptr[T any](v T) *T { return &v }
