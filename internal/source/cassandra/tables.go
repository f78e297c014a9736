package cassandra

import (
	"context"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/source"
)

var _ source.TableLister = (*Source)(nil)

// Tables lists keyspace.table of every table outside the system
// keyspaces (materialized views are not tables: their base tables are
// exported).
func (c *Source) Tables(ctx context.Context) ([]string, error) {
	var names []string
	err := c.meta(ctx, "list tables", func(ctx context.Context) (err error) {
		names, err = cql.ListTables(ctx, c.s)
		return err
	})
	return names, err
}
