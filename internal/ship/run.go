package ship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Result is what Run did: one entry per dump handled, over all passes.
type Result struct {
	Dumps []DumpResult
	// Passes is how many discovery passes ran (more than one with Watch).
	Passes int
}

// Count returns how many dumps came to outcome o.
func (r Result) Count(o Outcome) int {
	n := 0
	for _, d := range r.Dumps {
		if d.Outcome == o {
			n++
		}
	}
	return n
}

// shipper is one Run: the copier and what the passes share.
type shipper struct {
	cfg      Config
	log      *slog.Logger
	run      *report.Run
	from, to *discover.Root
	filter   discover.Filter
	c        *copier
	total    atomic.Int64 // bytes left to copy, for progress
}

// Run ships every dump that is complete at cfg.From and not at cfg.To,
// once, or with cfg.Watch every cfg.Interval until ctx is done. Dumps
// that fail do not stop the others; the returned error joins their errors
// (fault classes preserved: a verification failure maps to exit 3, a bad
// manifest to 2). With Watch, failures are logged and retried on the next
// pass, and Run returns nil when ctx is done.
func Run(ctx context.Context, cfg Config, logger *slog.Logger, run *report.Run) (Result, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	s, err := open(ctx, cfg, logger, run)
	if err != nil {
		return Result{}, err
	}
	defer s.from.Close()
	defer s.to.Close()
	return s.loop(ctx)
}

// loop runs passes: one, or with Watch one every Interval until ctx is
// done.
func (s *shipper) loop(ctx context.Context) (Result, error) {
	var res Result
	for {
		dumps, err := s.pass(ctx)
		res.Passes++
		res.Dumps = append(res.Dumps, dumps...)
		if s.cfg.OnDump != nil {
			for _, d := range dumps {
				s.cfg.OnDump(d)
			}
		}
		if !s.cfg.Watch {
			return res, err
		}
		if err != nil {
			s.log.Error("pass failed; trying again at the next interval", "err", err.Error())
		}
		if throttle.Sleep(ctx, s.cfg.Interval) != nil {
			return res, nil
		}
	}
}

// open opens both ends and checks that they make sense together.
func open(ctx context.Context, cfg Config, logger *slog.Logger, run *report.Run) (*shipper, error) {
	from, err := discover.Open(ctx, cfg.From, &discover.OpenOptions{Probe: true})
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err) // a bad URL is a usage error (fault.IsUsage), an unreachable store is not
	}
	to, err := discover.Open(ctx, cfg.To, nil)
	if err != nil {
		from.Close()
		return nil, fmt.Errorf("--to: %w", err)
	}
	s := &shipper{cfg: cfg, log: logger, run: run, from: from, to: to}
	fail := func(err error) (*shipper, error) {
		from.Close()
		to.Close()
		return nil, err
	}
	if overlap(from.Bucket.Location(), to.Bucket.Location()) {
		return fail(fault.Usagef("--from %s and --to %s overlap: the destination must be another place", from.Bucket, to.Bucket))
	}
	f, err := from.Filter(cfg.Filter)
	if err != nil {
		return fail(fault.Usage(fmt.Errorf("--from: %w", err)))
	}
	if f, err = to.Filter(f); err != nil {
		return fail(fault.Usage(fmt.Errorf("--to: %w", err)))
	}
	s.filter = f
	s.c = newCopier(cfg, from.Bucket, to.Bucket, logger, run)
	return s, nil
}

// overlap reports whether two locations are the same store and one
// prefix contains the other.
func overlap(a, b *objstore.Location) bool {
	if a.Scheme != b.Scheme || a.Bucket != b.Bucket || a.Params.Encode() != b.Params.Encode() {
		return false
	}
	within := func(p, q string) bool { return p == q || q == "" || strings.HasPrefix(p, q+"/") }
	return within(a.Prefix, b.Prefix) || within(b.Prefix, a.Prefix)
}

// addTotal adjusts the bytes this run expects to copy (the total of the
// "bytes" counter, for progress and ETA): a dump's bytes when it starts,
// less the files found already there.
func (s *shipper) addTotal(n int64) { s.run.SetTotal("bytes", s.total.Add(n)) }

// pass discovers what is due and ships it.
func (s *shipper) pass(ctx context.Context) ([]DumpResult, error) {
	due, done, clashes, err := s.due(ctx)
	if err != nil {
		return nil, err
	}
	s.run.Add("dumps_due", int64(len(due)))
	if len(due) == 0 && len(done) == 0 && len(clashes) == 0 {
		s.log.Info("nothing to ship", "from", s.c.src.String(), "to", s.c.dst.String())
		return nil, s.shipBatchMarkers(ctx)
	}
	results := make([]DumpResult, len(due), len(due)+len(done)+len(clashes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Transfers)
	for i, d := range due {
		g.Go(func() error {
			results[i] = s.shipDump(gctx, d)
			if results[i].Err == nil && s.cfg.DeleteSource && !s.cfg.DryRun {
				s.deleteSource(gctx, &results[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	if s.cfg.DeleteSource {
		for _, d := range done {
			r := DumpResult{Dump: d, Outcome: Shipped}
			if s.cfg.DryRun {
				s.log.Info("would delete the source of a dump already shipped", "dump", d.String())
				continue
			}
			s.deleteSource(ctx, &r)
			results = append(results, r)
		}
	}
	results = append(results, clashes...)
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	// Batch markers last: after every dump of this pass.
	errs = append(errs, s.shipBatchMarkers(ctx))
	return results, errors.Join(errs...)
}

// due returns the dumps complete at the source and not at the
// destination, (only when deleting sources) those complete at both, and,
// as failed results, those whose path at the destination holds another
// complete dump (see sameDump).
func (s *shipper) due(ctx context.Context) (due, done []discover.Dump, clashes []DumpResult, err error) {
	src, err := discover.Find(ctx, s.from.Bucket, s.filter, &discover.Options{Logger: s.log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--from: %w", err)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, d := range src {
		if !d.Complete {
			lvl := slog.LevelDebug
			if s.from.Dump != nil {
				lvl = slog.LevelInfo // the user named this very dump
			}
			s.log.Log(ctx, lvl, "not complete at the source (no _SUCCESS); not due", "dump", d.String())
			continue
		}
		g.Go(func() error {
			marked, err := s.to.Bucket.Exists(gctx, d.SuccessKey())
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			var clash error
			if marked {
				if clash = s.sameDump(gctx, d); clash != nil && fault.Code(clash) != fault.ExitVerify {
					return clash
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if clash != nil {
				clashes = append(clashes, DumpResult{Dump: d, Outcome: Failed, Err: clash})
				s.run.Add("dumps_failed", 1)
				s.log.Error("dump not shipped", "dump", d.String(), "err", clash.Error())
			} else if !marked {
				due = append(due, d)
			} else if s.cfg.DeleteSource {
				done = append(done, d)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, nil, err
	}
	discover.Sort(due)
	discover.Sort(done)
	return due, done, clashes, nil
}
