package load

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/objstore"
)

// DumpResult is what one pass did with one dump.
type DumpResult struct {
	Dump string
	// Outcome is "loaded", "already loaded", "older: skipped",
	// "would load" (dry run) or "failed".
	Outcome string
	Target  string
	Counts  Counts
	Verify  VerifyResult
	Err     error
}

// Result lists what happened to each dump considered, in order.
type Result struct {
	Dumps []DumpResult
}

// Loader loads dumps from one store into one target.
type Loader struct {
	res      Result
	resMu    sync.Mutex
	opts     Options
	root     *discover.Root
	target   Target
	state    *objstore.Bucket // where ledgers live
	stateDir string           // their prefix in state
	verifier *Verifier
	owner    string
	// holdsRows notes the tables (and incarnations) found not empty in
	// this pass, so that their other loaded dumps need no query.
	holdsRows map[string]bool
	// first is set on the first loader of a routed run (or the only
	// loader): it reports the dumps no route takes.
	first bool
	// routeOf caches --route's choice of target by dump.
	routeOf map[string]string
}

// Run loads every due dump (and, with Watch, keeps polling until ctx is
// done). It returns nil when everything due was loaded or nothing was
// due; errors carry their exit-code class (internal/fault).
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.check(); err != nil {
		return Result{}, err
	}
	// One loader a target: the one of --to, or one per target the routes
	// name (each with its own ledgers).
	targets := []string{opts.To}
	if opts.routing() {
		targets = routeTargets(opts.Routes, opts.Route)
	}
	var ls []*Loader
	defer func() {
		for _, l := range ls {
			l.close()
		}
	}()
	for i, to := range targets {
		o := opts
		o.To = to
		l, err := open(ctx, o)
		if err != nil {
			return Result{}, err
		}
		l.first = i == 0
		l.routeOf = map[string]string{}
		ls = append(ls, l)
	}
	result := func() Result {
		var r Result
		for _, l := range ls {
			l.resMu.Lock()
			r.Dumps = append(r.Dumps, l.res.Dumps...)
			l.resMu.Unlock()
		}
		return r
	}
	for {
		var errs []error
		for _, l := range ls {
			if err := l.pass(ctx); err != nil {
				errs = append(errs, err)
				if ctx.Err() != nil {
					break
				}
			}
		}
		err := errors.Join(errs...)
		if len(errs) == 1 {
			err = errs[0]
		}
		if !opts.Watch {
			return result(), err
		}
		if err != nil {
			if ctx.Err() != nil {
				return result(), nil
			}
			opts.Logger.Error("load pass failed; will try again", "err", err.Error(), "in", opts.WatchInterval)
		}
		if throttle.Sleep(ctx, opts.WatchInterval) != nil {
			return result(), nil
		}
	}
}

func open(ctx context.Context, opts Options) (*Loader, error) {
	root, err := discover.Open(ctx, opts.From, &discover.OpenOptions{Probe: true})
	if err != nil {
		return nil, usageIfURL(fmt.Errorf("--from: %w", err))
	}
	l := &Loader{opts: opts, root: root, state: root.Bucket, stateDir: LedgerDir}
	if opts.State != "" {
		st, err := objstore.Open(ctx, opts.State)
		if err != nil {
			root.Close()
			return nil, usageIfURL(fmt.Errorf("--state: %w", err))
		}
		l.state, l.stateDir = st, "loads/"
	}
	l.target, err = OpenTarget(ctx, opts.To, TargetOptions{
		Logger: opts.Logger, Run: opts.Run, Env: opts.Env,
		CreateNamespace: opts.CreateKeyspace, Replication: opts.Replication,
		Consistency: opts.Consistency, Workers: opts.Workers, ClaimStaleAfter: opts.ClaimStaleAfter,
		Store: *root.Bucket.Location(), Stage: opts.Stage, StorageIntegration: opts.StorageIntegration, CopyParts: opts.CopyParts,
	})
	if err != nil {
		l.close()
		return nil, err
	}
	l.verifier, err = NewVerifier(opts.SpoolDir, opts.SpoolBytes, opts.Run)
	if err != nil {
		l.close()
		return nil, err
	}
	host, _ := os.Hostname()
	l.owner = fmt.Sprintf("%s/%d/%d", host, os.Getpid(), opts.Now().UnixNano())
	return l, nil
}

func usageIfURL(err error) error {
	if errors.Is(err, objstore.ErrBadURL) || errors.Is(err, objstore.ErrBadKey) {
		return fault.Usage(err)
	}
	return err
}

func (l *Loader) close() {
	if l.target != nil {
		l.target.Close()
	}
	if l.state != nil && l.state != l.root.Bucket {
		l.state.Close()
	}
	if l.root != nil {
		l.root.Close()
	}
}

// pass loads what is due once. Dumps of one table load in timestamp
// order, and a failed dump stops the later dumps of its table; other
// tables go on.
func (l *Loader) pass(ctx context.Context) error {
	l.holdsRows = map[string]bool{}
	dumps, err := l.root.Find(ctx, l.opts.Filter, &discover.Options{Logger: l.opts.Logger})
	if err != nil {
		return usageIfURL(err)
	}
	named := l.root.Dump != nil
	if named && len(dumps) == 0 {
		return fault.Usagef("no dump at %s", l.opts.From)
	}
	dumps = l.routed(ctx, dumps)
	if l.opts.TargetTable != "" {
		for _, d := range dumps {
			if d.Table != dumps[0].Table {
				return fault.Usagef("--target-table %s would receive dumps of %s and %s: name one table with --table", l.opts.TargetTable, dumps[0].Table, d.Table)
			}
		}
	}
	if err := l.checkOneSourcePerTable(dumps); err != nil {
		return err
	}
	var errs []error
	failedTable := map[string]bool{}
	due := 0
	for _, d := range dumps {
		if failedTable[d.Table] {
			continue
		}
		if !d.Complete {
			if named {
				return fmt.Errorf("dump %s is not complete (no %s yet)", d, "_SUCCESS")
			}
			l.opts.Logger.Debug("skipping incomplete dump", "dump", d.String())
			continue
		}
		if l.opts.Shards > 1 && shardOf(d.Table, l.opts.Shards) != l.opts.Shard {
			continue
		}
		due++
		if err := l.loadDump(ctx, d, named); err != nil {
			l.record(DumpResult{Dump: d.String(), Outcome: "failed", Err: err})
			if ctx.Err() != nil {
				return err
			}
			l.opts.Logger.Error("dump failed", "dump", d.String(), "err", err.Error())
			l.opts.Run.Add("dumps_failed", 1)
			errs = append(errs, fmt.Errorf("dump %s: %w", d, err))
			failedTable[d.Table] = true
		}
	}
	if due == 0 {
		l.opts.Logger.Info("nothing to load", "from", l.root.Bucket.String())
	}
	return errors.Join(errs...)
}

// record notes what happened to a dump.
func (l *Loader) record(r DumpResult) {
	if l.opts.Watch && r.Outcome == "already loaded" {
		return // every poll would repeat it
	}
	if l.opts.OnDump != nil {
		l.opts.OnDump(r)
	}
	l.resMu.Lock()
	l.res.Dumps = append(l.res.Dumps, r)
	l.resMu.Unlock()
}

// shardOf assigns a table to one of n shards, so that all dumps of a
// table load in order in one process.
func shardOf(table string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(table))
	return int(h.Sum32() % uint32(n))
}

// say logs a line for humans (stderr, through the logger).
func (l *Loader) say(msg string, args ...any) { l.opts.Logger.Info(msg, args...) }

// targetTableName is the target table's name for a dump's table.
func (l *Loader) targetTableName(table string) string {
	if l.opts.TargetTable != "" {
		return l.opts.TargetTable
	}
	if t := l.opts.tableMap[table]; t != "" {
		return t
	}
	_, t, _ := strings.Cut(table, ".")
	return t
}
