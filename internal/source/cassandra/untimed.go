package cassandra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/schema"
)

// probeUntimed asks the server for the WRITETIME of each multi-cell
// column of t (one row): Cassandra 5.0 answers with a list per cell,
// older releases refuse ("Cannot use selection function writeTime on
// non-frozen collection"). The refused columns are returned: an export
// with --writetime/--ttl dumps them without times (manifest
// options.untimed) instead of failing.
func probeUntimed(ctx context.Context, s *cql.Session, t *schema.Table) ([]string, error) {
	var out []string
	for i := range t.Columns {
		c := &t.Columns[i]
		if !cql.Timed(c) || !c.T.MultiCell() {
			continue
		}
		q := fmt.Sprintf("SELECT WRITETIME(%s) FROM %s.%s LIMIT 1", schema.QuoteIdent(c.Name),
			schema.QuoteIdent(t.Keyspace), schema.QuoteIdent(t.Name))
		err := s.Driver().Query(q).Consistency(gocql.One).ExecContext(ctx)
		var re gocql.RequestError
		switch {
		case err == nil:
		case errors.As(err, &re) && re.Code() == gocql.ErrCodeInvalid && strings.Contains(strings.ToLower(re.Message()), "writetime"):
			out = append(out, c.Name)
		default:
			return nil, fmt.Errorf("probe WRITETIME(%s) of %s: %w", c.Name, t.QualifiedName(), err)
		}
	}
	return out, nil
}

// untimedOf returns the exported columns of table among the refused
// ones, when times are exported at all.
func (c *Source) untimedOf(table string, cols []string, timed bool) []string {
	if !timed {
		return nil
	}
	c.mu.Lock()
	refused := c.untimed[table]
	c.mu.Unlock()
	var out []string
	for _, n := range cols {
		if slices.Contains(refused, n) {
			out = append(out, n)
		}
	}
	return out
}
