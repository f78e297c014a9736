package status

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// target is one target table, as its ledgers (in any root, any
// incarnation) tell it.
type target struct {
	id    string
	label string // kind:cluster/namespace.table, from a loaded record
	// loaded maps a dump's prefix to its loaded record (the latest
	// finished, when several incarnations hold one).
	loaded map[string]*load.LoadedRecord
	// newest maps a source table to the newest timestamp loaded.
	newest map[string]string
	incs   []*load.Incarnation
}

// ledgerStore is a store and the folder below which ledgers live.
type ledgerStore struct {
	b    *objstore.Bucket
	base string
}

// openStates opens the --state stores; ledgers live below "loads/" there,
// as the loader's --state puts them.
func openStates(ctx context.Context, urls []string) ([]ledgerStore, func(), error) {
	var out []ledgerStore
	closeAll := func() {
		for _, s := range out {
			_ = s.b.Close()
		}
	}
	for _, u := range urls {
		b, err := openStore(ctx, u)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("--state %s: %w", redactURL(u), err)
		}
		out = append(out, ledgerStore{b: b, base: "loads/"})
	}
	return out, closeAll, nil
}

// loadedName splits a loaded record's name (LoadedName) of one of the
// tables in tables into its dump.
func loadedName(name string, tables map[string]bool) (discover.Dump, bool) {
	const tsLen = len("20261122T154530Z")
	if len(name) <= tsLen+1 || name[tsLen] != '.' || !strings.HasSuffix(name, ".json") {
		return discover.Dump{}, false
	}
	ts, rest := name[:tsLen], strings.TrimSuffix(name[tsLen+1:], ".json")
	for t := range tables {
		if batch, ok := strings.CutSuffix(rest, "."+t); ok {
			if d, err := discover.NewDump(batch, t, ts); err == nil {
				return d, true
			}
		}
	}
	return discover.Dump{}, false
}

// hashedName reads the loaded record of a name that holds a hash in
// place of its batch and table (load.LoadedName), and returns it with its
// dump when the record's table is one of tables and the name is the one
// load.LoadedName gives that dump; a nil record otherwise.
func hashedName(ctx context.Context, in *load.Incarnation, name string, tables map[string]bool) (discover.Dump, *load.LoadedRecord, error) {
	ts, rest, _ := strings.Cut(strings.TrimSuffix(name, ".json"), ".")
	if len(rest) != 32 || strings.Trim(rest, "0123456789abcdef") != "" {
		return discover.Dump{}, nil, nil
	}
	rec, err := in.LoadedNamed(ctx, name)
	if err != nil || rec == nil || !tables[rec.Table] || rec.Timestamp != ts {
		return discover.Dump{}, nil, err
	}
	d, err := discover.NewDump(rec.Batch, rec.Table, rec.Timestamp)
	if err != nil || load.LoadedName(d) != name {
		return discover.Dump{}, nil, nil
	}
	return d, rec, nil
}

// scanLedgers reads the ledgers below every root: the names of what each
// target loaded (one listing per incarnation), and the loaded records of
// the dumps in entries only.
func scanLedgers(ctx context.Context, cfg Config, stores []ledgerStore, entries map[string]*entry) (map[string]*target, error) {
	tables := map[string]bool{}
	for _, e := range entries {
		tables[e.d.Table] = true
	}
	var mu sync.Mutex
	targets := map[string]*target{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Concurrency)
	for _, st := range stores {
		incs, err := load.ListIncarnations(ctx, st.b, st.base)
		if err != nil {
			return nil, err
		}
		for _, in := range incs {
			mu.Lock()
			t := targets[in.TargetID()]
			if t == nil {
				t = &target{id: in.TargetID(), loaded: map[string]*load.LoadedRecord{}, newest: map[string]string{}}
				targets[t.id] = t
			}
			t.incs = append(t.incs, in)
			mu.Unlock()
			g.Go(func() error { return t.scan(gctx, in, tables, entries, &mu) })
		}
	}
	return targets, g.Wait()
}

// scan lists one incarnation's loaded records and reads those of the
// dumps reported on.
func (t *target) scan(ctx context.Context, in *load.Incarnation, tables map[string]bool, entries map[string]*entry, mu *sync.Mutex) error {
	names, err := in.LoadedDumps(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		var rec *load.LoadedRecord
		d, ok := loadedName(n, tables)
		if !ok {
			// A long batch and table are a hash in the name
			// (load.LoadedName): the record names them.
			if d, rec, err = hashedName(ctx, in, n, tables); err != nil {
				return err
			} else if rec == nil {
				continue
			}
		}
		mu.Lock()
		if d.Timestamp > t.newest[d.Table] {
			t.newest[d.Table] = d.Timestamp
		}
		mu.Unlock()
		if entries[d.Prefix] == nil {
			continue
		}
		if rec == nil {
			if rec, err = in.LoadedNamed(ctx, n); err != nil {
				return err
			} else if rec == nil {
				continue
			}
		}
		mu.Lock()
		if have := t.loaded[d.Prefix]; have == nil || rec.Finished.After(have.Finished) {
			t.loaded[d.Prefix] = rec
		}
		if rec.Target != "" {
			t.label = rec.Target
		}
		mu.Unlock()
	}
	return nil
}

// started returns the earliest started record of d in any of the
// target's incarnations (nil when no load of it began), and the result
// of a verification that failed in that incarnation, if any.
func (t *target) started(ctx context.Context, d discover.Dump) (*load.StartedRecord, *load.VerifyResult, error) {
	var first *load.StartedRecord
	var failed *load.VerifyResult
	for _, in := range t.incs {
		dl := in.Dump(d)
		rec, err := dl.PeekStarted(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger %s: %w", t.id, err)
		}
		if rec == nil || first != nil && !rec.Started.Before(first.Started) {
			continue
		}
		first, failed = rec, nil
		if failed, err = dl.PeekVerify(ctx); err != nil {
			return nil, nil, fmt.Errorf("ledger %s: %w", t.id, err)
		}
	}
	return first, failed, nil
}

// name is how reports name the target.
func (t *target) name() string {
	if t.label != "" {
		return t.label
	}
	return t.id
}

// covers reports whether the target has loaded any dump of table.
func (t *target) covers(table string) bool { return t.newest[table] != "" }

// matches reports whether a --target URL names this target: the same
// kind (the URL's scheme) and, where the URL says them, the same
// namespace (Cassandra keyspace, Spanner database) and cluster (Spanner
// instance, Bigtable project/instance). A Cassandra URL names hosts, not
// the cluster's name, so the cluster is not compared for it.
func (t *target) matches(u *targetURL) bool {
	kind, rest, ok := strings.Cut(t.label, ":")
	if t.label == "" || !ok {
		return strings.HasPrefix(t.id, u.kind+".")
	}
	if kind != u.kind {
		return false
	}
	slash := strings.LastIndex(rest, "/")
	if slash < 0 {
		return false
	}
	cluster, nsTable := rest[:slash], rest[slash+1:]
	if u.cluster != "" && cluster != u.cluster {
		return false
	}
	return u.namespace == "" || strings.HasPrefix(nsTable, u.namespace+".")
}

// validUnits is how many of a plan's units are committed, never more
// than it has (a commit listing may hold a stray object).
func validUnits(p *manifest.Plan, commits int) (done, total int) {
	return min(commits, len(p.Units)), len(p.Units)
}
