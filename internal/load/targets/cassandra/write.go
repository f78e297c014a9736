package cassandra

import (
	"context"
	"fmt"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/load"
)

// carefulParallel bounds the list reads and repairs one batch runs at
// once.
const carefulParallel = 8

// op is a mutation's payload: statements that are safe to send again.
type op struct {
	stmts   []stmt
	counter bool
}

// Write writes a batch of one partition's mutations: list writes that
// may meet an earlier attempt's elements first (each read, compared and
// repaired on its own), then everything else in one unlogged (or
// counter) batch, or as a single statement.
func (tb *Table) Write(ctx context.Context, b *load.Batch) error {
	var plain []stmt
	var careful []*listOp
	for _, m := range b.Mutations {
		switch o := m.Op.(type) {
		case *op:
			plain = append(plain, o.stmts...)
		case *listOp:
			if !o.careful && b.Attempt == 0 {
				plain = append(plain, o.appends()...)
				continue
			}
			careful = append(careful, o)
		default:
			return fmt.Errorf("cassandra: unknown mutation %T", m.Op)
		}
	}
	if len(careful) > 0 {
		// Each list is read and written on its own; they are independent.
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(carefulParallel)
		for _, o := range careful {
			// A retried batch's first try may still land, and so may a
			// write of another attempt at a shared part.
			converge := o.shared || b.Attempt > 0
			g.Go(func() error { return o.writeCarefully(gctx, converge) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	err := tb.exec(ctx, plain)
	if err != nil && tb.counter {
		return fmt.Errorf("counter write failed and may or may not have been applied, so this load stops; the next run truncates %s and loads the dump again: %w", tb.q, err)
	}
	return err
}

// exec sends statements as one request; a counter table's through its
// claim's fenced session.
func (tb *Table) exec(ctx context.Context, stmts []stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	s := tb.t.s
	if tb.counter {
		var err error
		if s, err = tb.counterSession(); err != nil {
			return err
		}
	}
	switch len(stmts) {
	case 1:
		return s.Query(stmts[0].cql, stmts[0].args...).
			Consistency(tb.t.cons).Idempotent(!tb.counter).ExecContext(ctx)
	}
	typ := gocql.UnloggedBatch
	if tb.counter {
		typ = gocql.CounterBatch
	}
	batch := s.Batch(typ).Consistency(tb.t.cons)
	for _, s := range stmts {
		batch.Query(s.cql, s.args...)
	}
	return batch.ExecContext(ctx)
}
