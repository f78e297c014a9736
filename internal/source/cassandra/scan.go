package cassandra

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// scanner reads a fixed plan's units: token ranges, each query sent to
// the range's replicas, or the partitions of a key-list unit.
type scanner struct {
	src      *Source
	plan     *manifest.Plan
	ptn      *cql.Partitioner
	ring     *cql.Ring // range plans only
	sc       *cql.Scanner
	enc      *format.Encoder
	cols     []*schema.Column // exported, in row order
	timed    []int            // indexes into cols with WRITETIME/TTL
	wtTypes  []*schema.Type   // result type of WRITETIME per timed column
	ttlTypes []*schema.Type   // result type of TTL per timed column
	spec     source.ScanSpec
}

// Scanner builds the CQL scanner and the row encoder of the plan's
// table and columns (the plan's, which equal the live ones: the export
// compared them) and reads the ring for a range plan.
func (c *Source) Scanner(ctx context.Context, plan *manifest.Plan, spec source.ScanSpec) (source.Scanner, error) {
	p, err := cql.PartitionerByName(plan.Source.Partitioner)
	if err != nil {
		return nil, fault.Usage(err)
	}
	x := &scanner{src: c, plan: plan, ptn: p, spec: spec}
	pt := &plan.Source.Table
	if plan.Options.Mode == manifest.ModeRanges {
		if x.ring, err = c.ring(ctx, p, pt.Keyspace); err != nil {
			return nil, err
		}
	}
	opts := plan.Options
	for _, name := range opts.Columns {
		x.cols = append(x.cols, pt.Column(name))
	}
	for i, col := range x.cols {
		if !cql.Timed(col) || slices.Contains(plan.Options.Untimed, col.Name) {
			continue
		}
		x.timed = append(x.timed, i)
		wt, ttl := "bigint", "int"
		if col.T.MultiCell() {
			wt, ttl = "list<bigint>", "list<int>"
		}
		wtT, _ := schema.Parse(wt, nil)
		ttlT, _ := schema.Parse(ttl, nil)
		x.wtTypes = append(x.wtTypes, wtT)
		x.ttlTypes = append(x.ttlTypes, ttlT)
	}
	if x.enc, err = format.NewEncoder(pt, opts.Columns, format.Options{Writetime: opts.Writetime, TTL: opts.TTL}); err != nil {
		return nil, err
	}
	cs := cql.ScanSpec{
		Table: pt, Columns: x.cols, Writetime: opts.Writetime, TTL: opts.TTL, Untimed: opts.Untimed,
		Where: opts.Where, AllowFiltering: opts.AllowFiltering,
		PageSize: spec.PageSize, Consistency: opts.Consistency,
		Limiter: spec.Limiter, Gate: spec.Gate,
	}
	cs.Retry = cql.DefaultRetry
	cs.Retry.For = spec.RetryFor
	if x.sc, err = cql.NewScanner(c.s, cs, spec.Logger, spec.Run); err != nil {
		return nil, err
	}
	if sc := x.sc.Timed(); len(sc) != len(x.timed) {
		return nil, fmt.Errorf("scanner times %d columns, encoder %d", len(sc), len(x.timed))
	}
	return x, nil
}

// Scan reads a unit's ranges in order (or its keys). A Cassandra scan
// cannot resume inside a unit: u.Resume is ignored and pages carry no
// Next.
func (x *scanner) Scan(ctx context.Context, u source.Unit, emit func(*source.Page) error) error {
	if len(u.Keys) > 0 || x.plan.Options.Mode == manifest.ModeKeys {
		return x.scanKeys(ctx, u, emit)
	}
	for i, tr := range u.Ranges {
		start, err1 := x.ptn.ParseToken(tr.Start)
		end, err2 := x.ptn.ParseToken(tr.End)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("unit %s: %w", u.ID, err)
		}
		// The replicas of the ring range holding the range's first token.
		first := new(big.Int).Add(start, big.NewInt(1))
		r := cql.Range{Start: start, End: end, Replicas: x.ring.Replicas(first)}
		if err := x.sc.Scan(ctx, x.ptn, r, x.pages(i, emit)); err != nil {
			return err
		}
	}
	return nil
}

func (x *scanner) scanKeys(ctx context.Context, u source.Unit, emit func(*source.Page) error) error {
	cols := x.plan.Source.Table.KeyColumns()
	for i, line := range u.Keys {
		key, err := parseKeyObject(cols, line)
		if err != nil {
			return fault.Verifyf("stored key list line %d: %w", u.FirstKey+int64(i)+1, err)
		}
		rows := 0
		err = x.sc.ScanKey(ctx, key, x.pages(-1, func(p *source.Page) error {
			rows += p.Rows.Len()
			return emit(p)
		}))
		if err != nil {
			return fmt.Errorf("key %d: %w", u.FirstKey+int64(i), err)
		}
		x.spec.Run.Add("keys_read", 1)
		if rows == 0 {
			x.spec.Run.Add("keys_without_rows", 1)
		}
	}
	return nil
}

// pages adapts cql pages to source pages.
func (x *scanner) pages(rangeIdx int, emit func(*source.Page) error) func(*cql.Page) error {
	return func(p *cql.Page) error {
		return emit(&source.Page{Rows: &rows{x: x, p: p}, ReadAt: p.ReadAt, Range: rangeIdx, Release: p.Release, Bytes: p.Bytes()})
	}
}

// rows encodes a cql page's rows with the table's encoder.
type rows struct {
	x   *scanner
	p   *cql.Page
	row format.Row
}

func (r *rows) Len() int { return len(r.p.Rows) }

func (r *rows) AppendRow(dst []byte, i int) ([]byte, error) {
	x, opts := r.x, r.x.plan.Options
	cr := &r.p.Rows[i]
	row := &r.row
	if opts.Writetime && row.Writetime == nil {
		row.Writetime = make([][]int64, len(x.cols))
	}
	if opts.TTL && row.TTL == nil {
		row.TTL = make([][]int64, len(x.cols))
	}
	row.Values = cr.Values
	var err error
	for ti, ci := range x.timed {
		if opts.Writetime {
			if row.Writetime[ci], err = format.DecodeInt64s(x.wtTypes[ti], cr.Writetime[ti]); err != nil {
				return dst, fmt.Errorf("writetime of %s: %w", x.cols[ci].Name, err)
			}
		}
		if opts.TTL {
			if row.TTL[ci], err = format.DecodeInt64s(x.ttlTypes[ti], cr.TTL[ti]); err != nil {
				return dst, fmt.Errorf("ttl of %s: %w", x.cols[ci].Name, err)
			}
		}
	}
	return x.enc.AppendRow(dst, row)
}
